"""Task-type classifiers: embedded (default, offline), LLM, and the cascade between them.

    >>> clf = build_classifier("embedded")
    >>> import asyncio
    >>> asyncio.run(clf.classify(["write a haiku about rain"]))[0].task
    'poem_generation'

`build_classifier(kind, llm=client)` gives the cascade when a model is configured ("auto").
"""

from __future__ import annotations

from typing import Any

from realign.classify.base import Classifier, classification_text
from realign.errors import ConfigError

KINDS = ("auto", "embedded", "llm", "cascade")

__all__ = ["Classifier", "KINDS", "build_classifier", "classification_text"]


def resolved_kind(kind: str, *, has_llm: bool) -> str:
    """The classifier `kind` names once "auto" is decided (cascade with a model, else embedded);
    it is also the built classifier's `name`, which a run's identity holds."""
    key = (kind or "").strip().lower()
    return ("cascade" if has_llm else "embedded") if key == "auto" else key


def build_classifier(kind: str = "auto", *, llm: Any = None, threshold: float | None = None) -> Classifier:
    """The classifier of `kind`.

    kind: "embedded" (offline n-gram model), "llm" (asks the model for every row), "cascade"
    (embedded when its confidence >= threshold, else the LLM), or "auto" (cascade when an LLM
    client is given, else embedded). `llm` is a `realign.llm.client.LLMClient`. `threshold`
    defaults to `realign.classify.cascade.DEFAULT_THRESHOLD`.

    Raises ConfigError for an unknown kind, an LLM kind without a client, a threshold outside
    [0, 1], or a missing model file.
    """
    from realign.classify.cascade import DEFAULT_THRESHOLD, CascadeClassifier
    from realign.classify.embedded import EmbeddedClassifier

    key = (kind or "").strip().lower()
    if key not in KINDS:
        raise ConfigError(f"unknown classifier kind {kind!r}; choose one of: {', '.join(KINDS)}")
    key = resolved_kind(key, has_llm=llm is not None)
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise ConfigError(f"classifier threshold must be between 0 and 1, got {threshold}")
    if key in ("llm", "cascade") and llm is None:
        raise ConfigError(
            f"the {key!r} classifier needs a model: configure one (--base-url / --model, or the "
            "config's model settings), or use the 'embedded' classifier"
        )
    embedded = EmbeddedClassifier.load()
    if key == "embedded":
        return embedded
    from realign.classify.llm import LLMClassifier

    llm_clf = LLMClassifier(llm, embedded=embedded)
    if key == "llm":
        return llm_clf
    return CascadeClassifier(embedded, llm_clf, DEFAULT_THRESHOLD if threshold is None else float(threshold))
