"""Cost of the answer journal: storing an answered call with and without it (best of 3).

    .venv/bin/python benchmarks/journal_overhead.py

20,000 calls with a 2,400-character system prompt (shared, stored once) and a 1,000-character
row, a flush attempt every 64 calls as the pipeline makes them. Prints microseconds per call.
"""

from __future__ import annotations

import os
import tempfile
import time

from realign.store import Store

REQUEST = {"model": "m", "n": 1, "messages": [{"role": "system", "content": "rules " * 400},
                                              {"role": "user", "content": "row " * 200}]}
RESPONSE = {"choices": [{"message": {"content": "answer " * 100}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 100}}
CALLS = 20_000


def store_calls(journal: bool) -> float:
    st = Store(os.path.join(tempfile.mkdtemp(), "j.duckdb"))
    if not journal:
        st._journal = None  # what the store did before the journal
    t = time.perf_counter()
    for i in range(CALLS):
        st.put_call(f"{i:064x}", kind="rewrite", request=REQUEST, response=RESPONSE, prompt_tokens=900,
                    completion_tokens=100)
        if i % 64 == 0:
            st.maybe_flush()
    seconds = time.perf_counter() - t
    st.close()
    return seconds


def main() -> None:
    best = {j: min(store_calls(j) for _ in range(3)) for j in (True, False)}
    for j, s in best.items():
        print(f"journal {'on ' if j else 'off'}: {s / CALLS * 1e6:.0f} us per answered call stored (flushes included)")
    print(f"journal cost: {(best[True] - best[False]) / CALLS * 1e6:.0f} us per answer")


if __name__ == "__main__":
    main()
