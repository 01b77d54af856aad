"""The import's messages in the user's language: every sentence ingest and the loader write, in Chinese.

Ingest stays free of the UI: it writes English sentences (the command line prints them as they are, and
the database keeps them in ``imports.message``, ``rejects.reason`` and ``import_warnings.problem``). Each
sentence comes from one template below; ``translate(text, lang)`` recognises the template (its
``{name}`` parts match any text), and fills the Chinese template with the same values, each value itself
translated when it is a known sentence. So the validation report, the import history of past imports
and the downloads all speak the UI's language, and the warning structure (row, column, value, problem)
is untouched. A sentence no template matches is shown as written.

Some sentences have a third, English dashboard form: the command line's wording names a flag
(``--mapping``) or asks to raise a limit the dashboard user cannot raise.

``CATALOG``: (English as ingest writes it, Chinese, English on the dashboard or None). A test imports
messy files and checks that no English sentence is left in the Chinese report.
"""

from __future__ import annotations

import re
from functools import lru_cache

from funnel.ingest.headers import required_columns_message
from funnel.text import zh_punct

REQUIRED = required_columns_message()

CATALOG: tuple[tuple[str, str, str | None], ...] = (
    # cells (warnings)
    ("impossible date", "不存在的日期", None),
    ("date out of range (only 1900–2199 is accepted)", "日期超出范围(只接受 1900–2199 年)", None),
    ("number out of the range of Excel dates ({problem})", "数字超出 Excel 日期的范围({problem})", None),
    ("not a date (expected e.g. 2024-03-01 or 2024/3/1 14:30)", "不是日期(应为 2024-03-01 或 2024/3/1 14:30 这样的写法)",
     None),
    ("date without a year and no date of the lead to place it", "日期没有年份,该线索也没有其他日期可用来确定年份", None),
    ("date without a year would fall long after the latest date in the file",
     "日期没有年份,按规则推算会远晚于文件中的最晚日期,因此不作推测", None),
    ("action date: {problem}; the action is kept without a date", "动作日期:{problem};该动作已保留,但没有日期", None),
    ("date far outside the rest of the data ({start} – {end}); kept as written, check it",
     "日期远离其余数据({start} – {end}),已按原样保留,请核对", None),
    ("unknown stage (known: {names})", "无法识别的阶段(已知阶段:{names})", None),
    ("unknown status (expected 未跟进/跟进中/已成交/已流失 or untouched/active/won/lost)",
     "无法识别的结果状态(应为 未跟进/跟进中/已成交/已流失)", None),
    ("not a number", "不是数字", None),
    ("formula without a saved result, left empty (open the file in Excel/WPS, save it, and import again)",
     "公式没有保存计算结果,已留空(请用 Excel/WPS 打开文件、保存后重新导入)", None),
    ("duplicate column for {target}: ignored, {first} is used", "{target} 的重复列:已忽略,使用 {first}", None),
    ("row has more cells than the header; the extra cells were ignored", "该行的单元格比表头多,多出的单元格已忽略", None),
    # rejected rows
    ("no lead ID (线索编号 / lead_id is empty)", "没有线索编号(线索编号为空)", None),
    ("no lead ID (lead_id is empty)", "没有线索编号(线索编号为空)", None),
    ("superseded by row {row} (same key {key})", "被第 {row} 行取代(编号相同:{key})", None),
    ("unknown stage {stage}: an event needs a known stage (add it as a synonym in Settings or map it in a "
     "mapping profile)", "无法识别的阶段 {stage}:阶段记录需要已知阶段(可在「设置」中添加同义词)",
     "unknown stage {stage}: an event needs a known stage (add it as a synonym in Settings)"),
    ("no stage: an event needs a stage", "没有阶段:阶段记录必须有阶段", None),
    ("no rep (销售代表 is empty)", "没有销售代表(销售代表为空)", None),
    # notes on a file
    ("mapping profile {name}: section {match}", "映射方案 {name}:适用于 {match}", None),
    ("read as {encoding} text, {sep}-separated", "按 {encoding} 编码读取,{sep}分隔", None),
    ("sheet {name} used ({n} sheets in the workbook)", "使用工作表 {name}(工作簿共 {n} 个工作表)", None),
    ("workbook uses the 1904 date system", "工作簿使用 1904 日期系统", None),
    ("format detected: {kind}", "识别的格式:{kind}", None),
    ("header found on row {row}; {n} row(s) above it (a title) were skipped",
     "表头在第 {row} 行;其上方 {n} 行(标题)已跳过", None),
    ("{n} row(s) had cells beyond the header, ignored", "{n} 行有超出表头的单元格,已忽略", None),
    ("row {row} looks like a totals row (合计/Total) and was skipped", "第 {row} 行是合计行,已跳过", None),
    ("{n} exact duplicate row(s) counted once (rows {rows})", "{n} 行与前面的行完全相同,只计一次(第 {rows} 行)", None),
    ("{n} blank row(s) skipped", "跳过 {n} 个空行", None),
    ("columns not used: {columns}", "未使用的列:{columns}", None),
    ("columns {first} (column {a}) and {second} (column {b}) both mean {target}; the first is used, the second ignored",
     "列 {first}(第 {a} 列)和 {second}(第 {b} 列)都表示 {target};使用前者,忽略后者", None),
    ("mapping: column {column} not found in the file", "映射方案:文件中没有列 {column}", None),
    ("mapping: event rule {column} -> {stage} not applied (column or stage not found)",
     "映射方案:阶段规则 {column} → {stage} 未应用(找不到列或阶段)", None),
    ("{n} row(s) rejected (see rejects)", "{n} 行被拒绝(见被拒绝的行)", "{n} row(s) rejected (see rejected rows)"),
    ("{n} cell(s) could not be read and were left empty (see warnings)", "{n} 个单元格无法读取,已留空(见警告)", None),
    ("already imported with the same content: nothing changed", "相同内容之前已导入:没有变化", None),
    ("the file has a header but no data rows: nothing imported", "文件只有表头,没有数据行:未导入任何内容", None),
    ("{n} leads appear only in a stage log or activity list; they were added with no other attributes (import the "
     "lead file to complete them).", "{n} 条线索只出现在阶段记录或动作记录中,已添加但没有其他信息(导入线索表即可补全)。",
     "Leads that appear only in a stage log or activity list were added with no other attributes (import the lead "
     "file to complete them): {n}."),
    ("{n} leads had no acquisition date; they take the date they entered the first stage.",
     "{n} 条线索没有获取时间,已取其进入第一个阶段的日期。",
     "Leads without an acquisition date take the date they entered the first stage: {n}."),
    # files that cannot be imported
    (REQUIRED, "线索表需要 线索编号(以及如 获取时间、当前阶段),阶段记录需要 线索编号、阶段和进入时间,花名册需要 销售代表,以及 销售经理 或 团队",
     None),
    ("{file}: the file is empty. Export the lead list with its header row and try again.",
     "{file}:文件是空的。请导出带表头的线索表后重试。", None),
    ("{file}: the workbook is empty. Export the lead list with its header row and try again.",
     "{file}:工作簿是空的。请导出带表头的线索表后重试。", None),
    ("{file}: the workbook is empty.", "{file}:工作簿是空的。", None),
    ("{file}: no known column was found (header seen: {seen}). Required: {required}. If the file uses other column "
     "names, map them with a mapping profile (--mapping PROFILE.toml).",
     "{file}:没有找到可识别的列(看到的表头:{seen})。需要:{required}。如果文件用的是其他列名,请在上方的映射表中为每一列选择对应字段后再导入。",
     "{file}: no known column was found (header seen: {seen}). Required: {required}. If the file uses other column "
     "names, choose what each column means in the mapping table above and import again."),
    ("{file}: no sheet has a recognised header (sheets: {sheets}). Required: {required}. If the file uses other column "
     "names, map them with a mapping profile.",
     "{file}:没有哪个工作表有可识别的表头(工作表:{sheets})。需要:{required}。如果文件用的是其他列名,请在上方的映射表中选择对应字段。",
     "{file}: no sheet has a recognised header (sheets: {sheets}). Required: {required}. If the file uses other column "
     "names, choose what each column means in the mapping table above."),
    ("{file}: the columns found ({found}) do not make a lead list, event log or roster. Required: {required}. Rename "
     "the columns or map them with a mapping profile.",
     "{file}:找到的列({found})既不是线索表,也不是阶段记录或花名册。需要:{required}。请修改列名,或在映射表中选择对应字段。",
     "{file}: the columns found ({found}) do not make a lead list, event log or roster. Required: {required}. Rename "
     "the columns or choose what each column means in the mapping table."),
    ("{file}: read as {kind} but column(s) {missing} are missing. Required: {required}.",
     "{file}:按 {kind} 读取,但缺少列 {missing}。需要:{required}。", None),
    ("{file}: the file is {size}, over the limit of {limit}. Split it into smaller files or raise the size limit.",
     "{file}:文件大小 {size},超过上限 {limit}。请拆分成较小的文件。",
     "{file}: the file is {size}, over the limit of {limit}. Split it into smaller files."),
    ("{file}: the workbook is password-protected (encrypted). Open it in Excel/WPS, remove the password (File > Info > "
     "Protect Workbook), save it and import it again.",
     "{file}:工作簿有密码保护(已加密)。请在 Excel/WPS 中打开,取消密码(文件 > 信息 > 保护工作簿),保存后重新导入。", None),
    ("{file}: this is an old Excel 97-2003 (.xls) file or an encrypted workbook, not an .xlsx file. Open it in "
     "Excel/WPS and save it as .xlsx (or CSV UTF-8).",
     "{file}:这是旧版 Excel 97-2003(.xls)文件或加密的工作簿,不是 .xlsx 文件。请在 Excel/WPS 中打开并另存为 .xlsx(或 CSV UTF-8)。",
     None),
    ("{file}: the file is named like an Excel workbook but is not one (no XLSX content found). Save it from Excel/WPS "
     "as .xlsx or CSV and try again.",
     "{file}:文件名像 Excel 工作簿,但内容不是(没有 XLSX 内容)。请从 Excel/WPS 另存为 .xlsx 或 CSV 后重试。", None),
    ("{file}: the workbook is damaged and could not be opened ({err}). Open it in Excel/WPS, save it again as .xlsx, "
     "and import the new file.", "{file}:工作簿已损坏,无法打开({err})。请在 Excel/WPS 中打开,重新另存为 .xlsx 后导入新文件。",
     None),
    ("{file}: sheet {name} could not be read ({err}). Save the workbook again as .xlsx and retry.",
     "{file}:工作表 {name} 无法读取({err})。请将工作簿重新另存为 .xlsx 后重试。", None),
    ("{file}: the file could not be read as text (tried {tried}). It may not be a CSV file; save it from Excel/WPS as "
     "CSV UTF-8 or as .xlsx and try again.",
     "{file}:无法按文本读取(尝试了 {tried})。它可能不是 CSV 文件;请从 Excel/WPS 另存为 CSV UTF-8 或 .xlsx 后重试。", None),
    # words inside the sentences
    ("comma", "逗号", None), ("semicolon", "分号", None), ("tab", "制表符", None), ("vertical bar", "竖线", None),
    ("template", "线索模板", None), ("events", "阶段日志", None), ("wide", "宽表", None), ("roster", "花名册", None),
    ("leads", "线索表", None), ("none", "无", None),
    ("utf-8-sig", "UTF-8(带 BOM)", "UTF-8 with BOM"), ("utf-8", "UTF-8", "UTF-8"),
    ("gb18030", "GBK/GB18030", "GBK/GB18030"), ("utf-16-le", "UTF-16", "UTF-16"), ("utf-16-be", "UTF-16", "UTF-16"),
)


