"""The cascade: the embedded classifier decides when it is confident, the LLM otherwise.

Every text is first classified by the embedded model. Those whose confidence (softmax
probability of the top task) is at least `threshold` keep that prediction (method
"embedded"); the rest are sent to the LLM classifier (method "llm"), and when the LLM gives no
usable answer they keep the embedded prediction (method "embedded_fallback").

The default threshold comes from the dev set (data/classify/dev.jsonl, see
benchmarks/classify.py): at 0.7 the embedded model decides ~90% of the dev rows and is right on
~95% of them; below 0.7 it is right on only about half, which is where asking a model pays.
Real data is less tidy than the dev set, so expect a larger share to go to the LLM.
"""

from __future__ import annotations

from typing import Any, Sequence

from realign.records import TaskPrediction

DEFAULT_THRESHOLD = 0.7  # embedded confidence at or above which the LLM is not asked


class CascadeClassifier:
    """Embedded first, LLM for the uncertain rows; see the module docstring."""

    name = "cascade"

    def __init__(self, embedded: Any, llm: Any, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.embedded = embedded  # EmbeddedClassifier
        self.llm = llm  # LLMClassifier
        self.threshold = float(threshold)

    @property
    def fallbacks(self) -> int:
        """Rows the LLM was asked about but gave no usable answer for (they keep the embedded label)."""
        return int(getattr(self.llm, "fallbacks", 0))

    async def classify(self, texts: Sequence[str]) -> list[TaskPrediction]:
        texts = list(texts)
        first = self.embedded.predict(texts)
        unsure = [i for i, p in enumerate(first) if p.confidence < self.threshold]
        if not unsure:
            return first
        asked = await self.llm.classify_with_fallback([texts[i] for i in unsure], [first[i] for i in unsure])
        out = list(first)
        for i, p in zip(unsure, asked):
            out[i] = p
        return out
