"""Generate a realistic, deterministic lead-funnel dataset, and write it the way real files look.

``generate(n_leads)`` returns clean canonical frames (SPEC §2 column names, stage keys, status codes):

* ``leads``: one row per lead: lead_id, source, customer, contact, contact_info, acquired_at, current_stage,
  stage_entered_at, expected_close, rep, manager, status (untouched/active/won/lost), cycle_days_reported,
  lost_reason (as written, messy variants included), lost_at, notes, amount (yuan), actions (关键动作记录 text);
* ``events``: one row per dated entry of a lead into a stage: lead_id, stage, entered_at;
* ``roster``: one row per rep: rep, manager, team;
* ``problems``: one row per planted data-quality case: lead_id, problem, stage, detail
  (``before_acquisition``, ``cycle_mismatch``, ``missing_acquired_at``).

The writers turn the frames into the files a sales team would hand over: the seed template as XLSX
(``线索跟踪表.xlsx``: title row, the seed's 16 headers, Chinese stage names with short forms and stray spaces,
names with a trailing ``*``, ``-`` for empty, mixed date spellings, phone numbers stored as numbers) or as CSV,
the stage log as GB18030 CSV (``阶段记录.csv``) and the roster as UTF-8-with-BOM CSV (``销售团队.csv``).
The presentational noise comes from its own seed, so the same frames always give the same files.

Everything is vectorised (numpy + pyarrow); only the XLSX writer loops over rows (xlsxwriter has no bulk API).

    python data/generate_sample.py                       # regenerate data/sample/ (2,000 leads), byte-identical
    python data/generate_sample.py --n-leads 1000000 --out /tmp/big
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # run as a script: make the funnel package importable
    sys.path.insert(0, str(_ROOT))

from funnel.stages import DEFAULT_STAGES  # noqa: E402

DEFAULT_SEED = 20240101
DEFAULT_START = dt.date(2024, 1, 1)
SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SAMPLE_N_LEADS = 2000

TEMPLATE_XLSX = "线索跟踪表.xlsx"
TEMPLATE_CSV = "线索跟踪表.csv"
STAGE_LOG_CSV = "阶段记录.csv"
ROSTER_CSV = "销售团队.csv"

TEMPLATE_TITLE = "销售线索转化跟踪分析表"
# The seed's section 三 headers, spelled exactly as the seed spells them, in its order.
TEMPLATE_HEADERS = (
    "线索编号", "来源渠道", "客户名称", "联系人", "联系方式", "获取时间", "当前阶段", "进入阶段时间", "预计转化时间",
    "销售代表*", "销售经理*", "关键动作记录(时间+内容)", "结果状态(未跟进/跟进中/已成交/已流失)", "转化周期(天)",
    "流失原因(若流失)", "备注",
)
# Two columns real exports add after the seed's 16 (SPEC §2): the deal value and the date the lead was lost.
EXTRA_HEADERS = ("金额", "流失时间")
EXPORT_HEADERS = TEMPLATE_HEADERS + EXTRA_HEADERS
# The sample also ships the export of a month before (the same leads as they stood then), imported first, so
# the Review page compares two uploads and has a period bridge without the user uploading anything.
EARLIER_TEMPLATE_XLSX = "线索跟踪表-{month}.xlsx"  # sorts before 线索跟踪表.xlsx: imported first
STAGE_LOG_HEADERS = ("线索编号", "阶段", "进入时间")
ROSTER_HEADERS = ("销售代表", "销售经理", "团队")
XLSX_MAX_DATA_ROWS = 1_048_576 - 2  # Excel's sheet limit minus the title and header rows

LEAD_COLUMNS = (
    "lead_id", "source", "customer", "contact", "contact_info", "acquired_at", "current_stage", "stage_entered_at",
    "expected_close", "rep", "manager", "status", "cycle_days_reported", "lost_reason", "lost_at", "notes", "amount",
    "actions",
)
STATUSES = ("untouched", "active", "won", "lost")
STATUS_ZH = {"untouched": "未跟进", "active": "跟进中", "won": "已成交", "lost": "已流失"}

STAGE_KEYS = tuple(s.key for s in DEFAULT_STAGES)
# The simulation's path slots (_SLOT_STAGE) index these six default stages in this order.
if STAGE_KEYS != ("acquired", "screening", "discovery", "proposal", "won", "after_sales"):
    raise RuntimeError(f"generate_sample.py simulates the six default stages, found {STAGE_KEYS}")
STAGE_NAME_ZH = {s.key: s.name_zh for s in DEFAULT_STAGES}
# Short forms seen in real files (the seed's own example row says 需求挖掘); all are default synonyms.
STAGE_SHORT_ZH = {"discovery": "需求挖掘", "proposal": "方案谈判", "won": "成交"}

# --- the world -------------------------------------------------------------------------------------------------
# source, lead-id prefix, share of leads, conversion factor, median deal value (yuan)
SOURCES = (
    ("行业展会", "展会", 0.18, 1.15, 400_000),
    ("线上广告", "线上", 0.24, 0.70, 150_000),
    ("转介绍", "转介", 0.10, 1.80, 350_000),
    ("官网表单", "官网", 0.20, 0.95, 200_000),
    ("电话营销", "电销", 0.16, 0.60, 120_000),
    ("合作伙伴", "伙伴", 0.12, 1.30, 500_000),
)
TEAMS = ("华东", "华南", "华北")
TEAM_SHARE = (0.40, 0.32, 0.28)
MANAGERS = ("王芳", "陈刚", "赵敏")  # one per team
# rep, team index, share within team, conversion factor, speed factor (>1 = slower)
REPS = (
    ("李明", 0, 0.30, 1.35, 0.85), ("张伟", 0, 0.25, 1.00, 1.00), ("刘洋", 0, 0.25, 0.80, 1.15),
    ("杨静", 0, 0.20, 1.15, 0.90),
    ("黄磊", 1, 0.25, 0.90, 1.10), ("周婷", 1, 0.30, 1.25, 0.95), ("吴强", 1, 0.20, 0.70, 1.25),
    ("徐丽", 1, 0.25, 1.00, 1.00),
    ("孙浩", 2, 0.25, 1.10, 0.80), ("马超", 2, 0.25, 0.85, 1.20), ("朱琳", 2, 0.30, 1.05, 1.00),
    ("胡军", 2, 0.20, 0.75, 1.10),
)
LATE_JOINER = "孙浩"  # joins a quarter into the period; his region's earlier leads went to his teammates
CITIES = (
    (("上海", "021"), ("杭州", "0571"), ("苏州", "0512"), ("南京", "025"), ("宁波", "0574"), ("合肥", "0551")),
    (("深圳", "0755"), ("广州", "020"), ("厦门", "0592"), ("东莞", "0769"), ("佛山", "0757"), ("福州", "0591")),
    (("北京", "010"), ("天津", "022"), ("青岛", "0532"), ("济南", "0531"), ("石家庄", "0311"), ("太原", "0351")),
)
BRANDS = (
    "恒信", "华创", "博远", "中科", "鼎盛", "启明", "天合", "瑞丰", "金桥", "新锐", "宏图", "佳禾", "海纳", "卓越", "汇通",
    "明德", "远航", "致远", "同创", "领航", "九州", "星辰", "众联", "凯达", "万象", "盛世", "安泰", "永兴", "德润", "云帆",
    "智联", "精工", "立达", "东方", "嘉诚", "润泽", "华强", "方圆", "百川", "长风",
)
INDUSTRIES = ("科技", "制造", "物流", "医疗器械", "电子", "化工", "食品", "建材", "教育科技", "新能源", "软件", "贸易")
COMPANY_SUFFIXES = ("有限公司", "有限公司", "股份有限公司", "集团")
SURNAMES = ("张", "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗")
GIVEN_NAMES = ("伟", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "建华", "志强",
               "海燕", "晓东", "文博")
TITLES = ("总", "总", "经理", "经理", "工", "主任", "总监")
MOBILE_PREFIXES = (133, 135, 136, 137, 138, 139, 150, 151, 158, 159, 177, 182, 186, 187, 188, 189, 199)
NOTES = (
    "需协调技术支持*细化方案", "重点客户,优先跟进", "老客户转介绍", "客户要求加急交付", "需法务审核合同条款",
    "客户在比较三家供应商", "已发送报价单", "决策人出差,下周再约", "需要上门演示", "预算审批中",
)

# Funnel: probability of each step (acquired->screening, ->discovery, ->proposal, ->won) for an average lead;
# a lead's factor f (source x rep) multiplies the overall conversion, spread over the steps by STEP_WEIGHT.
STEP_P = np.array([0.92, 0.78, 0.66, 0.32])
STEP_WEIGHT = np.array([0.15, 0.25, 0.25, 0.35])
P_AFTER_SALES = 0.92
P_NEGLECTED = 0.025  # never followed up (stays 未跟进)
P_SKIP_SCREENING = 0.04
P_REVERSAL = 0.05  # of leads reaching proposal: back to discovery, then proposal again
P_SLOW_LOSS = 0.06  # of losers: the loss is recorded long after activity stopped (stalled before it)
# Days spent in a stage before the next one (median, lognormal sigma): acquired, screening, discovery,
# proposal, won -> after_sales.
STAGE_DAYS = ((2.0, 0.8), (5.0, 0.6), (15.0, 0.55), (12.0, 0.6), (10.0, 0.5))
LOSS_DAYS = ((12.0, 0.6), (8.0, 0.6), (20.0, 0.6), (18.0, 0.6))  # entry of the losing stage -> lost_at

REASONS = ("价格超出预算", "决策链不清晰", "竞品优势", "需求不明确", "预算冻结", "联系不上", "交付周期太长")
# P(reason | stage where the lead was lost), rows acquired..proposal, columns REASONS
REASON_P = np.array([
    [0.00, 0.00, 0.00, 0.35, 0.10, 0.55, 0.00],
    [0.15, 0.20, 0.00, 0.35, 0.20, 0.10, 0.00],
    [0.15, 0.30, 0.25, 0.20, 0.10, 0.00, 0.00],
    [0.45, 0.10, 0.25, 0.00, 0.05, 0.00, 0.15],
])
# Free-text spellings people type instead (stray spaces, full-width characters, other words).
REASON_VARIANTS = (
    (" 价格超出预算", "价格超出预算\u3000", "价格太高", "价格超出预算（３０％）", "报价超出预算"),
    ("决策链不清晰 ", "决策人不明确"),
    ("竞品优势（价格更低）", "选择了竞品", " 竞品优势"),
    ("需求不明确 ", "需求不明确。"),
    ("预算冻结 ", "预算暂停"),
    ("联系不上 ", "电话一直联系不上", "联系不上(空号)"),
    ("交付期太长", "交付周期太长 "),
)
P_REASON_VARIANT = 0.10
P_REASON_EMPTY = 0.05

# Key actions, per path slot (see _SLOT_STAGE): (first action of the stage, further actions).
# "{b}" is the budget in 万, "{c}" the contact, "{r}" the loss reason.
ACTIONS = (
    (("首次电话沟通,了解初步需求", "添加微信,发送产品资料", "客户填写表单,已回电", "电话未接通,已发短信"),
     ("再次致电,约定沟通时间", "发送公司介绍")),
    (("电话初筛,确认预算{b}万+", "完成线索初筛表,标记有效", "电话沟通,确认采购意向,决策人{c}"),
     ("补充确认决策链", "发送案例资料")),
    (("上门拜访,梳理核心痛点", "需求调研会,确认采购时间表", "电话沟通,确认采购ERP系统,预算{b}万"),
     ("提交客户需求分析报告", "电话沟通,了解竞品对比情况", "客户提出对交付周期的疑问,已协调供应链*回复")),
    (("提交初步方案", "方案演示,{c}参加"),
     ("报价谈判,客户要求降价10%", "方案修改后再次提交", "签署合作意向书", "技术答疑会")),
    (("客户需求变更,重新梳理需求",), ("补充调研",)),
    (("提交修订方案",), ("二次报价",)),
    (("签订正式合同,金额{b}万", "合同审批通过,签约"), ("收到首笔款项",)),
    (("产品验收完成", "启动实施,召开项目启动会"), ("售后回访,客户满意", "客户介绍新需求")),
)
LOSS_ACTIONS = ("客户反馈{r},暂停跟进", "确认流失:{r}")
FEEDBACK = ("", ",客户反馈积极", ",客户反馈中性", ",客户反馈消极")
ACTION_EXTRA_RATE = np.array([0.2, 0.3, 0.6, 0.6, 0.2, 0.2, 0.3, 0.3])  # Poisson mean of further actions per slot

# Path slots of a lead: the stages in the order a lead can enter them (slots 4-5 are the reversal).
_SLOT_STAGE = np.array([0, 1, 2, 3, 2, 3, 4, 5])
_N_SLOTS = 8

# Planted data-quality cases, as shares of leads (at least one each).
DQ_BEFORE_ACQ = 0.0025
DQ_CYCLE = 0.0015
DQ_MISSING_ACQ = 0.001


@dataclass(frozen=True)
class GeneratedData:
    """The generated dataset in canonical columns (see the module docstring for one row of each frame)."""

    leads: pd.DataFrame
    events: pd.DataFrame
    roster: pd.DataFrame
    problems: pd.DataFrame


# --- helpers ---------------------------------------------------------------------------------------------------
def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, dom)
        except ValueError:
            continue
    raise ValueError(day)


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(size))


def _pick(rng: np.random.Generator, options: int, size: int, p=None) -> np.ndarray:
    """Indices in range(options), drawn with probabilities p (vectorised inverse CDF)."""
    if p is None:
        return rng.integers(0, options, size)
    cdf = np.cumsum(np.asarray(p, dtype=float))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), options - 1)


def _poisson_small(rng: np.random.Generator, rates: np.ndarray, n: int, cap: int = 3) -> np.ndarray:
    """An (n, len(rates)) matrix of Poisson counts capped at ``cap`` (inverse CDF; faster than rng.poisson)."""
    k = np.arange(cap)
    pmf = np.exp(-rates)[:, None] * rates[:, None] ** k[None, :] / np.cumprod(np.r_[1, k[1:]])[None, :]
    cdf = np.cumsum(pmf, axis=1)  # P(X <= k), k < cap
    u = rng.random((n, len(rates)))
    return (u[:, :, None] >= cdf[None, :, :]).sum(axis=2, dtype=np.int8)


def _table(values) -> pa.Array:
    return pa.array(list(values), pa.string())


def _take(values, index: np.ndarray) -> pa.Array:
    return pc.take(values if isinstance(values, pa.Array) else _table(values), pa.array(index))


def _join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep)


def _to_str_series(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(values.to_pandas(), dtype="str") if len(values) else pd.Series([], dtype="str")


class _DateText:
    """Lookup tables from day offsets (relative to ``start``) to spelled dates; covers the data window."""

    def __init__(self, start: dt.date, low: int, high: int):
        self.low = low
        days = [start + dt.timedelta(days=int(k)) for k in range(low, high + 1)]
        self.iso = _table(d.isoformat() for d in days)
        self.slash = _table(f"{d.year}/{d.month}/{d.day}" for d in days)
        self.zh = _table(f"{d.year}年{d.month}月{d.day}日" for d in days)
        self.mmdd = _table(f"{d.month:02d}-{d.day:02d}" for d in days)

    def take(self, table: pa.Array, offsets: np.ndarray) -> pa.Array:
        return pc.take(table, pa.array(np.asarray(offsets, dtype=np.int64) - self.low))


# --- generation ------------------------------------------------------------------------------------------------
@dataclass
class _Paths:
    """Where each lead goes (one row per lead; day numbers are offsets from the start date)."""

    furthest: np.ndarray  # furthest stage it will reach if nothing stops the clock (0..5)
    neglected: np.ndarray  # never followed up
    loser: np.ndarray  # will be lost at its furthest stage
    reversal: np.ndarray  # goes back from proposal to discovery, then to proposal again
    slow: np.ndarray  # its loss is recorded long after activity stopped
    enter: np.ndarray  # (n, 6) entry day per stage
    slot_t: np.ndarray  # (n, 8) entry day per path slot (see _SLOT_STAGE)
    reached: np.ndarray  # (n, 8) the lead enters that slot at some time
    lost_day: np.ndarray  # day the loss is recorded (losers)


def _acquisitions(rng: np.random.Generator, n: int, start64: np.datetime64, n_days: int):
    """Source and acquisition day per lead, in order of acquisition (as a sheet grows).

    Seasonality (Spring Festival, summer and Golden Week dips), weekdays, slow growth; trade-show leads come
    in bursts after four shows.
    """
    day = np.arange(n_days)
    cal = start64 + day
    month_of = cal.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (cal.astype(np.int64) + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    month_w = np.array([0.85, 0.60, 1.10, 1.05, 1.00, 1.05, 0.90, 0.90, 1.10, 0.85, 1.15, 1.00])[month_of]
    weekday_w = np.array([1.10, 1.05, 1.0, 1.0, 0.95, 0.20, 0.12])[weekday]
    day_w = month_w * weekday_w * (1.0 + 0.15 * day / max(n_days, 1))
    src = _pick(rng, len(SOURCES), n, [s[2] for s in SOURCES])
    acq = _pick(rng, n_days, n, day_w)
    show = (src == 0) & (rng.random(n) < 0.6)
    show_days = (np.array([0.20, 0.44, 0.71, 0.85]) * n_days).astype(np.int64)
    burst = show_days[_pick(rng, 4, n)] + _pick(rng, 10, n, 0.7 ** np.arange(10))
    acq = np.where(show, np.minimum(burst, n_days - 1), acq).astype(np.int32)
    order = np.lexsort((rng.random(n), acq))
    return src[order].astype(np.int8), acq[order]


def _owners(rng: np.random.Generator, n: int, acq: np.ndarray, n_days: int):
    """Team (region), rep and city index per lead; the late joiner's early leads went to his teammates."""
    team = _pick(rng, 3, n, TEAM_SHARE).astype(np.int8)
    rep_team = np.array([r[1] for r in REPS])
    rep = np.empty(n, dtype=np.int8)
    for t in range(3):
        members = np.flatnonzero(rep_team == t)
        rows = np.flatnonzero(team == t)
        rep[rows] = members[_pick(rng, len(members), len(rows), [REPS[m][2] for m in members])]
    joiner = next(i for i, r in enumerate(REPS) if r[0] == LATE_JOINER)
    early = (rep == joiner) & (acq < n_days // 4)
    mates = np.array([i for i, r in enumerate(REPS) if r[1] == REPS[joiner][1] and i != joiner])
    rep[early] = mates[_pick(rng, len(mates), int(early.sum()))]
    city = _pick(rng, 6, n).astype(np.int8)
    return team, rep, city


def _paths(rng: np.random.Generator, n: int, acq: np.ndarray, conv_f: np.ndarray, speed: np.ndarray,
           amount: np.ndarray) -> _Paths:
    """Each lead's way through the funnel if nothing stopped the clock: stages reached, entry days, loss day."""
    p = np.minimum(0.97, STEP_P[None, :] * conv_f[:, None] ** STEP_WEIGHT[None, :])
    p[:, 3] *= np.clip((amount / 300_000) ** -0.08, 0.8, 1.2)  # big deals close a little less often
    advance = rng.random((n, 4)) < p
    del p
    furthest = np.argmin(np.concatenate([advance, np.zeros((n, 1), bool)], axis=1), axis=1).astype(np.int8)
    del advance
    furthest = np.where((furthest == 4) & (rng.random(n) < P_AFTER_SALES), 5, furthest).astype(np.int8)
    neglected = rng.random(n) < P_NEGLECTED
    furthest[neglected] = 0
    loser = ~neglected & (furthest < 4)

    dur = np.empty((n, 5), dtype=np.int32)  # days in each stage before the next; int32 keeps 5M leads small
    for s, (median, sigma) in enumerate(STAGE_DAYS):
        raw = _lognormal(rng, median * speed, sigma, n)
        dur[:, s] = np.floor(raw) if s == 0 else np.maximum(1, np.rint(raw))
    skip = (furthest >= 2) & (rng.random(n) < P_SKIP_SCREENING)
    dur[skip, 1] = 0
    reversal = (furthest >= 3) & (rng.random(n) < P_REVERSAL)
    rev_out = np.maximum(1, np.rint(dur[:, 3] * rng.uniform(0.3, 0.7, n))).astype(np.int32)
    rev_back = np.maximum(1, np.rint(_lognormal(rng, 7 * speed, 0.5, n))).astype(np.int32)
    dur[:, 3] = np.where(reversal, rev_out + rev_back + np.maximum(1, dur[:, 3] - rev_out), dur[:, 3])

    enter = np.empty((n, 6), dtype=np.int32)
    enter[:, 0] = acq
    enter[:, 1:] = acq[:, None] + np.cumsum(dur, axis=1)
    del dur
    rev_disc = enter[:, 3] + rev_out
    rev_prop = rev_disc + rev_back
    slot_t = np.stack([enter[:, 0], enter[:, 1], enter[:, 2], enter[:, 3], rev_disc, rev_prop, enter[:, 4],
                       enter[:, 5]], axis=1)
    reached = _SLOT_STAGE[None, :] <= furthest[:, None]
    reached[:, 4:6] = reversal[:, None]
    reached[:, 1] &= ~skip

    # Loss: some time after entering the last stage; slow losses are recorded long after activity stopped.
    last_entry = np.where(reversal & (furthest == 3), rev_prop, enter[np.arange(n), np.minimum(furthest, 3)])
    loss_median = np.array([m for m, _ in LOSS_DAYS])[np.minimum(furthest, 3)] * speed
    loss_delay = np.maximum(1, np.rint(_lognormal(rng, loss_median, 0.6, n))).astype(np.int32)
    slow = rng.random(n) < P_SLOW_LOSS
    loss_delay = np.where(slow, loss_delay * rng.uniform(3, 8, n).astype(np.int32), loss_delay)
    return _Paths(furthest, neglected, loser, reversal, slow, enter, slot_t, reached, last_entry + loss_delay)


def _action_days(rng: np.random.Generator, n: int, paths: _Paths, acq: np.ndarray, lost: np.ndarray, last: int,
                 missing: np.ndarray, stage_entered: np.ndarray):
    """The key actions (关键动作记录) as (lead, slot, day, first-of-its-stage) arrays, sorted by lead and day.

    One action when a stage is entered, a few more while in it, one when the lead is lost (slot 8). Activity
    fades before a loss. Only actions inside the data, less than a year after acquisition, and (for a lead
    without 获取时间) on or after its current stage's entry are kept.
    """
    enter, slot_t, furthest = paths.enter, paths.slot_t, paths.furthest
    leave = np.empty((n, _N_SLOTS), dtype=np.int32)  # when the lead leaves a slot (activity stops)
    leave[:, 0], leave[:, 1], leave[:, 2] = enter[:, 1], enter[:, 2], enter[:, 3]
    leave[:, 3] = np.where(paths.reversal, slot_t[:, 4], enter[:, 4])
    leave[:, 4], leave[:, 5] = slot_t[:, 5], enter[:, 4]
    leave[:, 6] = np.where(furthest >= 5, enter[:, 5], enter[:, 4] + 30)
    leave[:, 7] = enter[:, 5] + 60
    final_slot = np.where(paths.reversal & (furthest == 3), 5, np.minimum(furthest, 3))
    rows = np.flatnonzero(paths.loser)
    entered = slot_t[rows, final_slot[rows]]
    fade = entered + (paths.lost_day[rows] - entered) // 2
    leave[rows, final_slot[rows]] = np.where(paths.slow[rows], entered + 3, fade)
    del rows, entered, fade, final_slot
    act_slots = paths.reached & ~paths.neglected[:, None]
    counts = act_slots * (1 + _poisson_small(rng, ACTION_EXTRA_RATE, n))
    del act_slots
    cell = np.repeat(np.arange(n * _N_SLOTS, dtype=np.int64 if n * _N_SLOTS >= 2**31 else np.int32), counts.ravel())
    del counts
    a_lead, a_slot = cell // _N_SLOTS, (cell % _N_SLOTS).astype(np.int8)
    first = np.ones(len(cell), bool)
    first[1:] = cell[1:] != cell[:-1]
    a_entry = slot_t.ravel()[cell]
    touch = a_entry + np.floor(rng.random(len(cell)) * (np.maximum(0, leave.ravel()[cell] - a_entry) + 1))
    a_day = np.where(first & (a_slot > 0), a_entry, touch).astype(np.int32)
    del cell, a_entry, touch, leave
    l_lead = np.flatnonzero(lost)
    a_lead = np.concatenate([a_lead, l_lead.astype(a_lead.dtype)])
    a_slot = np.concatenate([a_slot, np.full(len(l_lead), _N_SLOTS, np.int8)])
    a_day = np.concatenate([a_day, paths.lost_day[l_lead]])
    first = np.concatenate([first, np.ones(len(l_lead), bool)])
    keep = (a_day <= last) & (a_day - acq[a_lead] < 365)
    keep &= ~missing[a_lead] | (a_day >= stage_entered[a_lead])
    a_lead, a_slot, a_day, first = a_lead[keep], a_slot[keep], a_day[keep], first[keep]
    del keep
    order = np.argsort((a_lead.astype(np.int64) << 24) | ((a_day.astype(np.int64) - a_day.min(initial=0)) << 4)
                       | a_slot, kind="stable")
    return a_lead[order], a_slot[order], a_day[order], first[order]


def generate(n_leads: int, seed: int = DEFAULT_SEED, start: dt.date = DEFAULT_START, months: int = 12, *,
             event_times: bool = False, with_actions: bool = True) -> GeneratedData:
    """A dataset of ``n_leads`` leads acquired over ``months`` months from ``start``, the same for the same seed.

    The data ends on the period's last day: events, actions and losses after it are not in the data, so leads
    acquired late are still open. ``event_times`` gives stage events (other than the acquisition) a time of
    day; ``with_actions=False`` leaves the ``actions`` text empty (faster at benchmark scale; the other
    columns stay the same).
    """
    if n_leads < 0:
        raise ValueError("n_leads must be >= 0")
    rng = np.random.default_rng(seed)
    n = int(n_leads)
    n_days = (_add_months(start, months) - start).days
    last = n_days - 1  # day offset of the data's last day
    start64 = np.datetime64(start, "D")

    src, acq = _acquisitions(rng, n, start64, n_days)
    team, rep, city = _owners(rng, n, acq, n_days)
    rep_team = np.array([r[1] for r in REPS])
    conv_f = np.array([s[3] for s in SOURCES])[src] * np.array([r[3] for r in REPS])[rep]
    speed = np.array([r[4] for r in REPS])[rep] * _lognormal(rng, 1.0, 0.15, n)
    amount = np.clip(_lognormal(rng, np.array([s[4] for s in SOURCES])[src], 0.75, n), 50_000, 2_000_000)
    amount = np.round(amount / 1000) * 1000
    paths = _paths(rng, n, acq, conv_f, speed, amount)
    del conv_f
    furthest, slot_t, enter = paths.furthest, paths.slot_t, paths.enter

    recorded = paths.reached & (slot_t <= last)
    current_slot = (_N_SLOTS - 1 - np.argmax(recorded[:, ::-1], axis=1)).astype(np.int8)
    won = (furthest >= 4) & (enter[:, 4] <= last)
    lost = paths.loser & (paths.lost_day <= last)

    # Planted data-quality cases.
    k_before, k_cycle, k_missing = (max(1, round(n * r)) if n else 0 for r in (DQ_BEFORE_ACQ, DQ_CYCLE, DQ_MISSING_ACQ))
    taken = np.zeros(n, bool)

    def choose(candidates: np.ndarray, k: int) -> np.ndarray:
        candidates = np.flatnonzero(candidates & ~taken)
        chosen = np.sort(rng.choice(candidates, min(k, len(candidates)), replace=False))
        taken[chosen] = True
        return chosen

    n_recorded = recorded.sum(axis=1)
    # Half of them a deal won before its lead was acquired, half an early stage typed before it.
    won_before = choose(won & (n_recorded >= 2) & ~paths.reversal, (k_before + 1) // 2)
    dq_before = np.sort(np.concatenate([won_before, choose((n_recorded >= 2) & ~paths.reversal,
                                                           k_before - len(won_before))]))
    second = np.argmax(recorded[dq_before, 1:], axis=1) + 1  # first stage after acquisition
    dq_slot = np.where(won[dq_before], 6, second)
    dq_day = acq[dq_before] - rng.integers(1, 31, len(dq_before))  # applied after the actions (true days)
    dq_cycle = choose(won, k_cycle)
    dq_missing = choose((current_slot >= 1) & ~paths.neglected, k_missing)
    recorded[dq_missing, 0] = False
    missing = np.zeros(n, bool)
    missing[dq_missing] = True
    stage_entered = slot_t[np.arange(n), current_slot]  # dq_before leads are never dq_missing ones

    a_lead, a_slot, a_day, first = _action_days(rng, n, paths, acq, lost, last, missing, stage_entered)
    slot_t[dq_before, dq_slot] = dq_day
    stage_entered = slot_t[np.arange(n), current_slot]
    n_actions = np.bincount(a_lead, minlength=n)

    # Status: untouched = open, still at acquisition, nothing done yet.
    untouched = ~won & ~lost & (current_slot == 0) & (n_actions == 0)
    del n_actions
    status = np.where(won, 2, np.where(lost, 3, np.where(untouched, 0, 1)))
    current_stage = _SLOT_STAGE[current_slot]

    # Loss reasons: a clean reason index by the stage where the lead was lost; the typed text comes later.
    reason = np.full(n, -1, np.int8)
    lost_rows = np.flatnonzero(lost)
    cdf = np.cumsum(REASON_P, axis=1)[np.minimum(current_stage[lost_rows], 3)]
    u = rng.random(len(lost_rows))
    reason[lost_rows] = np.minimum((u[:, None] >= cdf).sum(axis=1), len(REASONS) - 1)
    del lost_rows, cdf, u
    variant_u, empty_u, pick_u = rng.random(n), rng.random(n), rng.random(n)

    # Cycle as the rep wrote it: whole days from acquisition to the deal (planted disagreements).
    cycle = np.where(won, enter[:, 4] - acq, -1)
    true_cycle = enter[dq_cycle, 4] - acq[dq_cycle]
    shift = rng.integers(5, 31, len(dq_cycle))
    down = (rng.random(len(dq_cycle)) < 0.4) & (true_cycle >= shift)
    cycle[dq_cycle] = np.where(down, true_cycle - shift, true_cycle + shift)

    expected = acq + np.maximum(14, np.rint(_lognormal(rng, 55 * speed, 0.35, n))).astype(np.int32)
    expected_missing = (rng.random(n) < 0.04) | (untouched & (rng.random(n) < 0.5))
    rep_missing = untouched & (rng.random(n) < 0.25)  # not yet assigned
    manager_missing = rep_missing | (rng.random(n) < 0.03)  # the roster fills it
    amount_missing = ~won & (untouched | (rng.random(n) < 0.08))
    del speed, untouched

    # Lead IDs: source prefix - year - sequence within (source, year), in order of acquisition.
    year = (start64 + acq).astype("datetime64[Y]").astype(np.int64) + 1970
    key = src.astype(np.int64) * 10_000 + (year - year.min(initial=0))
    by_key = np.argsort(key, kind="stable")
    sorted_key = key[by_key]
    group_start = np.zeros(n, np.int64)
    if n:
        bounds = np.flatnonzero(np.diff(sorted_key)) + 1
        group_start[bounds] = bounds
        group_start = np.maximum.accumulate(group_start)
    seq = np.empty(n, np.int64)
    seq[by_key] = np.arange(n) - group_start + 1
    del key, by_key, sorted_key, group_start
    lead_id = _join(_take([s[1] for s in SOURCES], src), pc.cast(pa.array(year), pa.string()),
                    pc.utf8_lpad(pc.cast(pa.array(seq), pa.string()), 3, "0"), sep="-")
    del year, seq

    customer, contact, contact_info, notes = _people(rng, n, team, city)
    rep_s = pc.if_else(pa.array(rep_missing), pa.scalar(None, pa.string()), _take([r[0] for r in REPS], rep))
    manager_s = pc.if_else(pa.array(manager_missing), pa.scalar(None, pa.string()), _take(MANAGERS, rep_team[rep]))

    clean_reason = _take(list(REASONS) + [""], np.where(reason >= 0, reason, len(REASONS)))
    variant_table = [v for vs in REASON_VARIANTS for v in vs]
    variant_base = np.cumsum([0] + [len(vs) for vs in REASON_VARIANTS])[:-1]
    variant_len = np.array([len(vs) for vs in REASON_VARIANTS])
    safe = np.maximum(reason, 0)
    variant_idx = variant_base[safe] + np.minimum((pick_u * variant_len[safe]).astype(np.int64), variant_len[safe] - 1)
    use_variant = (reason >= 0) & (variant_u < P_REASON_VARIANT)
    reason_empty = (reason >= 0) & (empty_u < P_REASON_EMPTY)
    lost_reason = pc.if_else(pa.array(use_variant), _take(variant_table, variant_idx), clean_reason)
    lost_reason = pc.if_else(pa.array((reason < 0) | reason_empty), pa.scalar(None, pa.string()), lost_reason)
    del safe, variant_idx, use_variant, reason_empty, variant_u, empty_u, pick_u

    actions = pa.nulls(n, pa.string())
    if with_actions and len(a_lead):
        dates = _DateText(start, min(-40, int(a_day.min(initial=0))), max(last, 0) + 1)
        reason_for_text = pc.if_else(pa.array(reason >= 0), clean_reason, pa.scalar("原因未说明"))
        budget = pc.cast(pa.array(np.maximum(5, np.rint(amount / 10_000)).astype(np.int64)), pa.string())
        text_rng = np.random.default_rng([seed, 1])  # own stream: with_actions leaves the other columns alone
        actions = _action_text(text_rng, dates, n, a_lead, a_slot, a_day, first, paths.loser, budget, contact,
                               reason_for_text)
    del a_lead, a_slot, a_day, first

    def day_col(offsets: np.ndarray, missing_rows: np.ndarray | None = None) -> pd.Series:
        values = (start64 + offsets).astype("datetime64[s]")
        if missing_rows is not None:
            values = np.where(missing_rows, np.datetime64("NaT", "s"), values)
        return pd.Series(values)

    leads = pd.DataFrame({
        "lead_id": _to_str_series(lead_id),
        "source": _to_str_series(_take([s[0] for s in SOURCES], src)),
        "customer": _to_str_series(customer),
        "contact": _to_str_series(contact),
        "contact_info": _to_str_series(contact_info),
        "acquired_at": day_col(acq, missing),
        "current_stage": _to_str_series(_take(STAGE_KEYS, current_stage)),
        "stage_entered_at": day_col(stage_entered),
        "expected_close": day_col(expected, expected_missing),
        "rep": _to_str_series(rep_s),
        "manager": _to_str_series(manager_s),
        "status": _to_str_series(_take(STATUSES, status)),
        "cycle_days_reported": pd.arrays.IntegerArray(np.maximum(cycle, 0).astype(np.int64), cycle < 0),
        "lost_reason": _to_str_series(lost_reason),
        "lost_at": day_col(paths.lost_day, ~lost),
        "notes": _to_str_series(notes),
        "amount": np.where(amount_missing, np.nan, amount),
        "actions": _to_str_series(actions),
    }, columns=list(LEAD_COLUMNS))
    del customer, contact, contact_info, notes, rep_s, manager_s, lost_reason, actions

    ev_lead, ev_slot = np.nonzero(recorded)
    entered = (start64 + slot_t[ev_lead, ev_slot]).astype("datetime64[s]")
    if event_times:
        seconds = rng.integers(9 * 3600, 19 * 3600, len(ev_lead))
        entered = entered + np.where(ev_slot > 0, seconds, 0).astype("timedelta64[s]")
    events = pd.DataFrame({
        "lead_id": _to_str_series(pc.take(lead_id, pa.array(ev_lead))),
        "stage": _to_str_series(_take(STAGE_KEYS, _SLOT_STAGE[ev_slot])),
        "entered_at": pd.Series(entered),
    })

    roster = pd.DataFrame({
        "rep": pd.Series([r[0] for r in REPS], dtype="str"),
        "manager": pd.Series([MANAGERS[r[1]] for r in REPS], dtype="str"),
        "team": pd.Series([TEAMS[r[1]] for r in REPS], dtype="str"),
    })

    ids = leads["lead_id"].to_numpy()
    problems = pd.DataFrame({
        "lead_id": pd.Series(np.concatenate([ids[dq_before], ids[dq_cycle], ids[dq_missing]]), dtype="str"),
        "problem": pd.Series(["before_acquisition"] * len(dq_before) + ["cycle_mismatch"] * len(dq_cycle)
                             + ["missing_acquired_at"] * len(dq_missing), dtype="str"),
        "stage": pd.Series([STAGE_KEYS[_SLOT_STAGE[s]] for s in dq_slot] + [None] * (len(dq_cycle) + len(dq_missing)),
                           dtype="str"),
        "detail": pd.Series(
            [f"{STAGE_KEYS[_SLOT_STAGE[s]]} entered {acq[i] - slot_t[i, s]} days before acquisition"
             for i, s in zip(dq_before, dq_slot)]
            + [f"reported {cycle[i]} days, events say {enter[i, 4] - acq[i]}" for i in dq_cycle]
            + ["获取时间 left empty; no acquisition event"] * len(dq_missing), dtype="str"),
    })
    return GeneratedData(leads=leads, events=events, roster=roster, problems=problems)


def _people(rng: np.random.Generator, n: int, team: np.ndarray, city: np.ndarray):
    """Customer (city + brand + industry + suffix), contact person, contact details and notes per lead."""
    surname = _pick(rng, len(SURNAMES), n)
    full_name = rng.random(n) < 0.3
    given = _pick(rng, len(GIVEN_NAMES), n)
    title = _pick(rng, len(TITLES), n)
    contact_kind = _pick(rng, 4, n, [0.84, 0.05, 0.08, 0.03])  # mobile, +86 mobile, landline, none
    mobile = np.array(MOBILE_PREFIXES)[_pick(rng, len(MOBILE_PREFIXES), n)] * 100_000_000 + rng.integers(
        0, 100_000_000, n)
    landline = rng.integers(2, 9, n) * 10_000_000 + rng.integers(0, 10_000_000, n)
    brand, industry, suffix = _pick(rng, len(BRANDS), n), _pick(rng, len(INDUSTRIES), n), _pick(rng, 4, n)
    note = np.where(rng.random(n) < 0.18, _pick(rng, len(NOTES), n), -1)

    region_city = team.astype(np.int64) * 6 + city
    city_names = [c[0] for region in CITIES for c in region]
    area_codes = [c[1] for region in CITIES for c in region]
    customer = _join(_take(city_names, region_city), _take(BRANDS, brand), _take(INDUSTRIES, industry),
                     _take(COMPANY_SUFFIXES, suffix))
    surname_s = _take(SURNAMES, surname)
    contact = pc.if_else(pa.array(full_name), _join(surname_s, _take(GIVEN_NAMES, given)),
                         _join(surname_s, _take(TITLES, title)))
    mobile_s = pc.cast(pa.array(mobile), pa.string())
    landline_s = _join(_take(area_codes, region_city), pc.cast(pa.array(landline), pa.string()), sep="-")
    contact_info = pc.case_when(
        pa.StructArray.from_arrays([pa.array(contact_kind == k) for k in range(4)], names=list("abcd")),
        mobile_s, _join(pa.scalar("+86 "), mobile_s), landline_s, pa.nulls(n, pa.string()))
    notes = pc.if_else(pa.array(note < 0), pa.scalar(None, pa.string()), _take(NOTES, np.maximum(note, 0)))
    return customer, contact, contact_info, notes


def _action_text(rng: np.random.Generator, dates: _DateText, n: int, a_lead: np.ndarray, a_slot: np.ndarray,
                 a_day: np.ndarray, first: np.ndarray, loser: np.ndarray, budget: pa.Array, contact: pa.Array,
                 reason: pa.Array) -> pa.ChunkedArray:
    """One 关键动作记录 cell per lead: ``MM-DD内容`` joined by ``;`` in date order (null when no action)."""
    # One flat table of texts; lo/count[slot, first] say where each slot's first/further actions sit in it.
    prefixes, params, suffixes = [], [], []
    lo = np.zeros((_N_SLOTS + 1, 2), np.int64)
    count = np.zeros((_N_SLOTS + 1, 2), np.int64)
    groups = [(s, f, texts) for s, (firsts, extras) in enumerate(ACTIONS) for f, texts in ((1, firsts), (0, extras))]
    groups += [(_N_SLOTS, 1, LOSS_ACTIONS), (_N_SLOTS, 0, LOSS_ACTIONS)]  # slot 8: the loss
    marks = ("", "{b}", "{c}", "{r}")
    for s, f, texts in groups:
        lo[s, f], count[s, f] = len(prefixes), len(texts)
        for text in texts:
            kind = next((k for k in (1, 2, 3) if marks[k] in text), 0)
            head, _, tail = text.partition(marks[kind]) if kind else (text, "", "")
            prefixes.append(head)
            params.append(kind)
            suffixes.append(tail)
    kinds = np.array(params, np.int8)
    prefix_t, suffix_t = _table(prefixes), _table(suffixes)
    params_table = pa.concat_arrays([budget, contact, reason, _table([""])])  # one take picks any parameter
    chunks = []
    step = 500_000  # leads per chunk: bounds the temporaries and keeps string buffers far below Arrow's 2 GB
    for lo_l in range(0, n, step):
        hi_l = min(lo_l + step, n)
        sl = slice(*np.searchsorted(a_lead, [lo_l, hi_l]))
        lead, slot, f_idx = a_lead[sl], a_slot[sl], first[sl].astype(np.intp)
        m = len(lead)
        t_idx = lo[slot, f_idx] + np.minimum((rng.random(m) * count[slot, f_idx]).astype(np.intp),
                                             count[slot, f_idx] - 1)
        k = kinds[t_idx]
        # Customer feedback on some actions; leads that end up lost sound negative more often.
        fb = np.where(rng.random(m) < 0.3, 1 + _pick(rng, 3, m, [0.5, 0.35, 0.15]), 0)
        fb = np.where((fb > 0) & loser[lead] & (rng.random(m) < 0.5), 3, fb)
        fb = np.where(slot == _N_SLOTS, 0, fb)
        param = pc.take(params_table, pa.array(np.where(k > 0, (k - 1).astype(np.int64) * n + lead, 3 * n)))
        text = _join(dates.take(dates.mmdd, a_day[sl]), pc.take(prefix_t, pa.array(t_idx)), param,
                     pc.take(suffix_t, pa.array(t_idx)), _take(FEEDBACK, fb))
        per_lead = np.bincount(lead - lo_l, minlength=hi_l - lo_l)
        offsets = pa.array(np.concatenate([[0], np.cumsum(per_lead)]).astype(np.int32))
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, text), ";")
        chunks.append(pc.if_else(pa.array(per_lead == 0), pa.scalar(None, pa.string()), joined))
    return pa.chunked_array(chunks, pa.string())


