"""A messy seed-template export as a new user brings it (issue 12), shared by the unit, page and browser tests.

``messy_template_xlsx()``: the template sheet with a title row above the header, bracketed header hints,
dates spelled five ways (``2024-03-01``, ``2024/3/5``, ``2024年3月10日``, ``2024.03.20``, the Excel serial
``45383`` = 2024-04-01), one lead (展会-2024-005) whose 获取时间 is the impossible ``2024-13-45`` and whose
关键动作记录 holds yearless dates before its stage date, a row without ID, an exact duplicate row and a blank row.
``messy_stage_log_csv()``: its stage log (UTF-8 with BOM).

What a correct import gives (worked out by hand):
- rows read 11 (Excel rows 3-13): 8 leads accepted, 1 rejected (no ID, row 10), 1 blank (row 9),
  1 duplicate (row 8, same as row 4); one warning: row 7, 获取时间, ``2024-13-45``.
- 展会-2024-005's actions ``05-12`` / ``05-18`` / ``05-24`` fall in 2024 (nearest its 2024-05-24 stage
  date; the file's latest full date is 2024-06-28), and its acquisition date comes from the stage log
  (线索获取 2024-05-10).
- the data ends 2024-06-28 (官网-2024-004 entered 方案呈现与谈判 that day): the default as-of date.
- stalled at 2024-06-28 with 7 days (idle strictly more than 7): 官网-2024-002 (last 2024-03-10, 110 days),
  展会-2024-007 (untouched since 2024-05-02, 57), 展会-2024-005 (2024-05-24, 35), 转介绍-2024-008
  (2024-06-20, 8) -> 4. Not stalled: 转介绍-2024-003 (06-25, 3 days), 官网-2024-004 (06-28, 0); won 001 and
  lost 006 are not open.
"""

from __future__ import annotations

import io

AS_OF = "2024-06-28"
STALLED = 4
LEADS = 8

TITLE = "销售线索转化跟踪分析表(2024年上半年)"
HEADER = ["线索编号", "来源渠道", "客户名称", "联系人", "联系方式", "获取时间", "当前阶段", "进入阶段时间",
          "预计转化时间", "销售代表", "销售经理", "关键动作记录(时间+内容)", "结果状态(未跟进/跟进中/已成交/已流失)",
          "转化周期(天)", "流失原因(若流失)", "备注"]
ROWS = [
    ["展会-2024-001", "行业展会", "甲公司", "张三", "13800138000", "2024-03-01", "成交签约", "2024/4/15", "",
     "李明", "王芳", "03-02电话沟通;04-15签约", "已成交", "45", "", ""],
    ["官网-2024-002", "官网", "乙公司", "李四", "13900139000", "2024/3/5", "初步筛选", "2024年3月10日", "2024-07-30",
     "李明", "王芳", "03-06初步沟通,客户有兴趣", "跟进中", "", "", ""],
    ["转介绍-2024-003", "转介绍", "丙公司", "王五", "021-5555", "2024.03.20", "需求深度挖掘", "2024-06-25", "",
     "张伟", "王芳", "06-25需求调研", "跟进中", "", "", ""],
    ["官网-2024-004", "官网", "丁公司", "赵六", "", 45383, "方案呈现与谈判", "2024-06-28", "2024-08-01",
     "张伟", "王芳", "06-28报价", "跟进中", "", "", ""],
    ["展会-2024-005", "行业展会", "戊公司", "钱七", "", "2024-13-45", "需求深度挖掘", "2024-05-24", "",
     "刘洋", "王芳", "05-12线索获取跟进;05-18初步筛选跟进;05-24需求挖掘", "跟进中", "", "", "获取时间录错"],
    None,  # the duplicate of 官网-2024-002 (row 8)
    [],    # a blank row (row 9)
    ["", "官网", "己公司", "孙八", "", "2024-04-02", "线索获取", "", "", "刘洋", "王芳", "", "未跟进", "", "", ""],
    ["官网-2024-006", "官网", "庚公司", "周九", "", "2024-04-10", "初步筛选", "2024-04-20", "", "杨静", "王芳",
     "04-12电话;04-20筛选通过", "已流失", "", "价格超出预算", ""],
    ["展会-2024-007", "行业展会", "辛公司", "吴十", "", "2024-05-02", "线索获取", "2024-05-02", "", "杨静", "王芳",
     "", "未跟进", "", "", ""],
    ["转介绍-2024-008", "转介绍", "壬公司", "郑一", "", "2024-06-03", "初步筛选", "2024/6/20", "", "李明", "王芳",
     "06-05 拜访;06-20 筛选", "跟进中", "", "", ""],
]
ROWS[5] = list(ROWS[1])

STAGE_LOG = [
    ("展会-2024-001", "线索获取", "2024-03-01"), ("展会-2024-001", "初步筛选", "2024-03-05"),
    ("展会-2024-001", "需求深度挖掘", "2024-03-20"), ("展会-2024-001", "方案呈现与谈判", "2024-04-01"),
    ("展会-2024-001", "成交签约", "2024-04-15"),
    ("展会-2024-005", "线索获取", "2024-05-10"), ("展会-2024-005", "初步筛选", "2024-05-16"),
    ("展会-2024-005", "需求深度挖掘", "2024-05-24"),
    ("官网-2024-004", "线索获取", "2024-04-01"), ("官网-2024-004", "初步筛选", "2024-04-08"),
    ("官网-2024-004", "需求深度挖掘", "2024-05-06"), ("官网-2024-004", "方案呈现与谈判", "2024-06-28"),
]


def messy_template_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "线索跟踪"
    sheet.append([TITLE])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)  # [] leaves a blank row
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def messy_stage_log_csv() -> bytes:
    lines = ["线索编号,阶段,进入时间"] + [",".join(row) for row in STAGE_LOG]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def messy_files() -> list[tuple[str, bytes]]:
    return [("线索跟踪表-导出.xlsx", messy_template_xlsx()), ("阶段记录.csv", messy_stage_log_csv())]
