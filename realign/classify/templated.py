"""Training rows from third-party instruction collections whose task is known per data set.

They are phrased by people other than this project, which is what the training set lacked.
Each collection is labelled once per data set (or per template / task), never per row:
- `data/classify/flan/`: 299 prompt templates of the FLAN collection (google-research/FLAN,
  Apache-2.0; `SOURCE.md` there);
- `data/classify/promptsource/`: 759 prompt templates of promptsource (bigscience-workshop,
  Apache-2.0; `SOURCE.md` there), written by dozens of contributors;
- `data/classify/sni/`: task definitions of Super-NaturalInstructions (allenai, Apache-2.0;
  `SOURCE.md` there) with inputs of their own examples: each (definition, input) is one row.
The templates are `templates.jsonl` files of {dataset, template, category}: every CNN/DailyMail
template asks for a summary, every SQuAD one for an answer from a passage. Their slots ({text},
{question}, ...) are filled with material already in the training data: passages pasted in our
own rows, our own open questions, GSM8K train questions. The filler only has to look like a
passage or a question; the task lives in the template's words.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[2]
FLAN_TEMPLATES = REPO / "data" / "classify" / "flan" / "templates.jsonl"
PROMPTSOURCE_TEMPLATES = REPO / "data" / "classify" / "promptsource" / "templates.jsonl"
FILLS_PER_TEMPLATE = 3  # each template appears with this many different fillers ...
# ... unless its task has many templates in the collection: then the task gets at most this many
# rows from it (promptsource has 219 inference / paraphrase / intent templates, all
# general_classification; uncapped they would outweigh every other source of that task).
PROMPTSOURCE_MAX_ROWS_PER_TASK = 150
# collection name -> (file, rows per task at most; None: every template)
TEMPLATE_SOURCES: dict[str, tuple[Path, int | None]] = {
    "flan": (FLAN_TEMPLATES, None),
    "promptsource": (PROMPTSOURCE_TEMPLATES, PROMPTSOURCE_MAX_ROWS_PER_TASK),
}
SNI_TASKS = REPO / "data" / "classify" / "sni" / "tasks.jsonl"
COLLECTIONS = (*TEMPLATE_SOURCES, "sni")
# Code and tables make poor filler prose; rows of these tasks lend no passages.
_NO_PASSAGE = frozenset({
    "code_correction", "code_simplification", "explain_code", "code_to_code_translation",
    "code_to_text_translation", "code_language_classification", "table_extraction", "math_puzzles",
})
_SLOT = re.compile(r"\{(\w+)\}")
# A filler passage is prose: no list items, no question-and-answer layout, no code.
_NOT_PROSE = re.compile(r"^\s*([-*\u2022]|\d+[.)]|q:|a:|question|answer|context:)|```", re.I | re.M)
_PUNCT = re.compile(r"[.,;:!?\"'()]")
LANGUAGES = ("English", "French", "German", "Spanish", "Romanian", "Czech", "Finnish", "Russian", "Turkish", "Italian")
OPTIONS = {
    "sent_options": "OPTIONS:\n- negative\n- positive",
    "yn_options": "OPTIONS:\n- unacceptable\n- acceptable",
    "options_": "OPTIONS:\n- yes\n- no",
    "news_options": "OPTIONS:\n- World\n- Sports\n- Business\n- Science/Tech",
    "trec_options": "OPTIONS:\n- description\n- entity\n- abbreviation\n- human\n- numeric\n- location",
}


def read_templates(path: Path = FLAN_TEMPLATES) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class Fillers:
    """Slot fillers drawn from (instruction, category) pairs and a list of math questions."""

    def __init__(self, rows: Sequence[tuple[str, str]], math_questions: Sequence[str], rng: random.Random) -> None:
        self.rng = rng
        self.passages = []
        self.questions = []
        for text, label in rows:
            head, sep, tail = text.partition("\n\n")
            if sep and label not in _NO_PASSAGE and len(tail.split()) >= 25 and not _NOT_PROSE.search(tail):
                self.passages.append(tail.strip())
            if label == "open_qa" and not sep and text.rstrip().endswith("?") and len(text) < 160:
                self.questions.append(text.strip())
        self.math = [q for q in math_questions if q.strip()] or ["What is 12 times 7?"]
        if not self.passages or not self.questions:
            raise ValueError("the training rows lend no passages or no open questions to fill templates with")

    def sentence(self) -> str:
        parts = re.split(r"(?<=[.!?])\s+", self.rng.choice(self.passages))
        return next((p for p in parts if len(p.split()) >= 6), parts[0])

    def phrase(self) -> str:
        return " ".join(self.sentence().split()[:6]).rstrip(".,;:")

    def question(self) -> str:
        return self.rng.choice(self.questions)

    def value(self, slot: str) -> str:
        rng = self.rng
        if slot in OPTIONS:
            return OPTIONS[slot]
        if slot in ("text", "context", "body", "dialogue", "background"):
            return rng.choice(self.passages)
        if slot in ("sentence", "sent1", "sent2"):
            return self.sentence()
        if slot == "lower":
            return self.sentence().lower()
        if slot == "no_punct":
            return _PUNCT.sub("", self.sentence())
        if slot == "no_space":
            return self.sentence().replace(" ", "")
        if slot in ("title", "subject", "summary"):
            return self.phrase()
        if slot == "question":
            return self.question().rstrip("?")
        if slot == "mathq":
            return rng.choice(self.math)
        if slot in ("lang1", "lang2"):
            return rng.choice(LANGUAGES)
        if slot == "numbered_questions":
            return "\n".join(f"{i}. {self.question()}" for i in range(1, rng.randint(3, 5)))
        if slot == "numbered_answers":
            return "\n".join(f"{i}. {self.phrase()}" for i in range(1, rng.randint(3, 5)))
        if slot == "numbered_reviews":
            return "\n".join(f"{i}. {self.sentence()}" for i in range(1, rng.randint(3, 6)))
        if slot == "mc_options":
            return "OPTIONS:\n" + "\n".join(f"- {self.phrase()}" for _ in range(4))
        raise ValueError(f"no filler for template slot {{{slot}}}")

    def fill(self, template: str) -> str:
        return _SLOT.sub(lambda m: self.value(m.group(1)), template).strip()


def template_rows(rows: Sequence[tuple[str, str]], math_questions: Sequence[str], seed: int,
                  copies: int = FILLS_PER_TEMPLATE, path: Path = FLAN_TEMPLATES,
                  max_per_task: int | None = None) -> list[tuple[str, str, str]]:
    """(text, category, "<collection>:<dataset>") rows: every template filled `copies` times,
    except that with `max_per_task` a task with more than `max_per_task // copies` templates
    gets a seeded choice of that many of them; deterministic per seed."""
    templates = read_templates(path)
    by_task: dict[str, list[int]] = {}
    for i, t in enumerate(templates):
        by_task.setdefault(t["category"], []).append(i)
    keep: set[int] = set()
    pick = random.Random(seed)
    for idx in by_task.values():
        n = len(idx) if max_per_task is None else max(1, max_per_task // copies)
        keep.update(idx if len(idx) <= n else pick.sample(idx, n))
    fillers = Fillers(rows, math_questions, random.Random(seed))
    source = path.parent.name
    out = []
    for i, t in enumerate(templates):
        if i in keep:
            for _ in range(copies):
                out.append((fillers.fill(t["template"]), t["category"], f"{source}:{t['dataset']}"))
    return out


def sni_rows(path: Path = SNI_TASKS) -> list[tuple[str, str, str]]:
    """(definition + blank line + input, category, "sni:<task>") for every input of every task
    in `path` (lines of {task, category, definition, inputs, ...})."""
    out = []
    for task in read_templates(path):
        for given in task["inputs"]:
            out.append((f"{task['definition'].strip()}\n\n{given.strip()}", task["category"], f"sni:{task['task']}"))
    return out


def collection_rows(name: str, rows: Sequence[tuple[str, str]], math_questions: Sequence[str],
                    seed: int) -> tuple[list[tuple[str, str, str]], Path]:
    """The training rows of collection `name` (one of COLLECTIONS) and the file they come from."""
    if name == "sni":
        return sni_rows(), SNI_TASKS
    path, cap = TEMPLATE_SOURCES[name]
    return template_rows(rows, math_questions, seed, path=path, max_per_task=cap), path
