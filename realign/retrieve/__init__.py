"""Evidence retrieval: a local BM25 index over a user corpus and web search adapters.

    build_retriever(kind, ...)        -> Retriever            (factory.py)
    build_index(files, dir, ...)      -> BuildReport          (index.py)
    LocalIndex.load(dir)                                      (index.py)
    SerperSearch / BraveSearch / TavilySearch                 (serper.py, brave.py, tavily.py)
    make_query(instruction, input)    -> str                  (query.py)
    dedupe(evidence), format_evidence(evidence)               (evidence.py)

The heavy pieces (bm25s, httpx) are imported by the modules that use them, not here.
"""

from __future__ import annotations

from realign.retrieve.base import Retriever
from realign.retrieve.evidence import dedupe, format_evidence
from realign.retrieve.factory import KINDS, build_retriever
from realign.retrieve.query import make_query

__all__ = ["KINDS", "Retriever", "build_retriever", "dedupe", "format_evidence", "make_query"]
