"""Lead Funnel: where a sales team's leads go, how long they take, why they are lost, who converts them.

Data flows one way: file -> ``funnel.ingest`` -> ``funnel.store`` (DuckDB) -> ``funnel.metrics`` (pure)
-> charts / pages / report / command line. Nothing in this package imports Streamlit.
"""

__version__ = "0.1.0"
