"""Report wording: ``L(key, lang, **values)``, the ``report.`` keys of the one catalog ``funnel.i18n``."""

from __future__ import annotations

from funnel.i18n import LABELS, t


def L(key: str, lang: str = "zh", **values: object) -> str:
    """The report text ``key`` in ``lang`` with ``{placeholders}`` filled (``funnel.i18n.t('report.' + key)``)."""
    if f"report.{key}" not in LABELS:
        raise KeyError(key)
    return t(f"report.{key}", lang, **values)
