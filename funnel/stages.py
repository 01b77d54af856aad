"""The stage model: configured stages in order, and the synonym table that maps names found in files to keys.

Pure: the store loads and saves StageConfig; nothing here touches a file or a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from funnel.text import fold

KINDS = ("open", "won", "post_won")


@dataclass(frozen=True)
class Stage:
    """One configured stage. ``order`` starts at 1 and is unique; ``kind`` is open / won / post_won."""

    key: str
    order: int
    name_zh: str
    name_en: str
    definition: str = ""
    expected_days: float | None = None
    kind: str = "open"

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("acquired", 1, "线索获取", "Lead acquired",
          "客户通过市场活动、转介绍等渠道进入销售视野 / The customer enters the sales team's view", 3, "open"),
    Stage("screening", 2, "初步筛选", "Screening",
          "确认需求、预算、决策链是否符合产品定位 / Need, budget and decision chain checked", 7, "open"),
    Stage("discovery", 3, "需求深度挖掘", "Needs discovery",
          "明确核心痛点、采购时间表、竞争对比 / Pain, timeline and competitors clarified", 15, "open"),
    Stage("proposal", 4, "方案呈现与谈判", "Proposal & negotiation",
          "提供定制化方案\uff0c就价格、服务、交付达成初步共识 / Proposal agreed in principle", 14, "open"),
    Stage("won", 5, "成交签约", "Won",
          "合同审批、款项支付\uff0c确认合作生效 / Contract signed, first payment received", None, "won"),
    Stage("after_sales", 6, "售后跟进", "After-sales",
          "保证客户顺利使用产品\uff0c挖掘二次销售 / Customer onboarded, upsell and referrals", None, "post_won"),
)

# Names seen in real files -> stage key. Keys are compared after fold(); the stage keys and the configured
# Chinese and English names always match without being listed here.
DEFAULT_SYNONYMS: dict[str, str] = {
    "线索": "acquired", "获取": "acquired", "新线索": "acquired", "prospecting": "acquired", "lead": "acquired",
    "new": "acquired", "mql": "acquired",
    "筛选": "screening", "初筛": "screening", "qualification": "screening", "qualifying": "screening",
    "engaging": "screening",
    "需求挖掘": "discovery", "需求分析": "discovery", "需求确认": "discovery", "discovery": "discovery",
    "方案谈判": "proposal", "方案呈现": "proposal", "谈判": "proposal", "方案": "proposal",
    "negotiation": "proposal", "proposal": "proposal",
    "成交": "won", "签约": "won", "已成交": "won", "closed won": "won", "won": "won",
    "售后": "after_sales", "售后服务": "after_sales", "after sales": "after_sales",
}


@dataclass(frozen=True)
class StageConfig:
    """The configured stages (sorted by order) and the synonym table (folded name -> key)."""

    stages: tuple[Stage, ...] = DEFAULT_STAGES
    synonyms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SYNONYMS))

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.stages, key=lambda s: s.order))
        object.__setattr__(self, "stages", ordered)
        keys = [s.key for s in ordered]
        if len(set(keys)) != len(keys):
            raise ValueError(f"stage keys must be unique, got {keys}")
        if sum(1 for s in ordered if s.kind == "won") != 1:
            raise ValueError("exactly one stage must be of kind 'won'")
        for stage in ordered:
            if stage.kind not in KINDS:
                raise ValueError(f"stage {stage.key}: kind must be one of {KINDS}, got {stage.kind!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    @property
    def won_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == "won")

    def get(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def resolve(self, name: object) -> str | None:
        """Map a stage name as written in a file (key, Chinese or English name, synonym) to a key, else None."""
        if name is None:
            return None
        folded = fold(str(name))
        if not folded:
            return None
        for stage in self.stages:
            if folded in (fold(stage.key), fold(stage.name_zh), fold(stage.name_en)):
                return stage.key
        for synonym, key in self.synonyms.items():
            if fold(synonym) == folded and key in self.keys:
                return key
        return None
