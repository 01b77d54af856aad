"""The store: DuckDB schema, connection handling, import transactions, derived tables, shared folder."""
