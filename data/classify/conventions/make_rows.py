"""Write `rows.jsonl`: labelled training requests written for this project (own words) that
teach three conventions of GUIDE.md ("Questions about a given passage", "Lists and ideas",
"Numbers do not make a math problem"). Deterministic: `python data/classify/conventions/make_rows.py`.

Passage requests pair each passage of `passages.py` with requests of three kinds: an overview of
the passage's subject (text_summarization), several items of a named kind pulled out of it
(information_extraction), one specific fact (closed_qa). The hand-written rows in `hand.py` cover
lists and ideas, and requests that hold numbers, dates or a small story without being math."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hand import HAND  # type: ignore[import-not-found]
from passages import PASSAGES  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
SEED = 7

SUMMARY = [
    "Summarize this passage in two sentences.",
    "Give me a short overview of {topic} based on the text below.",
    "In a few sentences, what is this paragraph about?",
    "Using the reference text, briefly describe {topic}.",
    "Tell me about {topic} from the passage below, in your own words.",
    "Condense the following into one short paragraph.",
    "Based on this text, what should I know about {topic}? Keep it brief.",
    "Give a quick summary of what the text says about {topic}.",
    "What is the gist of this passage?",
    "Write a brief synopsis of the following.",
    "Describe {topic} in three bullet points, using only this text.",
    "Can you sum up this paragraph for me?",
    "Explain in simple words what this passage tells us about {topic}.",
    "tldr of this please",
]
EXTRACT = [
    "From the passage, list all the {items} it mentions.",
    "Extract the {items} from this text.",
    "Which {items} are named in the paragraph below? Give them as a comma-separated list.",
    "Using the text, make a bulleted list of the {items}.",
    "Pull out every {items} mentioned here and put each on its own line.",
    "Given this paragraph about {topic}, what are the {items} it names?",
    "List the {items} found in the following text.",
    "Identify the {items} in this passage.",
    "from the text below give me the {items}, separated by semicolons",
    "What {items} appear in this reference text? Just list them.",
]
FACT = [
    "{q}",
    "According to the passage, {ql}",
    "Based on the text below, {ql}",
    "Answer from the reference text: {q}",
    "Using the paragraph, answer this question: {q}",
]


def passage_rows(rng: random.Random) -> list[dict]:
    rows = []
    for p in PASSAGES:
        fill = {"topic": p["topic"], "items": p["items"]}
        for tmpl in rng.sample(SUMMARY, 3):
            rows.append((tmpl.format(**fill), p["text"], "text_summarization"))
        for tmpl in rng.sample(EXTRACT, 3):
            rows.append((tmpl.format(**fill), p["text"], "information_extraction"))
        for q in p["questions"]:
            tmpl = rng.choice(FACT)
            rows.append((tmpl.format(q=q, ql=q[0].lower() + q[1:]), p["text"], "closed_qa"))
    out = []
    for i, (req, text, label) in enumerate(rows):
        # the layouts real rows arrive in: request, blank line, passage (most); passage first
        layout = text + "\n\n" + req if i % 7 == 3 else req + "\n\n" + text
        out.append({"instruction": layout, "category": label})
    return out


def all_rows() -> list[dict]:
    rng = random.Random(SEED)
    return passage_rows(rng) + [{"instruction": t, "category": c} for c, t in HAND]


def main() -> None:
    rows = all_rows()
    with open(HERE / "rows.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {HERE / 'rows.jsonl'}")


if __name__ == "__main__":
    main()