# --- writers ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateCells:
    """The 18 export columns (the seed's 16, 金额, 流失时间) as text (``-`` for empty), plus which cells an XLSX
    stores as numbers or dates."""

    text: list[pa.Array]
    phone_number: np.ndarray  # bool per row: 联系方式 stored as a number
    date_cell: list[np.ndarray]  # per date column (获取时间, 进入阶段时间, 预计转化时间): bool per row, a real date cell
    date_days: list[np.ndarray]  # the same columns as day offsets from DEFAULT_START


def _day_offsets(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    days = values.to_numpy(dtype="datetime64[s]").astype("datetime64[D]")
    missing = np.isnat(days)
    offsets = np.where(missing, 0, (days - np.datetime64(DEFAULT_START, "D")).astype(np.int64))
    return offsets, missing


def _dates_for(*offsets: np.ndarray) -> _DateText:
    values = np.concatenate([np.asarray(o, np.int64) for o in offsets]) if offsets else np.zeros(0, np.int64)
    return _DateText(DEFAULT_START, int(values.min(initial=0)) - 1, int(values.max(initial=0)) + 1)


def render_template(leads: pd.DataFrame, seed: int = DEFAULT_SEED) -> TemplateCells:
    """The template cells with the noise of a hand-kept sheet, the same for the same leads and seed.

    Stage: the Chinese name, sometimes the short form (需求挖掘, 方案谈判, 成交) or a stray (full-width) space;
    rep and manager: a trailing ``*`` on some rows; dates: mostly ``2024-03-01`` (as text, or as a date cell in
    an XLSX), some ``2024/3/1`` and ``2024年3月1日``; status in Chinese; ``-`` for every empty cell.
    """
    rng = np.random.default_rng([seed, 7])
    n = len(leads)
    dash = pa.scalar("-")

    def text(col: str) -> pa.Array:
        return pc.fill_null(pa.array(leads[col], pa.string(), from_pandas=True), dash)

    def starred(col: str) -> pa.Array:
        names = text(col)
        star = pa.array(rng.random(n) < 0.3)
        return pc.if_else(pc.and_(star, pc.not_equal(names, dash)), _join(names, pa.scalar("*")), names)

    days = [_day_offsets(leads[c]) for c in ("acquired_at", "stage_entered_at", "expected_close")]
    dates = _dates_for(*(o[~m] for o, m in days))
    date_text, date_cell = [], []
    for offsets, missing in days:
        style = _pick(rng, 4, n, [0.60, 0.22, 0.12, 0.06])  # iso text, date cell (iso in CSV), 2024/3/1, 2024年3月1日
        spelled = pc.case_when(
            pa.StructArray.from_arrays([pa.array(style == 2), pa.array(style == 3)], names=["s", "z"]),
            dates.take(dates.slash, offsets), dates.take(dates.zh, offsets), dates.take(dates.iso, offsets))
        date_text.append(pc.if_else(pa.array(missing), dash, spelled))
        date_cell.append((style == 1) & ~missing)

    code = pd.Index(list(STAGE_KEYS)).get_indexer(leads["current_stage"].to_numpy(dtype=object))
    code = np.where(code < 0, len(STAGE_KEYS), code)
    names = [STAGE_NAME_ZH[k] for k in STAGE_KEYS] + ["-"]
    shorts = [STAGE_SHORT_ZH.get(k, STAGE_NAME_ZH[k]) for k in STAGE_KEYS] + ["-"]
    use_short = rng.random(n) < np.array([0, 0, 0.45, 0.35, 0.30, 0, 0])[code]
    stage = _take(names + shorts, np.where(use_short, code + len(names), code))
    pad = _pick(rng, 4, n, [0.94, 0.025, 0.025, 0.01])
    stage = pc.case_when(
        pa.StructArray.from_arrays([pa.array(pad == k) for k in (1, 2, 3)], names=list("lrw")),
        _join(pa.scalar(" "), stage), _join(stage, pa.scalar(" ")), _join(stage, pa.scalar("\u3000")), stage)

    status = pc.fill_null(pa.array(leads["status"].map(STATUS_ZH), pa.string(), from_pandas=True), dash)
    cycle = leads["cycle_days_reported"]
    cycle_text = pc.fill_null(pa.array(cycle.astype("Int64").astype("str").where(cycle.notna(), None), pa.string(),
                                       from_pandas=True), dash)
    amount = leads["amount"]
    amount_text = pc.fill_null(pa.array(amount.round().astype("Int64").astype("str").where(amount.notna(), None),
                                        pa.string(), from_pandas=True), dash)
    lost_days, lost_missing = _day_offsets(leads["lost_at"])
    lost_dates = _dates_for(lost_days[~lost_missing])
    lost_text = pc.if_else(pa.array(lost_missing), dash, lost_dates.take(lost_dates.iso, lost_days))
    contact_info = text("contact_info")
    mobile = pc.match_substring_regex(contact_info, r"^1\d{10}$").to_numpy(zero_copy_only=False)
    phone_number = mobile & (rng.random(n) < 0.55)

    columns = [
        text("lead_id"), text("source"), text("customer"), text("contact"), contact_info, date_text[0], stage,
        date_text[1], date_text[2], starred("rep"), starred("manager"), text("actions"), status, cycle_text,
        text("lost_reason"), text("notes"), amount_text, lost_text,
    ]
    return TemplateCells(columns, phone_number, date_cell, [o for o, _ in days])


def write_template_xlsx(leads: pd.DataFrame, path: str | Path, seed: int = DEFAULT_SEED) -> Path:
    """The seed template as XLSX: merged title row, the 16 headers plus 金额 and 流失时间, one row per lead
    (xlsxwriter constant_memory).

    Some phone numbers and every reported cycle are numbers, some dates real date cells; the file's metadata
    carries a fixed creation date, so the same leads give the same bytes.
    """
    import xlsxwriter

    if len(leads) > XLSX_MAX_DATA_ROWS:
        raise ValueError(f"{len(leads)} leads do not fit one XLSX sheet (max {XLSX_MAX_DATA_ROWS}); "
                         "use write_template_csv")
    cells = render_template(leads, seed)
    columns = [c.to_pylist() for c in cells.text]
    for i in np.flatnonzero(cells.phone_number):
        columns[4][i] = int(columns[4][i])
    cycle = leads["cycle_days_reported"]
    for i in np.flatnonzero(cycle.notna().to_numpy()):
        columns[13][i] = int(cycle.iat[i])
    amount = leads["amount"]
    for i in np.flatnonzero(amount.notna().to_numpy()):
        columns[16][i] = int(round(float(amount.iat[i])))
    for col, is_cell, offsets in zip((5, 7, 8), cells.date_cell, cells.date_days):
        rows = np.flatnonzero(is_cell)
        for i, day in zip(rows, (np.datetime64(DEFAULT_START, "D") + offsets[rows]).astype(object)):
            columns[col][i] = day

    path = Path(path)
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    workbook.set_properties({
        "title": TEMPLATE_TITLE, "author": "Lead Funnel", "comments": "generated by data/generate_sample.py",
        "created": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    })
    sheet = workbook.add_worksheet("跟踪分析表")
    title_fmt = workbook.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head_fmt = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                    "valign": "vcenter"})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.add_write_handler(dt.date, lambda ws, row, col, value, fmt=None: ws.write_datetime(row, col, value, date_fmt))
    for col, width in enumerate((14, 10, 24, 9, 14, 12, 12, 12, 12, 9, 9, 60, 12, 8, 16, 24, 10, 12)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(2, 0)
    sheet.set_row(0, 24)
    sheet.merge_range(0, 0, 0, len(EXPORT_HEADERS) - 1, TEMPLATE_TITLE, title_fmt)
    sheet.write_row(1, 0, EXPORT_HEADERS, head_fmt)
    write_row = sheet.write_row
    for r, row in enumerate(zip(*columns), start=2):
        write_row(r, 0, row)
    if len(leads):
        sheet.autofilter(1, 0, len(leads) + 1, len(EXPORT_HEADERS) - 1)
    workbook.close()
    return path


def _csv_field(values: pa.Array, sep: str) -> pa.Array:
    """Quote a text column the way Excel does: only cells holding the separator, a quote or a line break."""
    values = pc.fill_null(values, "")
    needs = pc.match_substring_regex(values, "[" + re.escape(sep) + '"\r\n]')
    quoted = _join(pa.scalar('"'), pc.replace_substring(values, '"', '""'), pa.scalar('"'))
    return pc.if_else(needs, quoted, values)


def _write_csv(path: str | Path, header, columns: list[pa.Array | pa.ChunkedArray], encoding: str, sep: str = ",",
               title: str | None = None, chunk_rows: int = 200_000) -> Path:
    """Write text columns as CSV with CRLF line ends (as Excel saves), a slice of rows at a time, vectorised."""
    path = Path(path)
    n = len(columns[0]) if columns else 0
    with open(path, "w", encoding=encoding, newline="") as handle:
        if title is not None:
            handle.write(title + sep * (len(header) - 1) + "\r\n")
        handle.write(sep.join(header) + "\r\n")
        for lo in range(0, n, chunk_rows):
            part = [c.slice(lo, chunk_rows) for c in columns]
            part = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in part]
            lines = _join(*(_csv_field(c, sep) for c in part), sep=sep)
            block = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
            handle.write(pc.binary_join(block, "\r\n")[0].as_py() + "\r\n")
    return path


