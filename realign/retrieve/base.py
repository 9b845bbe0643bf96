"""The retriever interface: local indexes and web search adapters implement it."""

from __future__ import annotations

from typing import Protocol

from realign.records import Evidence


class Retriever(Protocol):
    name: str

    async def search(self, query: str, k: int) -> list[Evidence]: ...
