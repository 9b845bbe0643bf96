"""Brave Search API web search adapter; key from BRAVE_API_KEY.

Request: GET {base}/res/v1/web/search?q=...&count=k, header X-Subscription-Token.
Answer: "web": {"results": [{title, url, description}]}; descriptions carry <strong> markup,
which is removed.
"""

from __future__ import annotations

from typing import Any

from realign.records import Evidence
from realign.retrieve.web import WebSearch, clean_snippet, evidence_list


class BraveSearch(WebSearch):
    provider = "brave"
    env_var = "BRAVE_API_KEY"
    default_base_url = "https://api.search.brave.com"
    max_k = 20

    def http_request(self, query: str, k: int) -> dict[str, Any]:
        return {
            "method": "GET",
            "url": f"{self.base_url}/res/v1/web/search",
            "headers": {"X-Subscription-Token": self._api_key, "Accept": "application/json"},
            "params": {"q": query, "count": k},
        }

    def parse(self, data: dict[str, Any], k: int) -> list[Evidence]:
        web = data.get("web")
        results = web.get("results") if isinstance(web, dict) else None
        items = [
            (clean_snippet(r.get("title")), str(r.get("url") or ""), clean_snippet(r.get("description")))
            for r in (results if isinstance(results, list) else [])
            if isinstance(r, dict)
        ]
        return evidence_list(items, self.provider, k)