def write_template_csv(leads: pd.DataFrame, path: str | Path, encoding: str = "utf-8-sig", seed: int = DEFAULT_SEED,
                       *, title_row: bool = False, sep: str = ",") -> Path:
    """The seed template as CSV: the cells of the XLSX, all as text; ``title_row`` puts the title line above."""
    cells = render_template(leads, seed)
    return _write_csv(path, EXPORT_HEADERS, cells.text, encoding, sep, TEMPLATE_TITLE if title_row else None)


def write_stage_log_csv(events: pd.DataFrame, path: str | Path, encoding: str = "gb18030") -> Path:
    """The stage log (线索编号, 阶段 as the Chinese stage name, 进入时间) as CSV; GB18030 like Chinese Excel saves.

    进入时间 is ``2024-03-01``, or ``2024-03-01 14:05:00`` when any event carries a time of day.
    """
    entered = events["entered_at"].to_numpy(dtype="datetime64[s]")
    day = entered.astype("datetime64[D]")
    offsets = (day - np.datetime64(DEFAULT_START, "D")).astype(np.int64)
    dates = _dates_for(offsets)
    stamp = dates.take(dates.iso, offsets)
    seconds = (entered - day.astype("datetime64[s]")).astype(np.int64)
    if len(seconds) and seconds.any():
        clock = _table(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
        stamp = _join(stamp, pc.take(clock, pa.array(seconds)), sep=" ")
    stage = pa.array(events["stage"].map(STAGE_NAME_ZH).fillna(events["stage"]), pa.string(), from_pandas=True)
    lead_id = pa.array(events["lead_id"], pa.string(), from_pandas=True)
    return _write_csv(path, STAGE_LOG_HEADERS, [lead_id, stage, stamp], encoding)


def write_roster_csv(roster: pd.DataFrame, path: str | Path, encoding: str = "utf-8-sig") -> Path:
    """The roster (销售代表, 销售经理, 团队) as CSV, UTF-8 with BOM by default."""
    columns = [pa.array(roster[c], pa.string(), from_pandas=True) for c in ("rep", "manager", "team")]
    return _write_csv(path, ROSTER_HEADERS, columns, encoding)


def write_sample(out_dir: str | Path = SAMPLE_DIR, n_leads: int = SAMPLE_N_LEADS, seed: int = DEFAULT_SEED,
                 earlier: bool = True, **generate_kwargs) -> tuple[GeneratedData, list[Path]]:
    """Generate and write the template (XLSX, or CSV when too many rows), stage log and roster into out_dir;
    with ``earlier`` (XLSX sizes only) also the export of a month before (``export_as_of``), imported first."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = generate(n_leads, seed=seed, **generate_kwargs)
    if len(data.leads) <= XLSX_MAX_DATA_ROWS:
        template = write_template_xlsx(data.leads, out / TEMPLATE_XLSX, seed=seed)
    else:
        template = write_template_csv(data.leads, out / TEMPLATE_CSV, seed=seed)
    paths = [template, write_stage_log_csv(data.events, out / STAGE_LOG_CSV),
             write_roster_csv(data.roster, out / ROSTER_CSV)]
    if earlier and len(data.leads) <= XLSX_MAX_DATA_ROWS:
        cut = earlier_cut(data)
        before = export_as_of(data, cut, seed=seed)
        paths.insert(0, write_template_xlsx(before, out / EARLIER_TEMPLATE_XLSX.format(month=f"{cut:%Y-%m}"),
                                            seed=seed))
    return data, paths


def earlier_cut(data: GeneratedData) -> dt.date:
    """The day of the earlier export: the last day of the month before the data's last month."""
    last = max(x for x in (data.events["entered_at"].max(), data.leads["acquired_at"].max(),
                           data.leads["lost_at"].max()) if pd.notna(x))
    return pd.Timestamp(last).date().replace(day=1) - dt.timedelta(days=1)


def export_as_of(data: GeneratedData, cut: dt.date, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The lead export as it stood at the end of ``cut`` (canonical columns, as ``generate``'s leads).

    Leads acquired later are absent; each lead's stage is its latest logged stage by then (entered on that
    stage's date); won / lost only when that happened by then (else active, or untouched when still in the
    first stage and untouched today), with the loss reason, loss date and reported cycle only then; the
    action log cut at the day. A month earlier some things were different, as in real exports: 12% of the
    open leads' amounts, 25% of their expected close dates (pushed later since) and 2% of the reps (changed
    within the team since), drawn from their own random stream.
    """
    end = pd.Timestamp(cut) + pd.Timedelta(days=1)
    leads = data.leads
    known = leads["acquired_at"].isna() | (leads["acquired_at"] < end)
    events = data.events[data.events["entered_at"] < end]
    latest = events.groupby("lead_id", sort=False).tail(1).set_index("lead_id")  # frame order = path order
    out = leads[known].copy().reset_index(drop=True)
    ids = out["lead_id"]
    stage = ids.map(latest["stage"])
    out = out[stage.notna().to_numpy()].reset_index(drop=True)  # an undated lead with no stage by then
    ids = out["lead_id"]
    out["current_stage"] = ids.map(latest["stage"]).astype("str")
    out["stage_entered_at"] = ids.map(latest["entered_at"])
    won_by = set(events.loc[events["stage"] == "won", "lead_id"])
    won = (out["status"] == "won") & ids.isin(won_by)
    lost = (out["status"] == "lost") & (out["lost_at"] < end)
    still_untouched = (out["status"] == "untouched") & (out["current_stage"] == "acquired")
    out["status"] = np.where(won, "won", np.where(lost, "lost", np.where(still_untouched, "untouched", "active")))
    out["status"] = out["status"].astype("str")
    out.loc[~lost, ["lost_reason", "lost_at"]] = None
    out["cycle_days_reported"] = out["cycle_days_reported"].where(won.to_numpy(), pd.NA)
    out["actions"] = [_actions_until(a, cut) for a in out["actions"]]
    rng = np.random.default_rng([seed, 11])
    open_ = ~won.to_numpy() & ~lost.to_numpy()
    n = len(out)
    changed = open_ & out["amount"].notna().to_numpy() & (rng.random(n) < 0.12)
    factor = rng.choice([0.7, 0.8, 0.9, 1.15, 1.3], n)
    out["amount"] = np.where(changed, np.round(out["amount"] * factor / 1000) * 1000, out["amount"])
    pulled = open_ & out["expected_close"].notna().to_numpy() & (rng.random(n) < 0.25)
    shift = pd.to_timedelta(rng.integers(7, 46, n), unit="D")
    out["expected_close"] = out["expected_close"].where(~pulled, out["expected_close"] - shift)
    moved = out["rep"].notna().to_numpy() & (rng.random(n) < 0.02)
    team_of = {r[0]: r[1] for r in REPS}
    mates = {t: [r[0] for r in REPS if r[1] == t] for t in set(team_of.values())}
    out["rep"] = [
        (m[(mates[team_of[r]].index(r) + 1) % len(m)] if (mv and r in team_of and len(m := mates[team_of[r]]) > 1)
         else r) for r, mv in zip(out["rep"], moved)]
    return out[list(LEAD_COLUMNS)]


def _actions_until(text, cut: dt.date):
    """The 关键动作记录 entries (``MM-DD…`` joined by ``;``) dated on or before ``cut``'s month and day."""
    if not isinstance(text, str):
        return text
    limit = f"{cut:%m-%d}"
    kept = [part for part in text.split(";") if part[:5] <= limit]
    return ";".join(kept) if kept else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the Lead Funnel sample dataset (deterministic).")
    parser.add_argument("--n-leads", type=int, default=SAMPLE_N_LEADS)
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--event-times", action="store_true", help="give stage events a time of day")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    data, paths = write_sample(args.out, args.n_leads, args.seed, event_times=args.event_times)
    counts = data.leads["status"].value_counts()
    print(f"{len(data.leads)} leads, {len(data.events)} stage events, "
          + ", ".join(f"{s} {int(counts.get(s, 0))}" for s in STATUSES)
          + f"; {time.perf_counter() - t0:.1f} s")
    for path in paths:
        print(f"  {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
