"""Evidence post-processing: drop duplicates, number for the prompt.

Two pieces of evidence are duplicates when they come from the same place (the same URL, compared
without scheme, "www.", fragment and trailing slash; or the same source and passage / document
id) or when their texts are near-identical: equal after lower-casing and dropping punctuation
and whitespace, one (of 8 words or more) contained in the other, or word-trigram Jaccard similarity >= 0.8 (so mirrored
snippets and overlapping chunks of one paragraph collapse). The first (best-ranked) one is kept.

Example:
    >>> ev = [Evidence(rank=1, source="wiki", doc_id="123#0", title="Water", text="Water boils at 100 C."),
    ...       Evidence(rank=2, source="serper", doc_id="https://x.org/w", text="Water boils at 100 C!")]
    >>> [e.rank for e in dedupe(ev)]
    [1]
    >>> print(format_evidence(dedupe(ev)))
    [1] (source: wiki, doc 123#0) Water — Water boils at 100 C.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from realign.records import Evidence

NEAR_DUPLICATE_JACCARD = 0.8
MIN_CONTAINED_WORDS = 8  # a text this long found inside another counts as a copy of it
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _normal_text(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def _shingles(words: list[str], n: int = 3) -> set[tuple[str, ...]]:
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _place(e: Evidence) -> str:
    url = e.url or (e.doc_id if e.doc_id.startswith(("http://", "https://")) else None)
    if url:
        parts = urlsplit(url.strip())
        host = parts.netloc.lower().removeprefix("www.")
        path = parts.path.rstrip("/")
        return f"url:{host}{path}" + (f"?{parts.query}" if parts.query else "")
    return f"doc:{e.source}:{e.doc_id}"


def _near_identical(a: str, b: str, sa: set, sb: set) -> bool:
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if short.count(" ") + 1 >= MIN_CONTAINED_WORDS and short in long_:
        return True
    union = len(sa | sb)
    return union > 0 and len(sa & sb) / union >= NEAR_DUPLICATE_JACCARD


def dedupe(evidence: list[Evidence]) -> list[Evidence]:
    """`evidence` in its order without duplicates (see the module docstring), ranked again from 1."""
    kept: list[Evidence] = []
    places: set[str] = set()
    texts: list[tuple[str, set]] = []
    for e in evidence:
        place = _place(e)
        if place in places:
            continue
        norm = _normal_text(e.text)
        sh = _shingles(norm.split())
        if any(_near_identical(norm, t, sh, s) for t, s in texts):
            continue
        places.add(place)
        texts.append((norm, sh))
        kept.append(e)
    return [e.model_copy(update={"rank": i}) for i, e in enumerate(kept, start=1)]


def format_evidence(evidence: list[Evidence], max_chars_each: int | None = None) -> str:
    """One numbered line per piece of evidence, in the order given, for the rewrite prompt.

    "[rank] (source: SOURCE, doc DOC_ID) TITLE — TEXT" for corpus passages, and
    "[rank] (source: SOURCE, URL) TITLE — TEXT" for web results; the title part is left out when
    there is none. Text is whitespace-collapsed and, with `max_chars_each`, cut to that length.
    """
    lines = []
    for e in evidence:
        where = e.url if e.url else f"doc {e.doc_id}"
        text = " ".join(e.text.split())
        if max_chars_each is not None and len(text) > max_chars_each:
            text = text[: max_chars_each].rsplit(" ", 1)[0] + " …"
        title = " ".join(e.title.split())
        body = f"{title} — {text}" if title else text
        lines.append(f"[{e.rank}] (source: {e.source}, {where}) {body}")
    return "\n".join(lines)
