"""The ratings service: a small JSON API that counts readers' votes for published articles.

A static host cannot count votes, so this package runs beside it (``python build.py ratings``):
``store`` keeps votes in SQLite (WAL), ``published`` reads the article ids the build published,
``limits`` rate-limits each client address, ``app`` is the Starlette application and ``server``
runs it with uvicorn. ``scores`` holds what both the service and the build agree a score is.
"""
