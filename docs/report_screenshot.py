"""Remake docs/report.png, the README's picture of `realign report`.

A run of the demo file against the scripted test server (some rewrites change a number or come
back too short, so the rejection charts have something to show), two GSM8K evaluations of the
fixture questions by scripted "before" and "after" models, the page, and a screenshot of its top
in headless Chromium. Nothing here is a measurement: the figures in the picture are scripted.

    .venv/bin/python docs/report_screenshot.py            # writes docs/report*.png and out/report-demo.html
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from realign.testing.browser import Chromium
from realign.testing.openai_server import OpenAIServer, Reply, last_user_message
from realign.testing.responders import RealignResponder, reformat

REPO = Path(__file__).resolve().parent.parent
GSM8K = REPO / "tests" / "fixtures" / "gsm8k"


def realign(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "realign.cli", *args], check=True, cwd=REPO, stdout=subprocess.DEVNULL)


def rewrite(parts: dict) -> str | None:
    text = parts["instruction"]
    if "train" in text or "bakery" in text:
        return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), parts["original"])  # a changed answer
    if "capital" in text or "haiku" in text:
        return "Sure."  # too short
    if "overfitting" in text:
        return None  # the model keeps the original
    return reformat(parts["original"])


def gsm8k_model(right_every: int):
    gold = {json.loads(line)["question"]: json.loads(line)["answer"].split("####")[-1].strip()
            for line in (GSM8K / "test.jsonl").read_text().splitlines()}

    def answer(body: dict) -> Reply:
        question = last_user_message(body)
        i, g = next((i, v) for i, (k, v) in enumerate(gold.items()) if k in question)
        return Reply(content=f"#### {g}" if i % right_every else "#### 0")

    return answer


def main() -> None:
    out_html = REPO / "out" / "report-demo.html"
    out_html.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.duckdb")
        pipeline = Path(tmp) / "demo.toml"
        pipeline.write_text('name = "demo"\n[classify]\nkind = "embedded"\n')
        with OpenAIServer(RealignResponder(rewrite)) as srv:
            realign("rewrite", "--in", "data/demo/mixed_tasks.jsonl", "--pipeline", str(pipeline), "--db", db,
                    "--model", "gpt-4o-mini", "--base-url", srv.base_url, "-q")
        for model, every in (("base", 2), ("base+realign-sft", 5)):
            with OpenAIServer(gsm8k_model(every)) as srv:
                realign("eval", "gsm8k", "--data", str(GSM8K), "--limit", "40", "--shots", "0", "--db", db,
                        "--model", model, "--base-url", srv.base_url, "-q")
        realign("report", "--db", db, "--out", str(out_html))
    with Chromium(width=1280, height=900) as browser:
        browser.open(out_html.as_uri())
        top = browser.screenshot(REPO / "docs" / "report.png", max_height=1500, scale=0.6)
        # the side-by-side view, on a row whose rewrite changed the answer
        browser.evaluate("(() => { const q = document.getElementById('f-text'); q.value = 'bakery'; "
                         "q.dispatchEvent(new Event('input')); })()")
        side = browser.screenshot(REPO / "docs" / "report-sample.png", selector="#sample", max_height=1100, scale=0.6)
        if browser.errors:
            raise SystemExit(f"the page logged errors: {browser.errors}")
    print(f"wrote docs/report.png ({len(top) / 1024:.0f} KiB) and docs/report-sample.png "
          f"({len(side) / 1024:.0f} KiB) from {out_html}")


if __name__ == "__main__":
    main()
