"""Coherence of rewritten chats: does each rewritten later turn's prompt show the exported earlier turns?

For every exported row (``realign export --format messages``) and every assistant turn after the
first that the run sent to the model, the turn's first request (in ``llm_calls``) is read back
and its ``<conversation_so_far>`` block compared with the exported turns before it. A row counts
as *incoherent* when some later turn was written against earlier answers that differ from the ones
the exported row carries (e.g. the original turn 1 while the export holds its rewrite).

    python benchmarks/multiturn_history.py --db run.duckdb --export out.messages.jsonl

The README figures: `realign rewrite` over 25 MT-bench rows (lm-sys/FastChat, Apache-2.0; converted outside the repo) against
`python -m realign.testing.openai_server --mode realign` (for the resume figure, a first
session with `--faults bad_request:0.2` and a resume against a clean server), then `realign export
--format messages`, then this script.

Prints one JSON object: rows, rows with a later turn sent, incoherent rows, the first few ids, and
the answered rewrite requests that no stored turn of the run uses (paid for nothing, e.g. a follow-up asked
against a history a resume replaced; meaningful in a database holding that one run only).
"""

from __future__ import annotations

import argparse
import json
import re

from realign.records import Example
from realign.rewrite import turn_context
from realign.store import Store

_BLOCK = re.compile(r"<conversation_so_far>\n?(.*?)</conversation_so_far>", re.DOTALL)


def shown_history(prompt: list[dict[str, str]]) -> str:
    """The conversation block of a rewrite request, "" when it has none."""
    text = "\n".join(m["content"] for m in prompt if m["role"] == "user")
    m = _BLOCK.search(text)
    return m.group(1) if m else ""


def block_of(turns: list[dict[str, str]], turn_index: int) -> str:
    """What the block would hold for `turn_index` if the request showed `turns` (rewrite_user.j2)."""
    ex = Example(id="x", source_index=0, format="messages", turns=turns)
    return "".join(f"[{t.role}]\n{t.content}\n" for t in turn_context(ex, turn_index))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--export", required=True, help="the run's `realign export --format messages` file")
    ap.add_argument("--run", default=None)
    args = ap.parse_args()
    exported = {}
    with open(args.export, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            exported[row["id"]] = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
    rows_with_later, incoherent = set(), []
    with Store(args.db, read_only=True) as st:
        run = st.resolve_run(args.run)
        turns = st.query("SELECT example_id, turn_index, request_keys FROM rewrites WHERE run_id = ? "
                         "ORDER BY example_id, turn_index", [run])
        firsts: dict[str, int] = {}
        for t in turns:
            firsts.setdefault(t["example_id"], t["turn_index"])
        for t in turns:
            eid, k = t["example_id"], t["turn_index"]
            keys = json.loads(t["request_keys"] or "[]")
            if eid not in exported or k == firsts[eid] or not keys:
                continue
            req = st.stored_request(keys[0])
            if req is None:
                continue
            rows_with_later.add(eid)
            final = exported[eid]
            # the export may drop a system turn the input had; line the two up from the end
            offset = len(final) - len(json.loads(st.query(
                "SELECT turns FROM examples WHERE run_id = ? AND example_id = ?", [run, eid])[0]["turns"]))
            if shown_history(req["messages"]) != block_of(final, k + offset) and eid not in incoherent:
                incoherent.append(eid)
        used = {k for t in turns for k in json.loads(t["request_keys"] or "[]")}
        answered = {r["key"] for r in st.query("SELECT key FROM llm_calls WHERE error IS NULL AND kind <> 'classify'")}
    print(json.dumps({"rows": len(exported), "rows_with_a_later_turn_sent": len(rows_with_later),
                      "incoherent_rows": len(incoherent), "first_incoherent": incoherent[:5],
                      "answered_requests_no_turn_uses": len(answered - used)}))


if __name__ == "__main__":
    main()
