"""Chinese and English labels of the dashboard, and number formats that never show NaN / inf / None.

``t(key, lang, **values)`` returns the label in ``lang`` ("zh" or "en") with ``{name}`` placeholders
filled. Every key has both languages (a test checks it). Stage names are not here: they come from the
stage configuration (``Stage.name(lang)``).
"""

from __future__ import annotations

import math

from funnel.text import en_plural, zh_punct

DASH = "—"

LABELS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("线索转化漏斗", "Lead Funnel"),
    "page_data": ("数据导入", "Data"),
    "page_overview": ("总览", "Overview"),
    "page_cycle": ("转化周期", "Cycle time"),
    "page_loss": ("流失分析", "Loss analysis"),
    "page_team": ("团队", "Team"),
    "page_followup": ("异常跟进", "Follow-up"),
    "page_trends": ("趋势", "Trends"),
    "page_settings": ("设置", "Settings"),
    "page_presentation": ("演示模式", "Presentation"),
    "presentation_todo": ("演示模式由报告模块提供,尚未接入。", "Presentation mode comes with the report module; not wired in yet."),
    # sidebar
    "filters": ("筛选", "Filters"),
    "date_range": ("获取日期范围", "Acquisition date range"),
    "grain": ("周期粒度", "Period grain"),
    "grain_week": ("周", "Week"),
    "grain_month": ("月", "Month"),
    "grain_quarter": ("季度", "Quarter"),
    "sources": ("来源渠道", "Source"),
    "reps": ("销售代表", "Rep"),
    "managers": ("销售经理", "Manager"),
    "teams": ("团队", "Team"),
    "all": ("全部", "All"),
    "as_of": ("截至日期", "As-of date"),
    "as_of_help": ("默认为数据中最近一次发生事件的日期;在途时长和停滞天数都计算到这一天。",
                   "Defaults to the latest date something happened in the data; in-progress and idle days run to it."),
    "as_of_default": ("截至日期(默认 {date})", "As-of date (default {date})"),
    "use_today": ("使用今天", "Use today"),
    "stalled_days": ("停滞天数阈值", "Stalled after (days)"),
    "language": ("语言", "Language"),
    "reset_filters": ("重置筛选", "Reset filters"),
    "view_sentence": ("当前视图:{filter};截至 {as_of}", "Current view: {filter}; as of {as_of}"),
    "url_note_bad_date": ("链接参数 {param}={raw} 不是有效日期,已忽略。", "Link parameter {param}={raw} is not a valid date; ignored."),
    "url_note_bad_grain": ("链接参数 {param}={raw} 无效(可用 week/month/quarter),已使用 {fallback}。",
                           "Link parameter {param}={raw} is not valid (week/month/quarter); using {fallback}."),
    "url_note_bad_number": ("链接参数 {param}={raw} 不是 0–3650 之间的整数,已使用默认值。",
                            "Link parameter {param}={raw} is not a whole number 0–3650; using the default."),
    "url_note_bad_lang": ("链接参数 {param}={raw} 无效(可用 zh/en),已按浏览器语言显示。",
                          "Link parameter {param}={raw} is not valid (zh/en); using the browser language."),
    "url_note_unknown_value": ("链接参数 {param}={raw} 在当前数据中不存在,已忽略。",
                               "Link parameter {param}={raw} does not occur in the data; ignored."),
    "url_note_range_reversed": ("链接中的起止日期颠倒({raw}),已显示全部日期。",
                                "The link's date range is reversed ({raw}); showing all dates."),
    "store_busy": ("数据库正被其他进程使用(命令行导入或另一个看板)。请稍后刷新页面。",
                   "The database is in use by another process (a command-line import or another dashboard). Reload the page in a moment."),
    "store_reconnect": ("数据库连接出现严重错误,已重新连接。请刷新页面;已保存的数据不受影响。",
                        "The database connection hit a fatal error and was reset. Reload the page; saved data is unaffected."),
    "startup_problem": ("启动时导入示例数据或共享文件夹失败:{msg}", "Importing the sample data or the shared folder at start failed: {msg}"),
    "error_generic": ("出现了问题,页面无法显示这部分内容:{msg}", "Something went wrong and this part cannot be shown: {msg}"),
    # empty states
    "no_data": ("数据库中还没有线索。请到「数据导入」页上传 CSV/XLSX 文件。",
                "There are no leads yet. Upload a CSV/XLSX file on the Data page."),
    "empty_cohort": ("当前筛选没有选中任何线索。请放宽日期范围或清除筛选。",
                     "The current filters select no leads. Widen the date range or clear filters."),
    "undated_note": ("另有 {n} 条线索没有获取时间,未计入以上数字(它们无法归入日期范围)。",
                     "Not counted above: {n} more leads without an acquisition date, which no date range can hold."),
    "one_rep_note": ("当前筛选只有一行,无法做对比。", "Only one row in the current filter; there is nothing to compare."),
    "unassigned": ("(未填写)", "(not given)"),
    # downloads
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 XLSX", "Download XLSX"),
    "download_png": ("下载 PNG", "Download PNG"),
    "download_svg": ("下载 SVG", "Download SVG"),
    # overview
    "kpi_leads": ("线索数", "Leads"),
    "kpi_won": ("成交", "Won"),
    "kpi_conversion": ("整体转化率", "Overall conversion"),
    "kpi_win_rate": ("赢单率", "Win rate"),
    "kpi_cycle": ("转化周期中位数", "Median cycle"),
    "kpi_window_period": ("核心指标:{period} 获取的线索(截至日期 {as_of} 之前最后一个完整的{grain}),箭头对比上一{grain} {previous}。"
                          "下方漏斗与表格为筛选范围内的全部线索。",
                          "Tiles: leads acquired in {period}, the last whole {grain} before the as-of date {as_of}; "
                          "the arrows compare it with the {grain} before, {previous}. The funnel and table below "
                          "cover every lead of the filter."),
    "kpi_window_range": ("核心指标:获取于 {period} 的线索;箭头对比之前同样长的区间 {previous}。",
                         "Tiles: leads acquired {period}; the arrows compare it with the window of the same length "
                         "before it, {previous}."),
    "kpi_prev_none": ("不显示对比箭头:之前的区间 {previous} 在数据开始日期 {start} 之前,没有数据可比。",
                      "No arrows: the window before, {previous}, lies before the data starts ({start}); there is "
                      "nothing to compare with."),
    "kpi_prev_partial": ("不显示对比箭头:之前的区间 {previous} 只有一部分在数据之内(数据从 {start} 开始),对比会失真。",
                         "No arrows: only part of the window before, {previous}, lies inside the data (which starts "
                         "{start}); a comparison would mislead."),
    "kpi_young": ("这批线索尚新:截至 {as_of},其获取天数中位数为 {age} 天,低于转化周期中位数 {cycle} 天,成交、转化率和周期"
                  "尚未全部发生,因此只显示线索数的变化,不宜据此评判。",
                  "These leads are still young: at {as_of} their median age is {age} days, below the median cycle "
                  "time of {cycle} days, so their wins, conversion and cycle are not all in yet; only the change in "
                  "leads is shown, and they should not be judged by these figures."),
    "report_section": ("报告", "Report"),
    "report_period": ("报告周期", "Report period"),
    "report_caption": ("线索转化分析报告:{period},范围:{filter},截至 {as_of};与命令行 python -m funnel report 生成的内容相同,点击按钮时生成。",
                       "The lead conversion analysis report of {period}, scope: {filter}, as of {as_of}; the same "
                       "as python -m funnel report makes, built when you click."),
    "report_all_leads": ("全部线索", "all leads"),
    "report_no_period": ("还没有已结束的周期可出报告。", "No period has ended yet to report on."),
    "report_html": ("下载 HTML 报告", "HTML report"),
    "report_xlsx": ("下载 XLSX 报告", "XLSX report"),
    "report_pdf": ("下载 PDF 报告", "PDF report"),
    "funnel_title": ("销售漏斗:各阶段到达数与阶段转化率", "Sales funnel: leads reaching each stage and step conversion"),
    "funnel_caption": ("{leads} 条线索中有 {won} 条到达「{won_stage}」,整体转化率 {conversion};赢单率 {win_rate}(成交 {won} / 成交+流失 {closed})。",
                       "{won} of {leads} leads reached “{won_stage}”: overall conversion {conversion}; win rate {win_rate} (won {won} / won+lost {closed})."),
    "stage_table_title": ("各阶段流失与在途", "Drop-off and open leads per stage"),
    "stage_table_caption": ("到达数 = 进入下一阶段 + 在此阶段流失 + 仍停留在此阶段(跟进中/未跟进)。",
                            "Reached = went on to the next stage + lost at this stage + still open at this stage."),
    "bottleneck_none": ("数据不足,无法判断瓶颈。", "Not enough data to name a bottleneck."),
    "no_stage_reached": ("没有线索到达「{stage}」。", "No lead reached “{stage}”."),
    # column names
    "col_stage": ("阶段", "Stage"),
    "col_reached": ("到达数", "Reached"),
    "col_step_conversion": ("阶段转化率", "Step conversion"),
    "col_conversion_from_start": ("相对首阶段", "Of all leads"),
    "col_dropped": ("流失", "Dropped"),
    "col_open": ("在途", "Open"),
    "col_in_progress": ("进行中区间", "In progress"),
    "col_n": ("完成区间数", "Completed intervals"),
    "col_q1": ("下四分位(天)", "Q1 (days)"),
    "col_median": ("中位数(天)", "Median (days)"),
    "col_q3": ("上四分位(天)", "Q3 (days)"),
    "col_mean": ("平均(天)", "Mean (days)"),
    "col_expected_days": ("预期天数", "Expected days"),
    "col_reason": ("流失原因", "Loss reason"),
    "col_category": ("原因类别", "Category"),
    "col_count": ("数量", "Count"),
    "col_share": ("占比", "Share"),
    "col_cumulative_share": ("累计占比", "Cumulative share"),
    "col_loss_rate": ("该阶段流失率", "Loss rate at stage"),
    "col_entered_at": ("进入本阶段", "Entered stage"),
    "col_lead_id": ("线索编号", "Lead ID"),
    "col_customer": ("客户名称", "Customer"),
    "col_rep": ("销售代表", "Rep"),
    "col_manager": ("销售经理", "Manager"),
    "col_team": ("团队", "Team"),
    "col_source": ("来源渠道", "Source"),
    "col_idle_days": ("停滞天数", "Idle days"),
    "col_days_in_stage": ("本阶段天数", "Days in stage"),
    "col_days_overdue": ("超期天数", "Days overdue"),
    "col_days_past": ("逾期天数", "Days past"),
    "col_expected_close": ("预计转化时间", "Expected close"),
    "col_last_activity": ("最近动作", "Last activity"),
    "col_leads": ("线索数", "Leads"),
    "col_won": ("成交", "Won"),
    "col_lost": ("流失", "Lost"),
    "col_conversion": ("转化率", "Conversion"),
    "col_ci_low": ("95%区间下限", "95% CI low"),
    "col_ci_high": ("95%区间上限", "95% CI high"),
    "col_win_rate": ("赢单率", "Win rate"),
    "col_median_cycle": ("周期中位数(天)", "Median cycle (days)"),
    "col_stalled": ("停滞", "Stalled"),
    "col_activities_per_lead": ("人均动作数", "Activities per lead"),
    "col_period": ("周期", "Period"),
    "col_file": ("文件", "File"),
    "col_row": ("行号", "Row"),
    "col_column": ("列", "Column"),
    "col_raw_value": ("原始值", "Value as written"),
    "col_problem": ("问题", "Problem"),
    "col_raw_values": ("原始行", "Row as written"),
    "col_format": ("格式", "Format"),
    "col_rows_read": ("读取行", "Rows read"),
    "col_rows_accepted": ("接受", "Accepted"),
    "col_rows_rejected": ("拒绝", "Rejected"),
    "col_rows_warned": ("有警告", "Warned"),
    "col_rows_blank": ("空行", "Blank"),
    "col_rows_duplicate": ("重复", "Duplicate"),
    "col_started_at": ("开始时间", "Started"),
    "col_who": ("操作人", "By"),
    "col_status": ("状态", "Status"),
    "col_message": ("说明", "Message"),
    "col_notes": ("备注", "Notes"),
    "col_file_column": ("文件列", "File column"),
    "col_canonical": ("对应字段", "Maps to"),
    "col_sample": ("示例值", "Sample values"),
    "col_key": ("键", "Key"),
    "col_order": ("顺序", "Order"),
    "col_name_zh": ("中文名", "Chinese name"),
    "col_name_en": ("英文名", "English name"),
    "col_definition": ("定义", "Definition"),
    "col_kind": ("类型", "Kind"),
    "col_synonym": ("同义词", "Synonym"),
    "col_keyword": ("关键词", "Keyword"),
    "col_days": ("天数", "Days"),
    "col_entries": ("进入次数", "Entries"),
    # cycle page
    "tis_title": ("各阶段停留时间(已完成区间)", "Time in stage (completed intervals)"),
    "tis_caption": ("箱线为已完成停留区间的四分位数;仍在进行中的区间不计入,单独列出。{details}",
                    "Boxes show quartiles of completed stays; stays still in progress are not mixed in and are listed apart. {details}"),
    "tis_stage_detail": ("「{stage}」中位数 {median} 天(n={n},进行中 {in_progress})", "“{stage}” median {median} days (n={n}, in progress {in_progress})"),
    "tis_empty": ("当前筛选下没有已完成的阶段停留区间(需要带日期的阶段记录)。",
                  "No completed stage stays in the current filter (dated stage entries are needed)."),
    "cycle_title": ("转化周期分布(获取到成交,天)", "Cycle time distribution (acquired to won, days)"),
    "cycle_caption": ("{n} 条成交线索,周期中位数 {median} 天(四分位 {q1}–{q3} 天,平均 {mean} 天)。",
                      "{n} won leads: median cycle {median} days (quartiles {q1}–{q3} days, mean {mean} days)."),
    "cycle_reported_note": ("其中 {n} 条只有表格中填写的「转化周期(天)」,直接采用了该值。",
                            "{n} of them only had the reported “cycle (days)” column, which was used as written."),
    "cycle_empty": ("当前筛选没有成交线索,无法计算转化周期。", "No won leads in the current filter: no cycle time to show."),
    # loss page
    "pareto_title": ("流失原因帕累托图", "Loss reasons (Pareto)"),
    "pareto_caption": ("{lost} 条流失线索。前三大原因:{top3}。累计占比达到 80% 需要 {k} 个原因。",
                       "{lost} lost leads. Top 3 reasons: {top3}. {k} reasons make up 80% of losses."),
    "top3_title": ("流失原因 TOP-3", "Top 3 loss reasons"),
    "loss_empty": ("当前筛选没有流失线索。", "No lost leads in the current filter."),
    "loss_by_stage_title": ("按阶段的流失", "Losses by stage"),
    "loss_by_stage_caption": ("流失最多的阶段是「{stage}」({n} 条)。", "Most leads were lost at “{stage}” ({n})."),
    "loss_categories_title": ("原因类别", "Reason categories"),
    "loss_categories_caption": ("按设置页的关键词表归类;未匹配的原因归入「其他」。",
                                "Grouped by the keyword table of the Settings page; reasons matching no keyword are “other”."),
    "unspecified": ("未填写", "unspecified"),
    # team page
    "team_tab_rep": ("销售代表", "Reps"),
    "team_tab_manager": ("销售经理", "Managers"),
    "team_tab_team": ("团队", "Teams"),
    "team_tab_source": ("来源渠道", "Sources"),
    "team_ci_title": ("转化率及 95% 置信区间", "Conversion with 95% interval"),
    "team_caption": ("按转化率区间下限排序(样本少的不会排在前面)。排名第一:{name},转化率 {conversion}(区间 {low}–{high},{won}/{leads})。",
                     "Sorted by the lower bound of the conversion interval (small samples do not top the board). First: {name}, conversion {conversion} (interval {low}–{high}, {won}/{leads})."),
    "team_empty": ("当前筛选下没有可排名的{what}。", "No {what} to rank in the current filter."),
    "team_no_roster": ("数据中没有团队信息(上传花名册文件可补充销售经理和团队)。",
                       "The data has no team information (upload a roster file to add managers and teams)."),
    # follow-up page
    "fu_stalled": ("停滞线索", "Stalled leads"),
    "fu_overdue": ("阶段超期", "Overdue in stage"),
    "fu_past_close": ("超过预计转化时间", "Past expected close"),
    "fu_stalled_caption": ("{n} 条在途线索超过 {days} 天没有任何动作(截至 {as_of})。", "{n} open leads had no action for more than {days} days (as of {as_of})."),
    "fu_overdue_caption": ("{n} 条在途线索在当前阶段停留超过该阶段的预期天数。", "{n} open leads stayed in their current stage longer than its expected days."),
    "fu_past_close_caption": ("{n} 条在途线索的预计转化时间早于 {as_of}。", "{n} open leads have an expected close date before {as_of}."),
    "fu_none": ("没有需要跟进的线索。", "Nothing to follow up."),
    "fu_first_rows": ("下表列出最紧急的 {shown} 条(共 {total} 条);下载文件包含全部。",
                      "The table lists the {shown} most urgent of {total}; the download holds them all."),
    # trends page
    "trend_leads_title": ("每{grain}新增线索与成交", "Leads and won per {grain}"),
    "trend_conversion_title": ("每{grain}转化率", "Conversion per {grain}"),
    "trend_cycle_title": ("每{grain}转化周期中位数", "Median cycle per {grain}"),
    "trend_entries_title": ("每{grain}各阶段进入次数", "Stage entries per {grain}"),
    "trend_caption": ("共 {n} 个{grain}。最近一期 {period}:新增 {leads} 条,成交 {won} 条,转化率 {conversion},周期中位数 {cycle} 天。",
                      "{n} periods ({grain}). Latest, {period}: {leads} leads, {won} won, conversion {conversion}, median cycle {cycle} days."),
    "trend_entries_caption": ("按阶段进入日期统计(不论线索何时获取),共 {n} 次带日期的阶段进入。",
                              "Counted by the date of stage entry (whatever the acquisition date): {n} dated stage entries."),
    "trend_empty": ("当前筛选没有可显示的趋势。", "No trend to show for the current filter."),
    "metric_leads": ("线索数", "Leads"),
    "metric_won": ("成交", "Won"),
    "metric_conversion": ("转化率", "Conversion"),
    "metric_cycle": ("周期中位数(天)", "Median cycle (days)"),
    # data page
    "upload_label": ("上传 CSV / XLSX 文件(可多选,合并为一个数据集)", "Upload CSV / XLSX files (several form one dataset)"),
    "upload_help": ("支持模板格式、阶段日志、宽表(每阶段一列日期)和花名册;每个文件最大 {mb} MB。",
                    "Template, stage log, wide stage dates and roster files; up to {mb} MB each."),
    "detected_format": ("识别到的格式", "Detected format"),
    "format_auto": ("自动识别", "Detect automatically"),
    "format_template": ("A. 线索模板(每行一条线索)", "A. Lead template (one row per lead)"),
    "format_events": ("B. 阶段日志(每行一次阶段进入)", "B. Event log (one row per stage entry)"),
    "format_wide": ("C. 宽表(每阶段一列日期)", "C. Wide stage dates"),
    "format_roster": ("D. 花名册(销售代表 → 经理/团队)", "D. Roster (rep -> manager / team)"),
    "format_mapped": ("自定义字段映射", "Custom column mapping"),
    "format_unknown": ("无法识别", "Not recognised"),
    "confirm_format": ("确认导入格式", "Confirm the format"),
    "file_detected": ("{file}:识别为 {format}", "{file}: detected as {format}"),
    "file_unreadable": ("{file}:{msg}", "{file}: {msg}"),
    "mapping_needed": ("{file} 的列名无法全部识别。请在下表为每一列选择对应字段(不需要的列留空)。",
                       "Some columns of {file} are not recognised. Pick the field each column maps to (leave unused columns empty)."),
    "mapping_profile_name": ("映射方案名称(保存到 data/profiles/)", "Mapping profile name (saved into data/profiles/)"),
    "mapping_save": ("保存映射方案", "Save mapping profile"),
    "mapping_saved": ("映射方案已保存:{path}", "Mapping profile saved: {path}"),
    "mapping_use_profile": ("使用已保存的映射方案", "Use a saved mapping profile"),
    "mapping_none": ("(不使用)", "(none)"),
    "mapping_bad_name": ("方案名称只能包含字母、数字、中文、- 和 _。", "A profile name may hold letters, digits, Chinese, - and _ only."),
    "import_button": ("导入", "Import"),
    "importing": ("正在导入 {n} 个文件…", "Importing {n} files…"),
    "import_done": ("导入完成:接受 {accepted} 行,拒绝 {rejected} 行,警告 {warned} 行。", "Import done: {accepted} rows accepted, {rejected} rejected, {warned} with warnings."),
    "import_unchanged": ("这些文件之前已导入过,数据没有变化。", "These files were imported before; nothing changed."),
    "import_failed": ("导入失败,没有写入任何数据:{msg}", "Import failed, nothing was written: {msg}"),
    "report_title": ("校验报告", "Validation report"),
    "warnings_title": ("警告(该行已保留,问题字段留空)", "Warnings (row kept, the field left empty)"),
    "rejects_title": ("被拒绝的行", "Rejected rows"),
    "no_warnings": ("没有警告。", "No warnings."),
    "no_rejects": ("没有被拒绝的行。", "No rejected rows."),
    "history_title": ("导入历史", "Import history"),
    "history_empty": ("还没有导入记录。", "No imports yet."),
    "shared_title": ("共享文件夹", "Shared folder"),
    "shared_caption": ("放入 {folder} 的文件会在启动时和点击下方按钮时导入(已导入过的内容跳过)。",
                       "Files placed in {folder} are imported on start and when you press the button below (content imported before is skipped)."),
    "shared_refresh": ("刷新共享文件夹", "Refresh shared folder"),
    "shared_nothing": ("共享文件夹中没有新文件。", "No new files in the shared folder."),
    "shared_refused": ("已拒绝(指向文件夹之外):{files}", "Refused (leads outside the folder): {files}"),
    "shared_failed": ("{file} 无法读取:{msg}", "{file} cannot be read: {msg}"),
    "rows_summary": ("读取 {read} · 接受 {accepted} · 拒绝 {rejected} · 警告 {warned} · 空行 {blank} · 重复 {duplicate}",
                     "read {read} · accepted {accepted} · rejected {rejected} · warned {warned} · blank {blank} · duplicate {duplicate}"),
    "skipped_unchanged": ("内容未变,已跳过", "unchanged, skipped"),
    # settings page
    "settings_stages": ("阶段", "Stages"),
    "settings_stages_caption": ("可重命名、调整顺序、增加或删除阶段并设置预期天数。必须且只能有一个类型为“成交”的阶段。保存后重新计算所有数字。",
                                "Rename, reorder, add or remove stages and set expected days. Exactly one stage must be of kind “won”. Saving recomputes every figure."),
    "settings_save_stages": ("保存阶段设置", "Save stages"),
    "settings_saved": ("已保存,所有数字已重新计算。", "Saved; every figure was recomputed."),
    "settings_invalid": ("无法保存:{msg}", "Cannot save: {msg}"),
    "settings_synonyms": ("阶段同义词", "Stage synonyms"),
    "settings_synonyms_caption": ("文件中出现的阶段名称(如「需求挖掘」「Prospecting」)对应到哪个阶段。",
                                  "Which stage a name found in files (such as 需求挖掘 or Prospecting) means."),
    "settings_save_synonyms": ("保存同义词", "Save synonyms"),
    "settings_categories": ("流失原因类别", "Loss-reason categories"),
    "settings_categories_caption": ("原因中包含关键词即归入对应类别。", "A reason containing the keyword goes into the category."),
    "settings_save_categories": ("保存类别", "Save categories"),
    "settings_general": ("默认值", "Defaults"),
    "settings_language": ("默认语言(链接和浏览器未指定时)", "Default language (when neither the link nor the browser says)"),
    "settings_stalled_default": ("默认停滞天数", "Default stalled days"),
    "settings_save_general": ("保存默认值", "Save defaults"),
    "kind_open": ("销售阶段", "sales stage"),
    "kind_won": ("成交", "won"),
    "kind_post_won": ("成交后", "after won"),
    "err_stage_key": ("第 {row} 行:键不能为空,且只能包含字母、数字和下划线。", "Row {row}: the key must not be empty and may hold letters, digits and _ only."),
    "err_stage_names": ("第 {row} 行:中文名和英文名都必须填写。", "Row {row}: both the Chinese and the English name are needed."),
    "err_stage_days": ("第 {row} 行:预期天数必须是非负数。", "Row {row}: expected days must be a number of 0 or more."),
    "err_stage_unknown_key": ("同义词「{synonym}」指向不存在的阶段 {key}。", "Synonym “{synonym}” points to the unknown stage {key}."),
    "other": ("其他", "other"),
    # optional sign-in (docs/security.md)
    "sign_in_title": ("请登录", "Please sign in"),
    "sign_in_text": ("此看板仅供授权人员查看。请使用公司账号登录。",
                     "This dashboard is for authorised people only. Sign in with your company account."),
    "sign_in_button": ("登录", "Sign in"),
    "sign_in_unavailable": ("已配置登录,但服务器缺少 Authlib 组件(pip install \"streamlit[auth]\")。请联系管理员。",
                            "Sign-in is configured but the server lacks Authlib (pip install \"streamlit[auth]\"). Contact the administrator."),
    "sign_in_misconfigured": ("无法读取 .streamlit/secrets.toml,看板暂不开放。请联系管理员检查该文件。",
                              "The .streamlit/secrets.toml file cannot be read, so the dashboard stays closed. Ask the administrator to check it."),
    "sign_out": ("退出登录", "Sign out"),
    "signed_in_as": ("已登录:{who}", "Signed in as {who}"),
    "scope_admin": ("管理员:可查看全部线索", "Admin: sees every lead"),
    "scope_manager": ("仅显示销售经理 {managers} 团队的线索({n} 名销售代表)",
                      "Showing only the leads of {managers}'s reps ({n} reps)"),
    "no_access": ("账号 {email} 还没有查看权限。请联系管理员把你加入访问配置。",
                  "{email} has no access yet. Ask the administrator to add you to the access configuration."),
    "no_reps": ("花名册中没有属于销售经理 {managers} 的销售代表,因此没有可显示的线索。请联系管理员导入或更新花名册。",
                "The roster lists no rep under manager {managers}, so there are no leads to show. Ask the administrator to import or update the roster."),
}


