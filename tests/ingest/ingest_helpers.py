"""Helpers for the ingest tests (imported by each test module): build small messy files in tmp_path, parse them,
check the row invariant."""

from __future__ import annotations

from pathlib import Path

import pytest

from funnel.ingest import parse_files
from funnel.stages import StageConfig

TEMPLATE_HEADER = ["线索编号", "来源渠道", "客户名称", "联系人", "联系方式", "获取时间", "当前阶段", "进入阶段时间",
                   "预计转化时间", "销售代表", "销售经理", "关键动作记录(时间+内容)",
                   "结果状态(未跟进/跟进中/已成交/已流失)", "转化周期(天)", "流失原因(若流失)", "备注"]
SEED_ROW = ["展会-2024-001", "行业展会", "A科技公司", "张总", "13800138000", "2024-03-01", "需求挖掘", "2024-03-05",
            "2024-04-15", "李明*", "王芳*",
            "03-05电话沟通,确认采购ERP系统,预算80万,决策人张总+IT总监;03-08上门拜访,提交初步方案",
            "跟进中", "-", "-", "需协调技术支持*细化方案"]


def check_counts(parsed) -> None:
    """rows_read = accepted + rejected + blank + duplicate, and the frames agree with the counts."""
    assert parsed.rows_read == (parsed.rows_accepted + parsed.rows_rejected + parsed.rows_blank
                                + parsed.rows_duplicate)
    assert parsed.rows_rejected == len(parsed.rejects)


def csv_text(rows: list[list[str]], sep: str = ",") -> str:
    out = []
    for row in rows:
        cells = []
        for cell in row:
            cell = str(cell)
            if any(ch in cell for ch in (sep, '"', "\n")):
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        out.append(sep.join(cells))
    return "\n".join(out) + "\n"


@pytest.fixture
def stages() -> StageConfig:
    return StageConfig()


@pytest.fixture
def parse(stages):
    """parse(source, **kw) -> the single ParsedFile, counts checked."""
    def _parse(source, **kwargs):
        [parsed] = parse_files([source], stages, **kwargs)
        check_counts(parsed)
        return parsed
    return _parse


@pytest.fixture
def write(tmp_path):
    """write(name, text_or_bytes, encoding='utf-8') -> Path."""
    def _write(name: str, content, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path
    return _write
