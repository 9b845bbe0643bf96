"""The Ray workers' journal index (`realign.engines.shards.JournalIndex`): the answers and settled
failures it gives are those of reading every journal line in order, whatever the journals hold,
and a saved index is reused instead of reading the journals again."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from realign.engines.shards import INDEX_DIR, JournalIndex, ShardCache, read_journal
from realign.store import SETTLED_FAILURES


def reference(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What reading every journal line in order gives (the cache before the index)."""
    answers: dict[str, Any] = {}
    settled: dict[str, Any] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for e in read_journal(path):
            if e.get("response") is None:
                continue
            if e.get("error") is None:
                answers[e["key"]] = e["response"]
                settled.pop(e["key"], None)
            elif e.get("finish_reason") in SETTLED_FAILURES:
                settled[e["key"]] = e["response"]
    return answers, settled


def write_journals(folder: Path, seed: int, workers: int = 3, lines: int = 300) -> list[str]:
    """Journals as workers write them, with every case the reader must get right: the same key
    answered twice (another answer each time), a settled failure followed by an answer or not, an
    unsettled failure, a line with no answer, lines spaced as another writer would, text that looks
    like the closing fields inside a request, and a last line cut short."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    keys = [hashlib.sha256(f"{seed} {i}".encode()).hexdigest() for i in range(lines // 2)] + ["k-short", "k2"]
    for w in range(workers):
        with (folder / f"w{w}.jsonl").open("w", encoding="utf-8") as f:
            for i in range(lines):
                key = rng.choice(keys)
                roll = rng.random()
                request = {"model": "m", "messages": [{"role": "user", "content": rng.choice(
                    ['plain', 'a "quoted" ,"finish_reason":"stop" text', '"response":null', 'ünïcode ✓'])}]}
                if roll < 0.55:
                    entry = {"response": {"choices": [{"text": f"answer {w} {i}"}]}, "finish_reason": "stop",
                             "error": None}
                elif roll < 0.7:
                    entry = {"response": {"choices": [], "error": {"kind": "too_long"}},
                             "finish_reason": rng.choice(SETTLED_FAILURES), "error": "too_long"}
                elif roll < 0.8:
                    entry = {"response": None, "finish_reason": None, "error": "server_error 500"}
                elif roll < 0.9:
                    entry = {"response": None, "finish_reason": "stop", "error": None}
                else:
                    entry = {"response": {"choices": [{"text": "x"}]}, "finish_reason": "length", "error": "http_4xx"}
                full = {"key": key, "kind": "rewrite", "request": request, "response": entry["response"],
                        "finish_reason": entry["finish_reason"], "prompt_tokens": 3, "completion_tokens": 2,
                        "latency_s": 0.1, "error": entry["error"]}
                if rng.random() < 0.05:  # another writer's spacing: read whole
                    f.write(json.dumps(full) + "\n")
                else:
                    f.write(json.dumps(full, ensure_ascii=False, separators=(",", ":")) + "\n")
            if w == 0:
                f.write('{"key":"' + keys[0] + '","kind":"rewrite","request":{"mo')  # killed mid-line
    return keys


def agrees(folder: Path, keys: list[str], index: JournalIndex) -> None:
    answers, settled = reference(folder)
    assert index.settled == settled
    for key in keys + ["never-asked", "0" * 64]:
        assert index.get(key) == answers.get(key), key


@pytest.mark.parametrize("seed", range(6))
def test_the_index_gives_what_reading_every_line_in_order_gives(tmp_path: Path, seed: int) -> None:
    keys = write_journals(tmp_path / "calls", seed)
    index = JournalIndex(tmp_path / "calls", "reader")
    try:
        agrees(tmp_path / "calls", keys, index)
    finally:
        index.close()


def test_a_saved_index_is_read_instead_of_the_journal_and_only_what_was_appended_is_scanned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    keys = write_journals(folder, 7)
    monkeypatch.setattr(JournalIndex, "SAVE_AFTER_BYTES", 0)
    first = JournalIndex(folder, "a")
    first.close()
    assert first.bytes_read > 0 and sorted(p.name for p in (folder / INDEX_DIR).glob("*.npz")) == [
        "w0.jsonl.npz", "w1.jsonl.npz", "w2.jsonl.npz"]
    second = JournalIndex(folder, "b")
    try:
        assert second.bytes_read == 0
        agrees(folder, keys, second)
    finally:
        second.close()
    # a worker appends (its cut last line was never finished: a new line starts after it in
    # another journal, as a new worker would write); the next reader scans only the new bytes
    extra = {"key": keys[1], "kind": "rewrite", "request": {}, "response": {"choices": ["newer"]},
             "finish_reason": "stop", "prompt_tokens": 1, "completion_tokens": 1, "latency_s": 0.0, "error": None}
    line = json.dumps(extra, separators=(",", ":")) + "\n"
    with (folder / "w2.jsonl").open("a", encoding="utf-8") as f:
        f.write(line)
    third = JournalIndex(folder, "c")
    try:
        assert third.bytes_read == len(line.encode())
        agrees(folder, keys, third)
        assert third.get(keys[1]) == {"choices": ["newer"]}
    finally:
        third.close()


def test_an_unreadable_saved_index_costs_a_full_read_not_a_wrong_answer(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    keys = write_journals(folder, 8)
    monkeypatch.setattr(JournalIndex, "SAVE_AFTER_BYTES", 0)
    JournalIndex(folder, "a").close()
    (folder / INDEX_DIR / "w1.jsonl.npz").write_bytes(b"not an index")
    size = (folder / "w0.jsonl").stat().st_size
    with (folder / INDEX_DIR / "w0.jsonl.npz").open("wb") as f:  # says more was read than the journal holds
        import numpy as np
        np.savez(f, size=np.int64(size + 10_000), prefix=np.zeros(0, dtype=np.uint64),
                 offset=np.zeros(0, dtype=np.int64), settled=np.zeros(0, dtype=np.int64))
    index = JournalIndex(folder, "b")
    try:
        assert index.bytes_read > 0
        agrees(folder, keys, index)
    finally:
        index.close()


def test_a_worker_cache_answers_from_the_journals_then_its_own_answers(tmp_path: Path) -> None:
    keys = write_journals(tmp_path / "calls", 9)
    answers, settled = reference(tmp_path / "calls")
    cache = ShardCache(tmp_path, "w9")
    try:
        some = next(k for k in keys if k in answers)
        assert cache.get_call(some) == answers[some]
        cache.put_call(some, kind="rewrite", request={}, response={"choices": ["mine"]})
        assert cache.get_call(some) == {"choices": ["mine"]}
        refused = next((k for k in settled), None)
        if refused is not None:
            assert cache.get_cutoff(refused) == settled[refused]
            cache.put_call(refused, kind="rewrite", request={}, response={"choices": ["answered"]})
            assert cache.get_cutoff(refused) is None and cache.get_call(refused) == {"choices": ["answered"]}
    finally:
        cache.close()
