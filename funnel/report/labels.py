"""Report wording in Chinese and English: ``L(key, lang, **values)``. Every key has both languages."""

from __future__ import annotations

from funnel.text import en_plural, zh_punct

TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("线索转化分析报告", "Lead conversion analysis report"),
    "subtitle": ("{period}(获取日期 {start} – {end}),对比上期 {prev}", "{period} (acquired {start} – {end}), compared with {prev}"),
    "meta_asof": ("截至日期 {as_of};跟进数据截至 {followup}", "As of {as_of}; follow-up as of {followup}"),
    "meta_filter": ("范围:{filter}", "Scope: {filter}"),
    "meta_undated": ("另有 {n} 条线索缺少获取时间,未计入任何周期。", "Not in any period: {n} leads without an acquisition date."),
    "generated": ("生成于 {when}", "Generated {when}"),
    "current": ("本期", "This period"),
    "previous": ("上期", "Previous"),
    "change": ("变化", "Change"),
    "pp": ("个百分点", "pp"),
    "days_unit": ("天", "days"),
    # sections
    "s1": ("核心指标", "Headline"),
    "s2": ("阶段转化", "Conversion"),
    "s3": ("转化周期", "Cycle time"),
    "s4": ("流失归因", "Loss attribution"),
    "s5": ("销售效能", "Sales effectiveness"),
    "s6": ("异常跟进", "Follow-up"),
    "s7": ("改进建议", "Suggested actions"),
    # KPIs
    "k_leads": ("新增线索", "New leads"),
    "k_won": ("成交线索", "Won"),
    "k_overall": ("整体转化率", "Overall conversion"),
    "k_win_rate": ("赢单率", "Win rate"),
    "k_cycle": ("转化周期中位数", "Median cycle"),
    "k_won_in": ("本期签约(任意获取日期)", "Deals won in period (any acquisition date)"),
    "k_lost_in": ("本期流失(任意获取日期)", "Leads lost in period (any acquisition date)"),
    "k_amount_in": ("本期签约金额", "Won amount in period"),
    "cohort_note": ("本期线索 = 获取日期在本期内的线索(同一筛选条件);转化、周期和流失均针对这批线索,截至 {as_of}。",
                    "This period's leads = leads acquired in the period (same filter); their conversion, cycle "
                    "and losses are counted up to {as_of}."),
    "activity_note": ("期内动态按事件日期统计,与线索获取日期无关:本期签约 {won} 单(其中 {won_early} 单来自更早获取的线索),"
                      "本期流失 {lost} 条(其中 {lost_early} 条来自更早获取的线索)。",
                      "Activity in the period is dated by the event, whatever the acquisition date: {won} deals won "
                      "({won_early} from leads acquired earlier), {lost} leads lost ({lost_early} acquired earlier)."),
    "undated_lost_note": ("{n} 条流失线索没有流失日期,无法归入任何周期。", "Not in any period: {n} lost leads without a loss date."),
    "t_entries": ("本期各阶段进入次数", "Stage entries dated in the period"),
    # tables
    "c_stage": ("阶段", "Stage"),
    "c_reached": ("到达", "Reached"),
    "c_step": ("步骤转化率", "Step conversion"),
    "c_step_prev": ("上期步骤转化率", "Previous step conv."),
    "c_dropped": ("流失于此", "Lost here"),
    "c_open": ("停留于此(未结束)", "Open here"),
    "c_entries": ("进入次数", "Entries"),
    "c_leads": ("线索数", "Leads"),
    "c_n": ("已完成区间", "Completed"),
    "c_q1": ("下四分位(天)", "Q1 (days)"),
    "c_median": ("中位数(天)", "Median (days)"),
    "c_q3": ("上四分位(天)", "Q3 (days)"),
    "c_mean": ("平均(天)", "Mean (days)"),
    "c_in_progress": ("进行中", "In progress"),
    "c_expected": ("预期天数", "Expected days"),
    "c_reason": ("流失原因", "Loss reason"),
    "c_count": ("数量", "Count"),
    "c_share": ("占比", "Share"),
    "c_cum": ("累计占比", "Cumulative share"),
    "c_lost": ("流失", "Lost"),
    "c_won": ("成交", "Won"),
    "c_conversion": ("转化率", "Conversion"),
    "c_ci_low": ("区间下限", "CI low"),
    "c_ci_high": ("区间上限", "CI high"),
    "c_win_rate": ("赢单率", "Win rate"),
    "c_cycle": ("周期中位数(天)", "Median cycle (days)"),
    "c_stalled": ("停滞", "Stalled"),
    "c_rep": ("销售代表", "Sales rep"),
    "c_source": ("来源渠道", "Source"),
    "c_lead_id": ("线索编号", "Lead ID"),
    "c_customer": ("客户名称", "Customer"),
    "c_idle": ("未跟进天数", "Idle days"),
    "c_days_in_stage": ("本阶段天数", "Days in stage"),
    "c_over": ("超出天数", "Days over"),
    "c_expected_close": ("预计转化时间", "Expected close"),
    "c_days_past": ("逾期天数", "Days past"),
    "c_metric": ("指标", "Metric"),
    "c_last_activity": ("最近跟进", "Last activity"),
    "c_entered_at": ("进入阶段时间", "Entered stage"),
    "c_loss_rate": ("该阶段流失率", "Loss rate here"),
    "c_top_reason": ("主要原因", "Top reason"),
    "c_action": ("建议", "Action"),
    "c_basis": ("依据", "Based on"),
    "c_value": ("数值", "Value"),
    # section 2-6 texts
    "t_funnel": ("阶段转化明细", "Stage conversion"),
    "t_time": ("各阶段停留时间", "Time in stage"),
    "time_note": ("箱体为已完成区间的四分位,须线为最小–最大值;仍在阶段中的线索(进行中)单独计数,不计入箱体。",
                  "Boxes show quartiles of completed intervals, whiskers min–max; leads still in a stage (in "
                  "progress) are counted beside, never in the box."),
    "cycle_sentence": ("成交线索从获取到签约的周期:中位数 {median} 天(四分位 {q1}–{q3} 天,平均 {mean} 天,共 {n} 单{reported})。",
                       "Acquisition to signed deal: median {median} days (quartiles {q1}–{q3}, mean {mean}, {n} deals{reported})."),
    "cycle_reported": (",其中 {k} 单使用表中填写的周期", ", {k} of them from the reported cycle"),
    "cycle_none": ("本期线索中尚无成交,无法计算转化周期。", "No deal yet among this period's leads: no cycle time."),
    "t_loss": ("流失原因(帕累托)", "Loss reasons (Pareto)"),
    "t_loss_stage": ("流失发生的阶段", "Stage where leads were lost"),
    "top3": ("流失原因 TOP-3:{items}。", "Top-3 loss reasons: {items}."),
    "top_item": ("「{reason}」{count} 条({share})", "“{reason}” {count} ({share})"),
    "no_loss": ("本期线索中没有流失。", "No lost lead among this period's leads."),
    "t_reps": ("销售代表排行(按转化率 95% 区间下限排序)", "Sales reps (sorted by the lower bound of the 95% interval)"),
    "t_sources": ("来源渠道", "Sources"),
    "reps_note": ("转化率 = 成交 / 线索;区间为 95% Wilson 区间,线索少的代表区间更宽,不会因 1 单成交而排第一。团队转化率 {team}。",
                  "Conversion = won / leads; the 95% Wilson interval is wide for reps with few leads, so 1 of 1 "
                  "does not top the board. Team conversion {team}."),
    "followup_note": ("截至 {as_of}(本期末或数据最新日期,取较早者),范围内所有获取于本期末之前、状态仍为未跟进/跟进中的线索;"
                      "状态为当前状态。",
                      "As of {as_of} (the period's end or the data's latest date, whichever is earlier), all leads "
                      "acquired by the period's end that are still untouched/active; statuses are current ones."),
    "t_stalled": ("异常跟进:超过 {n} 天无进展", "Stalled: no progress for more than {n} days"),
    "t_overdue": ("超出阶段预期天数", "Over the stage's expected days"),
    "t_past_close": ("已过预计转化时间", "Past expected close"),
    "k_stalled": ("异常跟进", "Stalled"),
    "k_overdue": ("超期停留", "Overdue in stage"),
    "k_past_close": ("已过预计转化时间", "Past expected close"),
    "list_cut": ("仅显示前 {shown} 条,共 {total} 条;完整名单见 XLSX 版本。", "First {shown} of {total} shown; the XLSX holds the full list."),
    "none": ("无", "None"),
    "unspecified": ("未填写", "unspecified"),
    "actions_intro": ("以下建议由本期数据自动得出,每条注明依据的指标,供复盘讨论。", "Derived from this period's figures; each names the figure behind it, for the review to discuss."),
    "no_actions": ("本期数据不足以得出建议。", "Not enough data this period to suggest actions."),
    # actions
    "a_weak_step": ("优先改进「{stage}」环节:从「{prev}」进入该阶段的转化率仅 {rate},为全漏斗最低。建议梳理该阶段的话术与方案模板,并组织专项培训。",
                    "Fix the “{stage}” step first: only {rate} of leads move on from “{prev}”, the lowest step in "
                    "the funnel. Review its scripts and proposal templates and train the team on it."),
    "a_weak_step_basis": ("步骤转化率 {prev} → {stage}:{rate}(上期 {prev_rate})", "Step conversion {prev} → {stage}: {rate} (previous {prev_rate})"),
    "a_slow_stage": ("缩短「{stage}」停留时间:中位数 {median} 天{over},是耗时最长的阶段。建议明确该阶段的推进动作与时限,经理定期检查。",
                     "Shorten “{stage}”: median {median} days{over}, the slowest stage. Set clear next steps and "
                     "deadlines for it and have managers check them."),
    "a_over": (",超出预期 {expected} 天", ", above the expected {expected} days"),
    "a_slow_stage_basis": ("阶段停留中位数 {stage}:{median} 天(已完成 {n} 个区间)", "Median time in {stage}: {median} days ({n} completed intervals)"),
    "a_rep_low": ("安排资深销售带教 {rep}:其转化率 {rate}(95% 区间 {low}–{high})明显低于团队 {team}。建议复盘其流失线索,共同跟进高潜力线索。",
                  "Pair {rep} with a senior rep: conversion {rate} (95% interval {low}–{high}) is clearly below the "
                  "team's {team}. Review their lost leads together and co-handle high-potential ones."),
    "a_rep_high": ("分享 {rep} 的成功做法:其转化率 {rate}(95% 区间 {low}–{high})明显高于团队 {team}。建议在周会复盘其成交案例,并把高潜力线索(预算匹配、需求明确)优先分配给资深销售。",
                   "Share what {rep} does: conversion {rate} (95% interval {low}–{high}) is clearly above the "
                   "team's {team}. Walk through their won deals in the weekly meeting; route high-potential "
                   "leads (budget fits, need clear) to senior reps."),
    "a_rep_basis": ("{rep}:{won}/{leads} 成交,转化率 {rate},团队 {team}", "{rep}: {won} of {leads} won, conversion {rate}, team {team}"),
    "a_source_high": ("加大「{source}」渠道投入:该渠道转化率 {rate}(95% 区间 {low}–{high})明显高于整体 {team}。",
                      "Invest more in “{source}”: conversion {rate} (95% interval {low}–{high}) is clearly above the overall {team}."),
    "a_source_low": ("复核「{source}」渠道的线索质量:该渠道转化率 {rate}(95% 区间 {low}–{high})明显低于整体 {team}。建议收紧初步筛选标准。",
                     "Check lead quality from “{source}”: conversion {rate} (95% interval {low}–{high}) is clearly "
                     "below the overall {team}. Tighten the screening criteria for it."),
    "a_source_basis": ("{source}:{won}/{leads} 成交,转化率 {rate},整体 {team}", "{source}: {won} of {leads} won, conversion {rate}, overall {team}"),
    "a_loss": ("针对首要流失原因「{reason}」(占流失 {share})制定应对方案,例如准备应对话术、调整报价或方案,并在培训中演练。",
               "Answer the top loss reason “{reason}” ({share} of losses): prepare responses, adjust pricing or "
               "the proposal, and rehearse it in training."),
    "a_loss_basis": ("流失原因 TOP-1:{reason} {count} 条,占 {share}", "Top loss reason: {reason}, {count} leads, {share}"),
    "a_stalled": ("经理介入 {n} 条异常跟进线索(超过 {days} 天无进展),逐条确认下一步动作。",
                  "Managers step in on {n} stalled leads (no progress for more than {days} days) and agree a next step for each."),
    "a_stalled_basis": ("异常跟进:{n} 条,最长 {max} 天未跟进", "Stalled: {n} leads, longest idle {max} days"),
    "a_kpi": ("把整体转化率与转化周期纳入销售考核:本期整体转化率 {rate}(上期 {prev}),周期中位数 {cycle} 天。",
              "Put conversion and cycle time into the sales KPIs: overall conversion {rate} (previous {prev}), median cycle {cycle} days."),
    "a_kpi_basis": ("整体转化率与转化周期中位数", "Overall conversion and median cycle"),
    "fig_ref": ("依据", "Based on"),
    # review periods (docs/metrics.md): a young cohort, a previous period outside the data
    "young_note": ("本期线索尚新:截至 {as_of},其获取天数中位数为 {age} 天,低于转化周期中位数 {cycle} 天,"
                   "成交、转化和流失尚未全部发生,上述数字还会变化,不宜据此评判。",
                   "This period's leads are still young: at {as_of} their median age is {age} days, below the "
                   "median cycle time of {cycle} days, so their wins, conversion and losses are not all in yet "
                   "and these figures will still change; do not judge the period by them."),
    "young_actions": ("本期线索尚新(获取天数中位数 {age} 天,低于转化周期中位数 {cycle} 天),不据此提出改进建议;"
                      "请在复盘中查看最近一个已成熟的周期。",
                      "This period's leads are still young (median age {age} days, below the median cycle time "
                      "of {cycle} days): no improvement advice is drawn from them; review the latest mature period "
                      "instead."),
    "prev_none": ("上期({prev})在数据开始日期 {start} 之前,没有可对比的数据,不显示变化。",
                  "The previous period ({prev}) lies before the data starts ({start}): there is nothing to compare "
                  "with, so no change is shown."),
    "prev_partial": ("上期({prev})只有一部分在数据之内(数据从 {start} 开始),对比会失真,不显示变化。",
                     "Only part of the previous period ({prev}) lies inside the data (which starts {start}): a "
                     "comparison would mislead, so no change is shown."),
}


# Chinese sentences take full-width punctuation (funnel.text.zh_punct), whatever the catalogue above spells.
TEXT = {key: (zh_punct(zh), en) for key, (zh, en) in TEXT.items()}


def L(key: str, lang: str = "zh", **values: object) -> str:
    """The text ``key`` in ``lang`` with ``{placeholders}`` filled."""
    zh, en = TEXT[key]
    text = zh if lang == "zh" else en
    if not values:
        return text
    return text.format(**values) if lang == "zh" else en_plural(text.format(**values))  # "1 lead has"
