"""The cascade: the embedded classifier decides when it is confident, the LLM otherwise.

Every text is first classified by the embedded model. Those whose confidence (softmax
probability of the top task) is at least `threshold` keep that prediction (method
"embedded"); the rest are sent to the LLM classifier (method "llm") with the embedded model's
12 likeliest tasks as the candidates (a short prompt: see `llm.SHORTLIST`), and when the LLM
gives no usable answer they keep the embedded prediction (method "embedded_fallback").

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

    def first_pass(self, texts: Sequence[str]) -> list[TaskPrediction]:
        """The embedded predictions alone; `refine` then settles the unsure ones one by one."""
        return self.embedded.predict(list(texts))

    async def refine(self, text: str, first: TaskPrediction) -> TaskPrediction:
        """`first` when it is confident enough, else the LLM's answer for this one text (or
        `first` again, marked "embedded_fallback", when the LLM gives none). The pipeline calls
        it inside each row's own task, so a slow or failed request delays that row only."""
        if first.confidence >= self.threshold:
            return first
        return (await self.llm.classify_with_fallback([text], [first], [self.candidates(text)]))[0]

    def candidates(self, text: str) -> list[str]:
        """The embedded model's SHORTLIST likeliest tasks for `text`, in taxonomy order."""
        from realign.classify.llm import SHORTLIST
        from realign.tasks import TASK_NAMES

        likely = {name for name, _ in self.embedded.top_k(text, SHORTLIST)}
        return [name for name in TASK_NAMES if name in likely]

    async def classify(self, texts: Sequence[str]) -> list[TaskPrediction]:
        texts = list(texts)
        first = self.embedded.predict(texts)
        unsure = [i for i, p in enumerate(first) if p.confidence < self.threshold]
        if not unsure:
            return first
        asked = await self.llm.classify_with_fallback(
            [texts[i] for i in unsure], [first[i] for i in unsure], [self.candidates(texts[i]) for i in unsure])
        out = list(first)
        for i, p in zip(unsure, asked):
            out[i] = p
        return out
