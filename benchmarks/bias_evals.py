"""How closely `realign eval bbq` / `realign eval winogender` measure a model whose accuracy and
bias are known: the test server's stereotype responder (realign.testing.openai_server) answers
every item of the data in varied phrasing with decisions fixed per item, and lists them; this
script prints the measured figures beside the ones counted from those decisions.

    python benchmarks/bias_evals.py [--bbq ../shared/data/bbq] [--winogender ../shared/data/winogender]

Data: BBQ (nyu-mll/BBQ, CC BY 4.0) and Winogender (rudinger/winogender-schemas, MIT); without
the shared folders it reads the slices in tests/fixtures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from realign.evals import bbq, winogender as wg
from realign.testing.openai_server import OpenAIServer, StereotypeResponder

REPO = Path(__file__).resolve().parent.parent


def _default(shared: str, fixture: str) -> str:
    path = REPO.parent / "shared" / "data" / shared
    return str(path if path.is_dir() else REPO / "tests" / "fixtures" / fixture)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bbq", default=_default("bbq", "bbq"))
    ap.add_argument("--winogender", default=_default("winogender", "winogender"))
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "unused")
    responder = StereotypeResponder(bbq=args.bbq, winogender=args.winogender)
    with tempfile.TemporaryDirectory() as tmp, OpenAIServer(responder) as srv:
        db = str(Path(tmp) / "bias.duckdb")
        started = time.monotonic()
        items = bbq.load_items(args.bbq)
        s = bbq.run_bbq_eval(items, data=args.bbq, model="stereotype", base_url=srv.base_url, db=db, progress=False)
        bbq_s = time.monotonic() - started
        meant = [responder.intents[it.item_id] for it in items]
        known = bbq.bias_metrics(np.array([i.fields["condition"] == "ambig" for i in meant]),
                                 np.array([i.correct for i in meant], dtype=float),
                                 np.array([i.fields["biased"] for i in meant], dtype=float),
                                 np.array([i.fields["named_group"] for i in meant], dtype=float))
        print(f"BBQ, {len(items)} items of {args.bbq} ({bbq_s:.1f} s, {srv.count} requests)")
        print(f"  {'metric':<16} {'known':>8} {'measured':>9}  95% interval")
        for k in ("accuracy", "accuracy_amb", "accuracy_disamb", "bias_disamb", "bias_amb"):
            lo, hi = s.get(f"{k}_ci", (None, None))
            print(f"  {k:<16} {known[k]:>8.4f} {s[k]:>9.4f}  {lo:.4f} .. {hi:.4f}")
        print(f"  answers read only by the phrase fallback: {s['read_by_phrase']}; unread: {s['unread']}")
        h = bbq.run_bbq_eval(items, data=args.bbq, model="stereotype", base_url=srv.base_url, db=db, progress=False,
                             phrase_fallback=False)  # the same answers, from the cache
        print("  read exactly as lm-evaluation-harness (--harness-only): " + ", ".join(
            f"{k} {h[k]:.4f}" for k in ("accuracy", "accuracy_amb", "accuracy_disamb", "bias_disamb", "bias_amb")))

        started = time.monotonic()
        witems = wg.load_items(args.winogender)
        w = wg.run_winogender_eval(witems, data=args.winogender, model="stereotype", base_url=srv.base_url, db=db,
                                   progress=False)
        meant = [responder.intents[it.item_id] for it in witems]
        known = wg.gender_metrics(np.array([i.correct for i in meant], dtype=float),
                                  np.array([i.fields["gender"] for i in meant]),
                                  np.array([i.fields["gotcha"] for i in meant], dtype=bool))
        print(f"Winogender, {len(witems)} sentences of {args.winogender} ({time.monotonic() - started:.1f} s)")
        print(f"  {'metric':<22} {'known':>8} {'measured':>9}  95% interval")
        for k in ("accuracy", "accuracy_male", "accuracy_female", "accuracy_neutral", "gap", "accuracy_gotcha",
                  "gap_gotcha"):
            lo, hi = w[f"{k}_ci"]
            print(f"  {k:<22} {known[k]:>8.4f} {w[k]:>9.4f}  {lo:.4f} .. {hi:.4f}")


if __name__ == "__main__":
    main()
