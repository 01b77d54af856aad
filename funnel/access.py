"""Who may see which leads when the dashboard runs with sign-in (pure, no Streamlit, no database).

Sign-in is optional (see docs/security.md). When it is on, the signed-in e-mail is resolved against the
``[visibility]`` table of ``.streamlit/secrets.toml``::

    [visibility]
    admins = ["ops@example.com", "@sales-ops.example.com"]   # an entry starting with @ is a whole domain
    [visibility.managers]
    "wang.fang@example.com" = "王芳"                          # as in the roster's manager column
    "chen.gang@example.com" = ["陈刚", "赵敏"]                 # several teams

An admin sees everything; a manager sees the leads whose rep belongs to one of their managers in the
roster; anybody else sees nothing (never everything). ``restrict_filter`` narrows a ``FunnelFilter`` to the
visible reps; it can only narrow, so a link naming another manager's rep cannot widen the view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from funnel.filters import ACCESS_DIMENSION, FunnelFilter
from funnel.text import clean_person, fold

# Roles: "everyone" = sign-in is off (the dashboard as it always was); "admin" and "manager" are signed-in
# users found in the visibility configuration; "unknown" is signed in but not configured; "anonymous" is
# not signed in while sign-in is on.
ROLES = ("everyone", "admin", "manager", "unknown", "anonymous")


@dataclass(frozen=True)
class Viewer:
    """The person looking at the dashboard and what the configuration lets them see."""

    role: str
    email: str | None = None
    managers: tuple[str, ...] = ()  # for role "manager": manager names as configured (roster spelling)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")

    @property
    def sees_all(self) -> bool:
        return self.role in ("everyone", "admin")

    @property
    def restricted(self) -> bool:
        """True when only some reps' leads may be shown (or none at all)."""
        return not self.sees_all


EVERYONE = Viewer("everyone")
ANONYMOUS = Viewer("anonymous")


def normalise_email(email: object) -> str | None:
    """Trimmed, case-folded e-mail address; None when there is none."""
    if not isinstance(email, str):
        return None
    text = email.strip().casefold()
    return text if "@" in text else None


def _as_list(value: object) -> list[str]:
    """A TOML value that should be a list of strings: a single string counts as a list of one; anything
    else (numbers, tables) is ignored."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [v for v in value if isinstance(v, str)]
    return []


def _is_admin(email: str, admins: Iterable[str]) -> bool:
    domain = email.rpartition("@")[2]
    for entry in admins:
        entry = entry.strip().casefold()
        if not entry:
            continue
        if entry.startswith("@"):
            if entry[1:] and domain == entry[1:]:
                return True
        elif entry == email:
            return True
    return False


def resolve_viewer(email: object, config: Mapping | None) -> Viewer:
    """The Viewer for a signed-in ``email`` under the ``[visibility]`` configuration.

    Admins (an address, or ``@domain``) see everything; an address listed under ``managers`` sees the reps
    of those managers; a missing, malformed or unlisted address is ``unknown`` and sees nothing.
    """
    address = normalise_email(email)
    if address is None:
        return Viewer("unknown", None)
    config = config or {}
    if _is_admin(address, _as_list(config.get("admins"))):
        return Viewer("admin", address)
    managers_cfg = config.get("managers")
    if isinstance(managers_cfg, Mapping):
        for key, value in managers_cfg.items():
            if normalise_email(key) == address:
                names = tuple(dict.fromkeys(n for n in (clean_person(v) for v in _as_list(value)) if n))
                if names:
                    return Viewer("manager", address, names)
    return Viewer("unknown", address)


def _roster_pairs(roster) -> Iterable[tuple[object, object]]:
    """(rep, manager) pairs from a DataFrame with ``rep`` and ``manager`` columns, or from rows (tuples
    ``(rep, manager, ...)`` or mappings with those keys)."""
    columns = getattr(roster, "columns", None)
    if columns is not None:
        return zip(roster["rep"], roster["manager"])
    pairs = []
    for row in roster or ():
        if isinstance(row, Mapping):
            pairs.append((row.get("rep"), row.get("manager")))
        else:
            pairs.append((row[0], row[1]))
    return pairs


def visible_reps(roster, managers: str | Iterable[str]) -> frozenset[str]:
    """The reps whose manager in the roster is one of ``managers`` (names compared after the import's
    normalisation, width and case folded). Empty when the roster names none of them."""
    wanted = {fold(n) for n in (clean_person(m) for m in _as_list(managers)) if n}
    reps = set()
    for rep, manager in _roster_pairs(roster):
        name = clean_person(manager)
        rep_name = clean_person(rep)
        if name is not None and rep_name is not None and fold(name) in wanted:
            reps.add(rep if isinstance(rep, str) else rep_name)  # the stored spelling, as leads join on it
    return frozenset(reps)


def allowed_reps(viewer: Viewer, roster) -> frozenset[str] | None:
    """None when ``viewer`` sees every lead; else the reps whose leads they may see (maybe none)."""
    if viewer.sees_all:
        return None
    if viewer.role != "manager":
        return frozenset()
    return visible_reps(roster, viewer.managers)


def restrict_filter(flt: FunnelFilter, allowed: frozenset[str] | None) -> FunnelFilter:
    """``flt`` narrowed to the ``allowed`` reps (None: unchanged).

    Chosen reps outside ``allowed`` are dropped; when none is left the filter takes every allowed rep
    (sorted, so equal views give equal cache keys). Raises ValueError for an empty ``allowed``: an empty
    tuple means "all reps" to FunnelFilter, so a viewer who may see nobody must be stopped before any
    figure is computed.
    """
    if allowed is None:
        return flt
    if not allowed:
        raise ValueError("no visible rep: nothing may be shown")
    kept = tuple(r for r in flt.values(ACCESS_DIMENSION) if r in allowed)
    return replace(flt, **{ACCESS_DIMENSION.field: kept or tuple(sorted(allowed))})
