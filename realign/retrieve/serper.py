"""Serper (google.serper.dev) web search adapter; key from SERPER_API_KEY.

Request: POST {base}/search, header X-API-KEY, JSON {"q": query, "num": k}.
Answer: "answerBox" and "knowledgeGraph" (when Google shows them) come first, then "organic"
results [{title, link, snippet}], in that order, at most k in all.
"""

from __future__ import annotations

from typing import Any

from realign.records import Evidence
from realign.retrieve.web import WebSearch, clean_snippet, evidence_list


class SerperSearch(WebSearch):
    provider = "serper"
    env_var = "SERPER_API_KEY"
    default_base_url = "https://google.serper.dev"
    max_k = 100

    def http_request(self, query: str, k: int) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": f"{self.base_url}/search",
            "headers": {"X-API-KEY": self._api_key, "Content-Type": "application/json"},
            "json": {"q": query, "num": k},
        }

    def parse(self, data: dict[str, Any], k: int) -> list[Evidence]:
        items: list[tuple[str, str, str]] = []
        box = data.get("answerBox")
        if isinstance(box, dict):
            text = clean_snippet(box.get("answer")) or clean_snippet(box.get("snippet"))
            highlighted = box.get("snippetHighlighted")
            if not text and isinstance(highlighted, list):
                text = clean_snippet(" ".join(h for h in highlighted if isinstance(h, str)))
            items.append((clean_snippet(box.get("title")), str(box.get("link") or ""), text))
        graph = data.get("knowledgeGraph")
        if isinstance(graph, dict):
            url = graph.get("descriptionLink") or graph.get("website") or ""
            items.append((clean_snippet(graph.get("title")), str(url), clean_snippet(graph.get("description"))))
        organic = data.get("organic")
        for r in organic if isinstance(organic, list) else []:
            if isinstance(r, dict):
                items.append((clean_snippet(r.get("title")), str(r.get("link") or ""), clean_snippet(r.get("snippet"))))
        return evidence_list(items, self.provider, k)
