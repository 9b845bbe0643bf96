"""One-off relabelling of our own labels (train.jsonl, dev.jsonl, alpaca_dev_labels.jsonl) where GUIDE.md disagreed with
ReAlign's published task descriptions (GAIR-NLP/ReAlign, code/constant.py, TASK_DESCRIPTION).
Rules by wording, applied to every row alike; see GUIDE.md "Changed to follow ReAlign".
Run from the repository root: python data/classify/relabel_realign_conventions.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
# (from task, pattern on the instruction, to task)
RULES = [
    # "explain_answer: Explain something the user wants to know." -- an imperative "Explain ..."
    ("open_qa", re.compile(r"^\s*(please\s+)?(can you\s+|could you\s+)?explain\b", re.I), "explain_answer"),
    # "ordering: Sort some things, according to some criteria." -- putting given sentences in order
    ("story_generation", re.compile(r"^\s*(arrange|order|rearrange|put)\b.*\bsentences\b", re.I), "ordering"),
    # "poem_generation: Write a poem ..." -- naming a given poem's rhyme scheme or metre is not writing one
    ("poem_generation", re.compile(r"\b(rhyme scheme|metre|meter)\b", re.I), "natural_language_learning_tutor"),
    # "code_simplification: Rewrite a piece of code to make it more concise and easy to understand."
    # vs "code_correction: Correct the potential errors in a piece of code." -- a refactor has no error
    ("code_correction", re.compile(r"\brefactor", re.I), "code_simplification"),
    # Brainstorming is the group of ideas (InstructGPT's "brainstorming": "list five ideas for ...").
    # "advice_giving: Respond well to users when they seek advice." -- ideas that fix a problem
    ("default", re.compile(r"\b(potential solutions|some fixes|ideas for reducing|ideas to reduce)\b", re.I), "advice_giving"),
    # "recommendations: Give recommendations to users." -- ideas or options to choose from, which
    # were `default` here ("ideas with no better home"); names and invented things stay where they were
    ("default", re.compile(r"\b(list of ideas for|ideas for a|random ideas|creative ideas for|brainstorm some ways)\b(?!.*\bnames?\b)", re.I), "recommendations"),
    # "math_puzzles: ... a math question" vs "exam_problem_solving_tutor: Solve a science, technology
    # or engineering exam question": a pure math exercise is math_puzzles, even called homework
    ("exam_problem_solving_tutor", re.compile(
        r"\b(solve for x|system of equations|solve the inequality|integrate\b|derivative of|limit as x|area of a circle|"
        r"factor the quadratic|log base|simplify \(|stats problem)", re.I), "math_puzzles"),
]
# ... unless the exercise belongs to a science (a physics limit, a chemical equation)
_SCIENCE = re.compile(r"\b(physics|chemi|biolog|thermodynamic|statistical mechanics|heat capacity|circuit|genetic|molar)", re.I)
# writing requests that merely mention rhyme or metre stay poem_generation
_WRITE = re.compile(r"^\s*(write|compose|create|make|generate|poem about)\b", re.I)


def relabel(row: dict) -> str | None:
    for src, pattern, dst in RULES:
        if row["category"] == src and pattern.search(row["instruction"]):
            if src == "poem_generation" and _WRITE.search(row["instruction"]):
                continue
            if src == "exam_problem_solving_tutor" and _SCIENCE.search(row["instruction"]):
                continue
            return dst
    return None


def main() -> None:
    for name in ("train.jsonl", "dev.jsonl"):
        path = HERE / name
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        changed = 0
        for row in rows:
            new = relabel(row)
            if new:
                print(f"{name}: {row['category']} -> {new}: {row['instruction'][:90]!r}")
                row["category"] = new
                changed += 1
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{name}: {changed} rows relabelled")
    # our labels of third-party Alpaca text (the text stays outside the repo, see benchmarks/classify.py)
    labels_path, text_path = HERE / "alpaca_dev_labels.jsonl", HERE.parents[2] / "shared" / "data" / "alpaca" / "alpaca_dev_1000.jsonl"
    if not text_path.is_file():
        print(f"alpaca_dev_labels.jsonl: skipped, {text_path} not found")
        return
    texts = [json.loads(line) for line in text_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    changed = 0
    for lab in labels:
        new = relabel({"instruction": texts[lab["line"] - 1]["instruction"], "category": lab["category"]})
        if new:
            lab["category"] = new
            changed += 1
    labels_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labels), encoding="utf-8")
    print(f"alpaca_dev_labels.jsonl: {changed} labels changed")


if __name__ == "__main__":
    main()
