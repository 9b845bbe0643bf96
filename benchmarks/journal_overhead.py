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
req = {"model": "m", "messages": [{"role": "system", "content": "rules " * 400}, {"role": "user", "content": "row " * 200}], "n": 1}
resp = {"choices": [{"message": {"content": "answer " * 100}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 900, "completion_tokens": 100}}
res = {True: [], False: []}
for rep in range(3):
    for journal in (True, False):
        d = tempfile.mkdtemp()
        st = Store(os.path.join(d, "j.duckdb"))
        if not journal:
            st._journal = None
        t = time.perf_counter()
        for i in range(20000):
            st.put_call(f"{i:064x}", kind="rewrite", request=req, response=resp, prompt_tokens=900, completion_tokens=100)
            if i % 64 == 0:
                st.maybe_flush()
        res[journal].append(time.perf_counter() - t)
        st.close()
for j in (True, False):
    print(f"journal={j}: best of 3: {min(res[j]) / 20000 * 1e6:.0f} us per answered call stored (flushes included)")
