"""``backclf serve``: assessments over HTTP (the ``serve`` extra: FastAPI and uvicorn).

A thin adapter like the command line: request bodies are read into items by
:mod:`backclf.io.parse` and assessed by :func:`backclf.io.score.assess_items`, so an HTTP
answer is the same record, byte for byte, that ``backclf predict --format json`` writes for
the same case, through the one decision path. See :mod:`backclf.serve.app`.
"""