# Chinese sentences take full-width punctuation (funnel.text.zh_punct), whatever the catalogue above spells.
LABELS = {key: (zh_punct(zh), en) for key, (zh, en) in LABELS.items()}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The label ``key`` in ``lang`` with placeholders filled; an unknown key is returned as is."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    if not values:
        return text
    return text.format(**values) if lang == "zh" else en_plural(text.format(**values))  # "1 lead has"


def _undefined(value: object) -> bool:
    """None, NaN, inf, pd.NA, NaT and anything that is not a number."""
    if value is None:
        return True
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
    return math.isnan(number) or math.isinf(number)


def fmt_pct(value: object, digits: int = 1) -> str:
    """0.125 -> '12.5%'; undefined (None, NaN, inf) -> '—'."""
    if _undefined(value):
        return DASH
    return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


def fmt_num(value: object, digits: int = 0) -> str:
    """A count or a number of days with thousands separators; undefined -> '—'."""
    if _undefined(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    if digits == 0:
        return f"{round(number):,}"
    return f"{number:,.{digits}f}"


def fmt_days(value: object) -> str:
    """Days with one decimal when fractional (12.5), whole otherwise (12); undefined -> '—'."""
    if _undefined(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.0f}" if abs(number - round(number)) < 0.05 else f"{number:,.1f}"


def grain_word(grain: str, lang: str) -> str:
    return t(f"grain_{grain}", lang)
