"""Rows the model cannot take, and chats whose earlier answer fails: end to end through the CLI.

A prompt longer than the model's context is refused by the server (HTTP 400, in vLLM's, llama.cpp's
or OpenAI's words; the test server's `context_chars`): the turn is kept as it is, reason too_long,
counted, and not sent again by a resume. In a chat, a later answer is rewritten against the
earlier answers as they end up (`realign.pipeline.holds_back` states the rule): faults are
injected into the requests of one turn only, by its text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from realign.testing.openai_server import OpenAIServer, Reply
from realign.testing.responders import RealignResponder, reformat
from tests.test_e2e_cli import pipeline_file, realign, summary_of

SHORT = "Water boils at 100 degrees Celsius at sea level."
LONG = "Rivers carry sediment downstream and drop it where the water slows. " * 60  # ~4,100 characters


def _alpaca(path: Path) -> None:
    rows = [{"id": "s1", "instruction": "At what temperature does water boil?", "input": "", "output": SHORT},
            {"id": "l1", "instruction": "Explain how deltas form.", "input": "", "output": LONG},
            {"id": "s2", "instruction": "Name the largest planet.", "input": "", "output": "Jupiter is the largest planet."},
            {"id": "l2", "instruction": "Explain deltas again, briefly.", "input": "", "output": LONG}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_row_longer_than_the_context_is_kept_with_its_reason_counted_and_never_paid_again(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "r.duckdb"
    _alpaca(data)
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "-q", "--json", "--db", str(db)]
        s = summary_of(realign(*args))
        # one request each: the 400 is not retried, and the two long rows do not fail
        assert srv.count == 4 and srv.too_long == 2 and s["retries"] == 0
        assert (s["rewritten"], s["kept_original"], s["failed"], s["too_long"]) == (2, 2, 0, 2)
        assert s["failed_by_kind"] == [] and "--max-prompt-chars" in s["too_long_fix"]
        srv.reset()
        s = summary_of(realign(*args))  # the resume does the long rows again, from the cache
        assert srv.count == 0 and s["cached_requests"] == 2 and s["resumed"] == 2 and s["too_long"] == 2
        text = realign(*args[:-3], "--db", str(db))  # the plain summary says what to do about them
        assert text.returncode == 0 and "2 turn(s) kept as they are" in text.stderr
    story = summary_of(realign("show", "l1", "--db", str(db), "--json"))
    (turn,) = story["turns"]
    assert turn["status"] == "kept_original" and turn["reason"].startswith("too_long: This model's maximum context")
    assert story["final_turns"][-1]["content"] == LONG
    stats = summary_of(realign("stats", "--db", str(db), "--json"))[0]
    assert stats["too_long"] == 2 and stats["by_status"]["kept_original"] == 2
    assert {r["check"]: r["rows"] for r in stats["rejection_reasons"]}["too_long"] == 2

    # A server with a longer context at another URL: the same command, resumed, asks the long
    # rows there and rewrites them; the finished short rows are not sent again.
    with OpenAIServer(RealignResponder()) as wide:
        s = summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", wide.base_url, "--task",
                               "open_qa", "-q", "--json", "--db", str(db)))
        assert wide.count == 2 and s["rewritten"] == 4 and s["too_long"] == 0


def test_max_prompt_chars_keeps_long_rows_without_a_request(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "r.duckdb"
    _alpaca(data)
    with OpenAIServer(RealignResponder()) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "-q", "--json", "--db", str(db)]
        s = summary_of(realign(*args, "--max-prompt-chars", "3000"))
        assert srv.count == 2 and (s["rewritten"], s["too_long"]) == (2, 2)
        reason = summary_of(realign("show", "l2", "--db", str(db), "--json"))["turns"][0]["reason"]
        assert "--max-prompt-chars 3,000" in reason
        srv.reset()
        s = summary_of(realign(*args))  # without the limit the same run goes on: only the long rows are asked
        assert srv.count == 2 and s["rewritten"] == 4 and s["run_id"]


def test_dry_run_counts_turns_known_too_long_apart_and_not_as_requests(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "r.duckdb"
    _alpaca(data)
    with OpenAIServer(RealignResponder(), dialect="vllm", context_chars=3000) as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "--db", str(db)]
        assert summary_of(realign(*args, "-q", "--json"))["too_long"] == 2
        srv.reset()
        plan = summary_of(realign(*args, "--dry-run", "--json"))
        assert plan["resumed"] == 2  # the short rows; the long ones are done again by a rerun ...
        assert plan["too_long_turns"] == {"known": 2, "over_max_prompt_chars": 0}
        assert plan["requests"] == 0 and plan["estimated_prompt_tokens"] == 0  # ... from the cache
        text = realign(*args, "--dry-run")
        assert "2 refused before as longer than the model's context" in text.stdout
        assert srv.count == 0
    # another endpoint is asked anew (a longer context), so there they are work to do
    plan = summary_of(realign(*args[:6], "http://127.0.0.1:9/v1", *args[7:], "--dry-run", "--json"))
    assert plan["too_long_turns"]["known"] == 0 and plan["requests"] == 2
    # --max-prompt-chars: over it, a turn is kept without a request
    fresh = ["rewrite", "--in", str(data), "--model", "m", "--base-url", "http://127.0.0.1:9/v1", "--task", "open_qa",
             "--db", str(tmp_path / "new.duckdb"), "--dry-run"]
    plan = summary_of(realign(*fresh, "--json", "--max-prompt-chars", "3000"))
    assert plan["too_long_turns"] == {"known": 0, "over_max_prompt_chars": 2} and plan["requests"] == 2
    assert summary_of(realign(*fresh, "--json"))["requests"] == 4
    assert "2 over --max-prompt-chars (never sent)" in realign(*fresh, "--max-prompt-chars", "3000").stdout


# ---- a chat whose earlier answer fails ------------------------------------------------------------

FIRST, SECOND = "Plant beans in spring, about 5 cm deep.", "Beans: spring, 5 cm deep."


def _chat(path: Path) -> None:
    path.write_text(json.dumps({"id": "c1", "messages": [
        {"role": "user", "content": "When and how deep should I plant beans?"},
        {"role": "assistant", "content": FIRST},
        {"role": "user", "content": "Now shorten your previous answer to one line."},
        {"role": "assistant", "content": SECOND},
    ]}) + "\n")


def _asks_for(body: dict[str, Any], original: str) -> bool:
    """Whether the request rewrites the answer `original` (not merely shows it as history)."""
    return f"<original_response>\n{original}" in body["messages"][-1]["content"]


PORTS: dict[Path, int] = {}  # one port per test: a rerun reaches the same endpoint URL


def _run(tmp_path: Path, respond: Any, *extra: str) -> tuple[dict, list[dict], Path]:
    data, db = tmp_path / "chat.jsonl", tmp_path / "r.duckdb"
    if not data.exists():
        _chat(data)
    with OpenAIServer(respond, port=PORTS.get(tmp_path, 0)) as srv:
        PORTS[tmp_path] = srv.port
        s = summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task",
                               "open_qa", "-q", "--json", "--db", str(db), *extra))
        return s, srv.requests, db


def _turns(db: Path) -> dict[int, dict]:
    return {t["turn_index"]: t for t in summary_of(realign("show", "c1", "--db", str(db), "--json"))["turns"]}


def test_an_earlier_turn_rejected_by_verification_lets_the_later_turn_go_on_against_the_original(
        tmp_path: Path) -> None:
    inner = RealignResponder(lambda parts: "Short." if parts["original"] == FIRST else reformat(parts["original"]))
    s, requests, db = _run(tmp_path, inner)
    turns = _turns(db)
    assert turns[1]["status"] == "kept_original" and turns[1]["reason"].startswith("rejected")
    assert turns[3]["status"] == "rewritten" and turns[3]["history_rewritten"] == []
    later = [r for r in requests if _asks_for(r, SECOND)]
    assert len(later) == 1 and f"[assistant]\n{FIRST}\n" in later[0]["messages"][-1]["content"]
    assert s["rewritten"] == 1 and s["failed"] == 0


def test_an_earlier_turn_too_long_for_the_model_does_not_hold_the_later_turn_back(tmp_path: Path) -> None:
    # The server refuses only the first answer's request; the later turn is asked (against the
    # original) and rewritten, and a resume sends nothing.
    inner = RealignResponder()

    def respond(body: dict) -> Reply:
        if _asks_for(body, FIRST):
            return Reply(status=400, error_message="Requested tokens (5000) exceed context window of 4096")
        return inner(body)

    s, requests, db = _run(tmp_path, respond)
    turns = _turns(db)
    assert turns[1]["status"] == "kept_original" and turns[1]["reason"].startswith("too_long: Requested tokens")
    assert turns[3]["status"] == "rewritten" and f"[assistant]\n{FIRST}\n" in requests[-1]["messages"][-1]["content"]
    assert len(requests) == 2 and s["too_long"] == 1 and s["failed"] == 0
    s, requests, _ = _run(tmp_path, respond)
    assert requests == [] and s["too_long"] == 1 and s["rewritten"] == 1


def test_an_earlier_turn_failing_with_5xx_holds_the_later_turn_until_a_resume_rewrites_it(tmp_path: Path) -> None:
    # A 500 after every retry: the rerun will send it again and may get a rewrite, so the later
    # turn is not asked against a history that would then change; the resume asks it once.
    inner = RealignResponder()
    broken = {"on": True}

    def respond(body: dict) -> Reply:
        if broken["on"] and _asks_for(body, FIRST):
            return Reply(status=503, error_message="upstream overloaded (injected)")
        return inner(body)

    cfg = str(pipeline_file(tmp_path, max_attempts=2))
    s, requests, db = _run(tmp_path, respond, "--pipeline", cfg)
    turns = _turns(db)
    assert turns[1]["status"] == "failed" and "server_error 503" in turns[1]["error"]
    assert turns[3]["status"] == "failed" and "waits for turn 1" in turns[3]["reason"]
    assert not turns[3]["request_keys"] and len(requests) == 2 and not any(_asks_for(r, SECOND) for r in requests)
    assert s["failed"] == 1 and [k["kind"] for k in s["failed_by_kind"]] == ["server_error"]
    broken["on"] = False
    s, requests, db = _run(tmp_path, respond, "--pipeline", cfg)
    assert s["rewritten"] == 1 and len(requests) == 2
    assert reformat(FIRST) in requests[1]["messages"][-1]["content"]  # the later turn saw the rewrite
    assert _turns(db)[3]["history_rewritten"] == [1]


def test_an_earlier_turn_that_fails_the_same_way_every_time_does_not_hold_the_later_turn_forever(
        tmp_path: Path) -> None:
    # The first answer is cut off at max_tokens with the same text twice: a settled failure the
    # cache repeats on every rerun. The later turn goes on against the original; the row stays
    # failed (raise --max-tokens to fix it), and a resume pays for nothing.
    inner = RealignResponder()

    def respond(body: dict) -> Reply:
        if _asks_for(body, FIRST):
            return Reply(content='{"rewritten": "Plant beans', finish_reason="length")
        return inner(body)

    s, requests, db = _run(tmp_path, respond)
    turns = _turns(db)
    assert turns[1]["status"] == "failed" and turns[1]["error"].startswith("length")
    assert turns[3]["status"] == "rewritten" and f"[assistant]\n{FIRST}\n" in requests[-1]["messages"][-1]["content"]
    assert len(requests) == 3 and s["failed"] == 1  # two cut-offs, one later turn
    s, requests, _ = _run(tmp_path, respond)
    assert requests == [] and s["failed"] == 1 and s["cached_requests"] == 2
