"""The dataset: one best record per notice, kept current (see ``DATA_FORMAT.md``).

* :mod:`~gazette.dataset.rank`: which copy is the best and how copies merge;
* :mod:`~gazette.dataset.derive`: genre, issuer level and province, validity, body hash;
* :mod:`~gazette.dataset.store`: the SQLite store of copies and merged records
  (incremental: an update costs what it adds);
* :mod:`~gazette.dataset.files`: JSONL, CSV, Parquet and DuckDB, written atomically;
* :mod:`~gazette.dataset.feed`: the crawl's side (the export as a change feed);
* :mod:`~gazette.dataset.report`: the profile and the HTML report;
* :mod:`~gazette.dataset.cli`: ``gazette dataset`` and ``gazette schema``.

Nothing here imports pyarrow or duckdb at module level: a crawl never needs them.
"""