pattern_source: dict[re.Pattern, str] = {}  # compiled pattern -> its English template


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[re.Pattern, str, str | None], ...]:
    out = []
    for english, chinese, dashboard in CATALOG:
        # a value never holds "; " (the separator of joined sentences), so a sentence cannot swallow the next
        pattern = "".join(f"(?P<{part[1:-1]}>(?:(?!; ).)+?)" if part.startswith("{") else re.escape(part)
                          for part in re.split(r"(\{\w+\})", english) if part)
        compiled = re.compile(f"^{pattern}$", re.S)
        pattern_source[compiled] = english
        out.append((compiled, zh_punct(chinese), dashboard))
    return tuple(out)


def _one(text: str, lang: str) -> str | None:
    """The translation of one whole sentence, or None when no template matches."""
    for pattern, chinese, dashboard in _compiled():
        match = pattern.match(text)
        if match:
            target = chinese if lang == "zh" else (dashboard or pattern_source[pattern])
            values = {name: translate(value, lang) for name, value in match.groupdict().items()}
            return target.format(**values)
    return None


def translate(text: object, lang: str) -> object:
    """``text`` (an import sentence, or several joined by "; ") in ``lang``; anything else unchanged."""
    if not isinstance(text, str) or not text or lang not in ("zh", "en"):
        return text
    whole = _one(text, lang)
    if whole is not None:
        return whole
    parts = text.split("; ")
    if len(parts) == 1:
        return text
    out, i = [], 0
    while i < len(parts):  # the shortest run of parts that is one sentence (a sentence may hold "; ")
        for j in range(i + 1, len(parts) + 1):
            piece = _one("; ".join(parts[i:j]), lang)
            if piece is not None:
                out.append(piece)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return ("；" if lang == "zh" else "; ").join(out)
