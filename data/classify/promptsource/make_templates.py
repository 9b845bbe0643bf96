"""Build `templates.jsonl` from the promptsource sdist: python make_templates.py PROMPTSOURCE_DIR

PROMPTSOURCE_DIR is the unpacked `promptsource-0.2.3.tar.gz` from PyPI
(`pip download --no-deps --no-binary :all: --python-version 3.9 promptsource==0.2.3`).
Each kept template's prompt (the part before `|||`) is rendered with jinja2 against a stand-in
example whose fields render as our filler slots ({text}, {sentence}, {question}, {title},
{mathq}), so `realign/classify/templated.py` fills them like the FLAN templates. The task type
comes from the data set (its templates with `original_task: true`) or from the template's own
name (the reverse templates: "generate_question", "title_generation", ...), never from filled rows.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2 import meta

OUT = Path(__file__).with_name("templates.jsonl")

# Task type of a data set's own task (templates with original_task: true). Data sets not listed
# are left out: their task fits none of ours (coreference, sentence completion with options,
# answer scoring, data-to-text, dialogue acts ...).
SUMMARY = "text_summarization"
CLOSED = "closed_qa"
OPEN = "open_qa"
EXAM = "exam_problem_solving_tutor"
SENT = "sentiment_analysis"
TOPIC = "topic_classification"
GENERAL = "general_classification"
FACT = "fact_verification"
DATASET_TASK: dict[str, str] = {
    **dict.fromkeys(["cnn_dailymail", "xsum", "samsum", "gigaword", "multi_news", "billsum", "scitldr", "sent_comp"], SUMMARY),
    "aeslc": "title_generation",  # the subject line of an email
    **dict.fromkeys([
        "squad", "squad_v2", "squadshifts", "squad_adversarial", "adversarial_qa", "quoref", "ropes", "duorc", "drop",
        "quail", "cosmos_qa", "coqa", "Zaid", "quac", "xquad", "xquad_r", "tydiqa", "narrativeqa", "super_glue/boolq",
        "super_glue/multirc", "pubmed_qa", "race", "dream", "hotpot_qa", "subjqa", "qed", "evidence_infer_treatment",
        "gutenberg_time", "wiki_hop",
    ], CLOSED),
    **dict.fromkeys(["nq_open", "trivia_qa", "web_questions", "kilt_tasks", "freebase_qa"], OPEN),
    **dict.fromkeys(["ai2_arc", "openbookqa", "sciq", "qasc", "head_qa"], EXAM),
    **dict.fromkeys(["math_dataset", "math_qa", "aqua_rat"], "math_puzzles"),
    **dict.fromkeys([
        "imdb", "yelp_polarity", "yelp_review_full", "amazon_polarity", "rotten_tomatoes", "sst", "glue/sst2",
        "financial_phrasebank", "amazon_reviews_multi", "amazon_us_reviews", "poem_sentiment", "tweet_eval/sentiment",
        "emotion", "emo", "tweet_eval/emotion", "movie_rationales", "app_reviews",
    ], SENT),
    **dict.fromkeys(["ag_news", "dbpedia_14", "yahoo_answers_topics", "blbooksgenre"], TOPIC),
    **dict.fromkeys([
        # labelling a given text with one of given classes: intent, spam, hate, stance, irony,
        # question type, citation intent, reading level, relation type ...
        "trec", "banking77", "snips_built_in_intents", "nlu_evaluation_data", "sms_spam", "hate_speech18",
        "tweet_eval/hate", "tweet_eval/offensive", "tweet_eval/irony", "tweet_eval/stance_abortion",
        "tweet_eval/stance_atheism", "tweet_eval/stance_climate", "tweet_eval/stance_feminist",
        "tweet_eval/stance_hillary", "jigsaw_unintended_bias", "scicite", "hyperpartisan_news_detection",
        "ade_corpus_v2/Ade_corpus_v2_classification", "google_wellformed_query", "onestop_english",
        "sem_eval_2010_task_8",
        # natural-language inference and paraphrase identification: a yes / no / maybe label for
        # a given pair of sentences
        "anli", "multi_nli", "glue/mnli", "glue/mnli_matched", "glue/mnli_mismatched", "glue/rte", "glue/qnli",
        "glue/wnli", "glue/ax", "super_glue/rte", "super_glue/cb", "super_glue/axb", "super_glue/axg", "snli", "esnli",
        "xnli", "hans", "scitail", "sick", "sem_eval_2014_task_1", "glue/mrpc", "glue/qqp", "paws", "paws-x",
        "medical_questions_pairs", "quora",
    ], GENERAL),
    **dict.fromkeys(["climate_fever", "health_fact", "tab_fact", "fever", "liar"], FACT),
    **dict.fromkeys(["glue/cola", "jfleg", "tmu_gfm_dataset"], "text_correction"),
    **dict.fromkeys(["asset/simplification", "turk", "wiki_split", "discofuse"], "instructional_rewriting"),
    **dict.fromkeys([
        "acronym_identification", "docred", "ncbi_disease", "species_800", "ade_corpus_v2/Ade_corpus_v2_drug_ade_relation",
        "ade_corpus_v2/Ade_corpus_v2_drug_dosage_relation", "qa_zre",
    ], "information_extraction"),
    **dict.fromkeys(["lambada", "craffel/openai_lambada", "cbt", "numer_sense", "winogrande"], "fill_in_the_blank"),
    "mdd/task2_recs": "recommendations",
}
# Reverse templates (original_task: false) kept, each with the task its own name and wording
# state: (data set, name pattern, task). Every other reverse template is left out.
REVERSE: list[tuple[str, str, str]] = [
    *[(d, n, "title_generation") for d, n in [
        ("amazon_reviews_multi", r"^generate_title$"), ("amazon_us_reviews", r"headline based on review body"),
        ("billsum", r"\(text-> title\)|^generate title from summary|\(summary -> title\)"),
        ("cbt", r"write title"), ("cc_news", r"title (using|for)|give text a title"),
        ("cord19", r"^title_generation"), ("duorc", r"^title_generation$"), ("hlgd", r"headline"),
        ("hotpot_qa", r"generate_title"), ("quoref", r"guess title"), ("qed", r"^title-prediction$"),
        ("sent_comp", r"headline"), ("squadshifts", r"^title$"), ("tydiqa", r"^title_generation$"),
    ]],
    *[(d, n, SUMMARY) for d, n in [("cc_news", r"^(write brief summary|summarize|text summarized)"), ("narrativeqa", r"summarize|recapitulate|main_points")]],
    *[(d, n, "question_generation") for d, n in [
        ("adversarial_qa", r"^generate_question$"), ("drop", r"^generate_question"), ("duorc", r"^generate_question$"),
        ("hotpot_qa", r"^generate_question$"), ("mdd", r"generate_question"), ("mocha", r"^generate_question$"),
        ("qa_srl", r"^generate_question$"), ("qed", r"question-forming"), ("race", r"write a multi-choice question"),
        ("squad", r"generate_question|^jeopardy$"), ("squad_adversarial", r"generate_question|^jeopardy$"),
        ("squadshifts", r"exam_creation|^generate_question$"), ("xquad", r"generate_question"),
        ("xquad_r", r"generate_question"), ("tydiqa", r"question_generation"),
        ("yahoo_answers_topics", r"generate_question"), ("covid_qa_castorini", r"papers_to_qn"),
        ("kilt_tasks", r"guess_question"), ("nq_open", r"guess_question"), ("trivia_qa", r"guess_question"),
    ]],
    *[(d, n, "keywords_extraction") for d, n in [("common_gen", r"sentence to concepts|topics from"), ("covid_qa_castorini", r"keyword")]],
    *[(d, n, TOPIC) for d, n in [
        ("amazon_reviews_multi", r"review_to_category"), ("guardian_authorship", r"^topic$"), ("hellaswag", r"topic of the context"),
        ("meta_woz", r"predict_domain_.*chat"), ("newspop", r"after_text_question"), ("squad_v2", r"topic prediction - context$"),
        ("yahoo_answers_qa", r"^category$"),
    ]],
    *[(d, n, "story_generation") for d, n in [("cbt", r"next sentence"), ("story_cloze", r"generate ending"), ("samsum", r"write a dialogue")]],
    ("cbt", r"recommend book", "recommendations"),
    ("mdd", r"recommend_movie_first_round", "recommendations"),
    ("lama", r"fill_mask|replace_mask", "fill_in_the_blank"),
    ("docred", r"^find-all|^ner-type", "information_extraction"),
    ("evidence_infer_treatment", r"^identify", "information_extraction"),
    ("qa_zre", r"extract_relation", "information_extraction"),
    ("glue/mrpc", r"generate_paraphrase", "paraphrasing"),
    ("paws", r"paraphrase-task", "paraphrasing"),
    ("quora", r"rephrase", "paraphrasing"),
    ("imdb", r"negation", SENT),
    ("movie_rationales", r"standard binary", SENT),
    ("trec", r"^fine_grained", GENERAL),
    ("tmu_gfm_dataset", r"correct-sentence", "text_correction"),
    ("wiki_split", r"^combine$", "instructional_rewriting"),
    ("discofuse", r"^decompose", "instructional_rewriting"),
]
# Reverse templates of these data sets are all answers to their own task (kilt's QA prompts,
# aqua_rat's quiz styles, fever's claim checks, app_reviews' ratings) whatever their names say.
REVERSE_IS_ORIGINAL = {"kilt_tasks", "aqua_rat", "fever", "app_reviews"}

# Field names -> filler slot (see templated.Fillers.value).
_QUESTION = re.compile(r"question|query|^q$|^q\d$|^input$")  # kilt's `input` is its question
_SENTENCE = re.compile(r"sentence|premise|hypothesis|claim|statement|tweet|utterance|sent\d|^s\d$|phrase|nl$")
_TITLE = re.compile(r"title|subject|headline|topic|entity|name|author|word|^answer|option|choice|label|drug|effect|"
                    r"dosage|term|concept|category|relation|speaker|domain|intent")
_PASSAGE = re.compile(r"article|document|passage|context|text|content|review|dialog|story|abstract|body|paragraph|"
                      r"support|fact|evidence|summary|highlights|description|background|situation|tokens|graph|source")


def slot_for(path: list[str], math: bool) -> str:
    for part in reversed(path):
        p = part.lower()
        if _QUESTION.search(p):
            return "{mathq}" if math else "{question}"
        if _SENTENCE.search(p):
            return "{sentence}"
        if _PASSAGE.search(p):
            return "{text}"
        if _TITLE.search(p):
            return "{title}"
    return "{sentence}"


class Stand:
    """A stand-in example field: any attribute, item or iteration gives another stand-in; it
    renders as the filler slot its field name calls for."""

    equal = False  # what comparisons answer; `render` tries False, then True

    def __init__(self, path: list[str], math: bool) -> None:
        self._path, self._math = path, math

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in ("upper", "lower", "strip", "capitalize", "title", "rstrip", "lstrip"):
            return lambda *a: self
        if name in ("split", "splitlines"):
            return lambda *a: [self, self]
        if name == "replace":
            return lambda *a: self
        return Stand(self._path + [name], self._math)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self
        return Stand(self._path + ([key] if isinstance(key, str) else []), self._math)

    def __iter__(self):
        return iter([Stand(self._path, self._math) for _ in range(3)])

    def __len__(self) -> int:
        return 3

    def __str__(self) -> str:
        return slot_for(self._path, self._math)

    def __add__(self, other: Any) -> str:
        return str(self) + str(other)

    def __radd__(self, other: Any) -> str:
        return str(other) + str(self)

    def __eq__(self, other: Any) -> bool:
        return Stand.equal  # `{% if language == "english" %}`: see `render`

    def __lt__(self, other: Any) -> bool:
        return Stand.equal

    __gt__ = __le__ = __ge__ = __lt__

    def __hash__(self) -> int:
        return id(self)

    def __int__(self) -> int:
        return 1

    def __bool__(self) -> bool:
        return True


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!Template", lambda loader, node: loader.construct_mapping(node, deep=True))
_Loader.add_constructor("!TemplateMetadata", lambda loader, node: loader.construct_mapping(node, deep=True))


def task_of(dataset: str, name: str, original: bool) -> str | None:
    keys = [dataset, dataset.split("/")[0]]
    base = next((DATASET_TASK[k] for k in keys if k in DATASET_TASK), None)
    reverse = next((task for d, pattern, task in REVERSE if d in keys and re.search(pattern, name.strip(), re.I)), None)
    if reverse and not original:
        return reverse
    if original or (base and keys[1] in REVERSE_IS_ORIGINAL):
        return base
    return None


_ENV = jinja2.Environment(undefined=jinja2.ChainableUndefined)
# promptsource's own template helpers (promptsource/templates.py), as far as rendering needs them
_ENV.filters["choice"] = lambda seq: list(seq)[0]
_ENV.filters["most_frequent"] = lambda seq: list(seq)[0]
_ENV.globals["zip"] = zip
_SLOT = re.compile(r"\{(text|sentence|question|title|mathq)\}")


def main(root: Path) -> None:
    base = root / "promptsource" / "templates"
    seen: set[str] = set()
    rows = []
    for path in sorted(base.glob("**/templates.yaml")):
        dataset = str(path.parent.relative_to(base))
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for tmpl in (doc.get("templates") or {}).values():
            original = bool((tmpl.get("metadata") or {}).get("original_task"))
            task = task_of(dataset, tmpl["name"], original)
            if task is None:
                continue
            text = render(dataset, tmpl)
            if text is None or text in seen:
                continue
            seen.add(text)
            rows.append({"dataset": dataset, "name": tmpl["name"], "template": text, "category": task})
    with open(OUT, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} templates -> {OUT}")


def render(dataset: str, tmpl: dict) -> str | None:
    """The template's prompt with every field a filler slot: comparisons of fields answer False
    (the `else` branches), or True when that renders nothing usable (`{% if language ==
    "english" %}` guards the whole prompt)."""
    for equal in (False, True):
        Stand.equal = equal
        text = _render(dataset, tmpl)
        if text is not None:
            return text
    return None


def _render(dataset: str, tmpl: dict) -> str | None:
    math = DATASET_TASK.get(dataset.split("/")[0]) == "math_puzzles"
    source = tmpl["jinja"]
    choice_src = tmpl.get("answer_choices") or ""
    try:
        names = meta.find_undeclared_variables(_ENV.parse(source))
        names |= meta.find_undeclared_variables(_ENV.parse(choice_src)) if choice_src else set()
        fields: dict[str, Any] = {n: Stand([n], math) for n in names}
        choices = ["{title}"] * 3
        if choice_src:
            # literal label sets ("positive ||| negative") stay as written; field-based ones become slots
            choices = [c.strip() for c in _ENV.from_string(choice_src).render(**fields).split("|||")]
        fields["answer_choices"] = choices
        # the whole template is rendered (an `{% if %}` may span the `|||`), then cut at `|||`
        text = _ENV.from_string(source).render(**fields).split("|||")[0]
    except Exception:  # noqa: BLE001 - a template the stand-in cannot render is left out
        return None
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not _SLOT.search(text) or len(_SLOT.sub("", text).split()) < 2:
        return None  # no material, or no words of its own: nothing says the task
    return text


if __name__ == "__main__":
    main(Path(sys.argv[1]))
