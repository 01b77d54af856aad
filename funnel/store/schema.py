"""DuckDB schema of the store: the tables of SPEC §2 plus warnings, settings and the derived tables.

One row per: ``leads`` lead; ``stage_events`` entry of a lead into a stage (``entered_at`` NULL = reached on
an unknown date); ``activities`` follow-up action; ``stages`` configured stage; ``stage_synonyms`` name found
in files -> stage key; ``roster`` rep; ``imports`` import run; ``rejects`` rejected input row;
``import_warnings`` bad cell kept with its field left empty; ``loss_categories`` keyword -> category;
``lead_snapshots`` (funnel.store.snapshots) what each lead import said about each of its leads;
``settings`` key/value (``data_version`` changes on every write, ``language``, ``stalled_days``).

The derived tables (``lead_facts``, ``lead_stages``, ``stage_intervals``, ``event_problems``) are rebuilt by
``funnel.store.derived.refresh_derived`` inside every import transaction and after a stage-config change.
"""

from __future__ import annotations

BASE_DDL: tuple[str, ...] = (
    """create table if not exists stages (
        key varchar primary key, "order" integer not null, name_zh varchar not null, name_en varchar not null,
        definition varchar, expected_days double, kind varchar not null)""",
    """create table if not exists stage_synonyms (synonym varchar primary key, stage_key varchar not null)""",
    # No PRIMARY KEY on lead_id: the loader writes each ID once (UPDATE of the stored ones, INSERT of the rest) and
    # refresh_derived refuses a store holding an ID twice (derived.DuplicateLeadId), so the import rolls back as
    # the key would have made it. The key's index cost a 1M-lead import about 0.4 s, most of it in a one-thread
    # commit (docs/performance.md, "import, ninth session"). A store made with the key keeps it.
    """create table if not exists leads (
        lead_id varchar not null, source varchar, customer varchar, contact varchar, contact_info varchar,
        acquired_at timestamp, current_stage varchar, stage_entered_at timestamp, expected_close timestamp,
        rep varchar, manager varchar, status varchar, status_reported varchar, cycle_days_reported double,
        lost_reason varchar, lost_at timestamp, notes varchar, amount double, import_id varchar)""",
    """create table if not exists stage_events (
        lead_id varchar not null, stage varchar not null, entered_at timestamp, import_id varchar)""",
    """create table if not exists activities (
        lead_id varchar not null, "at" timestamp, content varchar, feedback varchar, actor varchar,
        import_id varchar)""",
    """create table if not exists roster (rep varchar primary key, manager varchar, team varchar, import_id varchar)""",
    """create table if not exists imports (
        import_id varchar primary key, file_name varchar, sha256 varchar, format varchar,
        rows_read integer, rows_accepted integer, rows_rejected integer, rows_warned integer,
        rows_blank integer, rows_duplicate integer, started_at timestamp, finished_at timestamp,
        who varchar, status varchar, message varchar)""",
    """create table if not exists rejects (
        import_id varchar, file_name varchar, row_number integer, raw_values varchar, reason varchar,
        code varchar, params varchar)""",
    """create table if not exists import_warnings (
        import_id varchar, file_name varchar, row_number integer, column_name varchar, raw_value varchar,
        problem varchar, code varchar, params varchar)""",
    # A store written before problems had codes (funnel.ingest.problems): its rows keep NULL codes and show
    # by their sentence (funnel.messages.problem_text).
    "alter table rejects add column if not exists code varchar",
    "alter table rejects add column if not exists params varchar",
    "alter table import_warnings add column if not exists code varchar",
    "alter table import_warnings add column if not exists params varchar",
    """create table if not exists loss_categories (keyword varchar primary key, category varchar not null)""",
    """create table if not exists settings (key varchar primary key, value varchar)""",
)

# Columns of leads as written by the loader, in table order.
LEAD_COLUMNS: tuple[str, ...] = (
    "lead_id", "source", "customer", "contact", "contact_info", "acquired_at", "current_stage",
    "stage_entered_at", "expected_close", "rep", "manager", "status", "status_reported",
    "cycle_days_reported", "lost_reason", "lost_at", "notes", "amount", "import_id",
)
EVENT_COLUMNS: tuple[str, ...] = ("lead_id", "stage", "entered_at", "import_id")
ACTIVITY_COLUMNS: tuple[str, ...] = ("lead_id", "at", "content", "feedback", "actor", "import_id")
ROSTER_COLUMNS: tuple[str, ...] = ("rep", "manager", "team", "import_id")

# Tables a caller may name (table names cannot be bound as SQL parameters: check against this list).
KNOWN_TABLES: frozenset[str] = frozenset(
    {"stages", "stage_synonyms", "leads", "stage_events", "activities", "roster", "imports", "rejects",
     "import_warnings", "loss_categories", "settings", "lead_facts", "lead_stages", "stage_intervals",
     "event_problems", "interval_facts", "lead_snapshots", "cohort_cube", "interval_cube"}
)
