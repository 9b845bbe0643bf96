"""Tavily search API adapter; key from TAVILY_API_KEY.

Request: POST {base}/search, header Authorization: Bearer KEY, JSON {"query", "max_results",
"search_depth": "basic"}. Answer: "results": [{title, url, content, score}].
"""

from __future__ import annotations

from typing import Any

from realign.records import Evidence
from realign.retrieve.web import WebSearch, clean_snippet


class TavilySearch(WebSearch):
    provider = "tavily"
    env_var = "TAVILY_API_KEY"
    default_base_url = "https://api.tavily.com"
    max_k = 20

    def http_request(self, query: str, k: int) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": f"{self.base_url}/search",
            "headers": {"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
            "json": {"query": query, "max_results": k, "search_depth": "basic"},
        }

    def parse(self, data: dict[str, Any], k: int) -> list[Evidence]:
        results = data.get("results")
        out: list[Evidence] = []
        for r in results if isinstance(results, list) else []:
            if not isinstance(r, dict) or len(out) >= k:
                continue
            text = clean_snippet(r.get("content"))
            url = str(r.get("url") or "")
            if not text:
                continue
            score = r.get("score")
            out.append(Evidence(rank=len(out) + 1, source=self.provider, doc_id=url or f"tavily:{len(out) + 1}",
                                title=clean_snippet(r.get("title")), text=text, url=url or None,
                                score=float(score) if isinstance(score, (int, float)) else None))
        return out
