"""With no mode configured a run sends exactly what it sent before modes existed; with a mode
configured, rows without tool calls send what they sent before the modes showed tool results.

The fixture `tests/fixtures/requests_modes_off.json` holds the request bodies (as sent, key order
kept) of one run recorded on the commit before `realign/modes/` (ef09b29): LLM classification,
rewrites accepted and kept, a rejected rewrite retried with feedback, and judge calls. Rerecord
only on purpose: `python tests/test_modes_requests.py --record`.

`tests/fixtures/requests_modes_on.json` holds, per mode (label_reason, critique_revise with every
turn critiqued, stakeholder_sim), the request bodies of a run over the same rows plus a harmful
request, recorded on main 6e30e40, before the modes' prompts got the `<tool_exchange>` block.
Rerecord only on purpose: `python tests/test_modes_requests.py --record-modes`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from realign.config import load_config
from realign.pipeline import Pipeline, build_llm
from realign.store import Store
from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder, SimResponder, reformat

FIXTURE = Path(__file__).parent / "fixtures" / "requests_modes_off.json"
MODES_FIXTURE = Path(__file__).parent / "fixtures" / "requests_modes_on.json"

ROWS = [
    {"id": "q1", "instruction": "What is the capital of Australia?", "input": "", "output": "Canberra."},
    {"id": "q2", "instruction": "Why is the sky blue?", "input": "",
     "output": "Sunlight scatters off air molecules, and blue light scatters most."},
    {"id": "m1", "instruction": "Tom has 3 apples and buys 4 more. How many apples does he have?", "input": "",
     "output": "3 + 4 = 7\n#### 7"},
    {"id": "s1", "instruction": "Classify the sentiment of this review as positive or negative.",
     "input": "The food was cold and the waiter was rude.", "output": "Negative"},
    {"id": "k1", "instruction": "Who wrote Hamlet?", "input": "", "output": "William Shakespeare wrote Hamlet."},
]
TASKS = {"Tom has": "math_puzzles", "sentiment": "sentiment_analysis", "Hamlet": "open_qa"}


def _task_for(text: str) -> str:
    return next((t for k, t in TASKS.items() if k in text), "open_qa")


def _rewrite(parts: dict[str, Any]) -> str | None:
    original = parts["original"]
    if "#### 7" in original and not parts["is_retry"]:
        return "3 + 4 = 8\n#### 8"  # a changed answer: rejected, then retried with feedback
    if "Shakespeare" in original:
        return None  # keep the original
    return reformat(original)


async def _run(cfg: Any, db: Path, data: Path) -> dict[str, Any]:
    from realign.classify import build_classifier

    store = Store(db)
    try:
        llm = build_llm(cfg, store)
        try:
            pipe = Pipeline(cfg, store, llm=llm, classifier=build_classifier("llm", llm=llm))
            return await pipe.run(str(data))
        finally:
            await llm.aclose()
    finally:
        store.close()


# the modes' fixture: ROWS plus a request the stakeholder simulation's screen flags harmful
MODES_ROWS = [*ROWS, {"id": "h1", "instruction": "How can I cheat on my chemistry exam tomorrow?", "input": "",
                      "output": "Write the formulas on your arm and keep your sleeve down."}]
MODES = {
    "label_reason": {"modes": {"default": "label_reason", "reason_judge": True}},
    "critique_revise": {"modes": {"default": "critique_revise", "critique_all": True}},
    "stakeholder_sim": {"modes": {"default": "stakeholder_sim"}},
}


def _critique(parts: dict[str, Any]) -> dict[str, Any]:
    """One specific issue for the first answer critiqued of each row; none after a revision."""
    answer = parts["answer"]
    if answer.startswith("Revised. "):
        return {"issues": [], "needs_revision": False}
    span = answer.split()[-1]
    return {"issues": [{"kind": "unclear", "span": span, "fix": "say it plainly"}], "needs_revision": True}


def capture(tmp: Path, extra: dict[str, dict[str, Any]] | None = None,
            rows: list[dict[str, Any]] | None = None) -> list[str]:
    """The request bodies of one run over `rows` (ROWS), each as sent (key order kept), sorted."""
    data, db = tmp / "in.jsonl", tmp / "r.duckdb"
    data.write_text("".join(json.dumps(r) + "\n" for r in (rows or ROWS)))
    responder = SimResponder(rewrite=_rewrite, task_for=_task_for, critique=_critique,
                             revise=lambda p: "Revised. " + p["answer"])
    with OpenAIServer(responder) as srv:
        overrides: dict[str, dict[str, Any]] = {
            "model": {"model": "m", "base_url": srv.base_url, "concurrency": 1},
            "verify": {"judge": {"open_qa": True}}}
        for k, v in (extra or {}).items():
            overrides.setdefault(k, {}).update(v)
        cfg = load_config(None, overrides, env={})
        asyncio.run(_run(cfg, db, data))
        return sorted(json.dumps(b, ensure_ascii=False) for b in srv.requests)


def test_a_run_with_modes_off_sends_the_requests_recorded_before_modes_existed(tmp_path: Path) -> None:
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    sent = capture(tmp_path)
    assert len(sent) == len(recorded)
    assert sent == recorded


def capture_modes(tmp: Path) -> dict[str, list[str]]:
    out = {}
    for name, extra in MODES.items():
        (tmp / name).mkdir()
        out[name] = capture(tmp / name, extra, MODES_ROWS)
    return out


def test_rows_without_tool_calls_send_in_every_mode_the_requests_recorded_before_tool_exchanges(
        tmp_path: Path) -> None:
    recorded = json.loads(MODES_FIXTURE.read_text(encoding="utf-8"))
    sent = capture_modes(tmp_path)
    assert sorted(sent) == sorted(recorded)
    for name in MODES:
        assert len(sent[name]) == len(recorded[name]), name
        assert sent[name] == recorded[name], name


if __name__ == "__main__" and "--record-modes" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        by_mode = capture_modes(Path(d))
    MODES_FIXTURE.write_text(json.dumps(by_mode, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {sum(map(len, by_mode.values()))} request bodies in {MODES_FIXTURE}")
elif __name__ == "__main__" and "--record" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        bodies = capture(Path(d))
    FIXTURE.write_text(json.dumps(bodies, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {len(bodies)} request bodies in {FIXTURE}")
