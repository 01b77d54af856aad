"""Header matching: a header cell as written -> a canonical field name, and finding the header row.

Canonical fields are the lead columns of SPEC §2 plus ``stage`` / ``entered_at`` (event logs),
``team`` (roster) and ``key_actions`` (the template's 关键动作记录).
"""

from __future__ import annotations

import re

from funnel.stages import StageConfig
from funnel.text import fold

_ALIASES: dict[str, tuple[str, ...]] = {
    "lead_id": ("lead id", "线索编号", "线索id", "线索 id", "lead no", "lead number", "leadid", "编号", "opportunity id"),
    "source": ("source", "来源渠道", "来源", "渠道", "channel", "lead source", "source channel"),
    "customer": ("customer", "客户名称", "客户", "company", "customer name", "account", "公司名称"),
    "contact": ("contact", "联系人", "contact person", "contact name"),
    "contact_info": ("contact info", "联系方式", "phone", "电话", "手机", "手机号", "联系电话", "mobile", "tel",
                     "telephone", "phone number"),
    "acquired_at": ("acquired at", "获取时间", "created", "created at", "acquired", "acquired date",
                    "acquisition date", "创建时间", "date acquired", "获取日期"),
    "current_stage": ("current stage", "当前阶段"),
    "stage": ("stage", "阶段", "stage name"),
    "stage_entered_at": ("stage entered at", "进入阶段时间", "stage date", "current stage date"),
    "entered_at": ("entered at", "进入时间", "entered", "date entered", "event date", "stage entered"),
    "expected_close": ("expected close", "预计转化时间", "expected close date", "预计成交时间", "close date expected"),
    "rep": ("rep", "sales rep", "销售代表", "owner", "salesperson", "sales agent", "agent", "负责人", "销售"),
    "manager": ("manager", "销售经理", "sales manager", "经理"),
    "status_reported": ("status", "结果状态", "状态", "result", "outcome", "status reported"),
    "cycle_days_reported": ("cycle days", "转化周期", "cycle", "cycle days reported", "周期"),
    "lost_reason": ("lost reason", "流失原因", "loss reason", "reason lost"),
    "lost_at": ("lost at", "流失时间", "lost date", "date lost"),
    "notes": ("notes", "备注", "note", "remarks", "comment", "comments"),
    "amount": ("amount", "deal value", "金额", "成交金额", "deal amount", "value"),
    "team": ("team", "团队", "所属团队", "region", "regional office", "office"),
    "key_actions": ("关键动作记录", "key actions", "activities", "跟进记录", "actions", "activity log"),
}

_HINT = re.compile(r"\s*[(\[（【][^)\]）】]*[)\]）】]\s*")


def header_key(cell: object) -> str:
    """The comparison key of a header cell: NFKC width folding, case folding; a bracketed hint, a required-field
    mark ``*`` (销售代表*) and ``_`` dropped."""
    text = fold(str(cell or ""))
    text = _HINT.sub(" ", text).replace("*", " ")
    return re.sub(r"[\s_]+", " ", text).strip()


HEADER_FIELDS: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    HEADER_FIELDS[header_key(_field)] = _field
    for _name in _names:
        HEADER_FIELDS.setdefault(header_key(_name), _field)


def match_header(cell: object) -> str | None:
    """Canonical field for a header cell, or None."""
    return HEADER_FIELDS.get(header_key(cell))


_WIDE = (re.compile(r"^(?:date )?entered (?:into )?(.+)$"), re.compile(r"^(.+?) (?:entered )?(?:date|at)$"),
         re.compile(r"^进入(.+?)(?:时间|日期)$"), re.compile(r"^(.+?)(?:时间|日期)$"))


def wide_stage(cell: object, stages: StageConfig) -> str | None:
    """Stage key for a wide-format date column ("Date entered <stage>", "<阶段>时间", "<stage> date"), else None."""
    key = header_key(cell)
    if not key or key in HEADER_FIELDS:
        return None
    for pattern in _WIDE:
        match = pattern.match(key)
        if match:
            stage = stages.resolve(match.group(1))
            if stage:
                return stage
    return None


def required_columns_message() -> str:
    return ("a lead list needs 线索编号 / lead_id (plus e.g. 获取时间 / acquired_at, 当前阶段 / current stage), "
            "an event log needs lead_id, stage and entered_at, a roster needs rep (销售代表) and manager "
            "(销售经理) or team")
