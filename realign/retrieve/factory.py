"""Pick a retriever by name, as a pipeline config or a CLI flag names it.

Example:
    >>> r = build_retriever("local", index_dir="wiki-index")                 # doctest: +SKIP
    >>> r = build_retriever("serper", cache=store)  # key from SERPER_API_KEY  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Mapping

from realign.errors import ConfigError
from realign.llm.base import CallCache
from realign.retrieve.base import Retriever

WEB_KINDS = ("serper", "brave", "tavily")
KINDS = ("local", *WEB_KINDS)


def build_retriever(
    kind: str,
    *,
    index_dir: str | None = None,  # "local": the index directory
    name: str | None = None,  # "local": the Evidence source name (default: the directory's name)
    min_match: float | None = None,  # "local": relevance floor (default: index.DEFAULT_MIN_MATCH)
    cache: CallCache | None = None,  # web kinds: where answers are cached (the run's store)
    api_key: str | None = None,  # web kinds: default from the provider's environment variable
    base_url: str | None = None,  # web kinds: override the endpoint (tests, proxies)
    env: Mapping[str, str] | None = None,  # web kinds: environment to read the key from
    **options: Any,  # web kinds: timeout, max_attempts, backoff_initial, backoff_max, client
) -> Retriever:
    """A Retriever of `kind` ("local", "serper", "brave", "tavily").

    Raises ConfigError for an unknown kind, a local retriever without `index_dir`, or a web
    provider whose API key is neither passed nor set in its environment variable; InputError
    (from LocalIndex.load) for a missing or damaged index directory.
    """
    kind = kind.strip().lower()
    if kind == "local":
        if not index_dir:
            raise ConfigError("the local retriever needs an index directory (--index DIR)")
        from realign.retrieve.index import DEFAULT_MIN_MATCH, LocalIndex

        return LocalIndex.load(index_dir, name=name,
                               min_match=DEFAULT_MIN_MATCH if min_match is None else min_match)
    if kind in WEB_KINDS:
        cls = _web_class(kind)
        kwargs = {"cache": cache, "base_url": base_url, **options}
        if api_key:
            return cls(api_key, **kwargs)
        return cls.from_env(env, **kwargs)
    raise ConfigError(f"unknown retriever '{kind}'; choose one of: {', '.join(KINDS)}")


def _web_class(kind: str) -> type:
    if kind == "serper":
        from realign.retrieve.serper import SerperSearch

        return SerperSearch
    if kind == "brave":
        from realign.retrieve.brave import BraveSearch

        return BraveSearch
    from realign.retrieve.tavily import TavilySearch

    return TavilySearch
