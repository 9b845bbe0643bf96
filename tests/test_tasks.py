"""Tests for the task taxonomy (realign/tasks.py) and the criteria/ files it loads."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from realign.errors import ConfigError
from realign.tasks import (
    GROUPS,
    TASK_NAMES,
    VERIFIER_NAMES,
    TaskSpec,
    default_criteria_dir,
    group_of,
    load_tasks,
    normalize_task_name,
)

REPO_CRITERIA = Path(__file__).resolve().parent.parent / "criteria"

# The table in DESIGN.md, written out independently of realign/tasks.py.
DESIGN_GROUPS = {
    "Generation": "question_generation story_generation poem_generation email_generation "
    "data_generation text_to_text_translation",
    "Brainstorming": "advice_giving recommendations how_to_generation planning",
    "Code": "code_correction code_simplification explain_code text_to_code_translation "
    "code_to_code_translation language_learning_questions code_language_classification "
    "code_to_text_translation",
    "Rewriting": "instructional_rewriting language_polishing paraphrasing text_correction",
    "Extraction": "information_extraction keywords_extraction table_extraction",
    "Summarization": "title_generation text_summarization note_summarization",
    "Conversation": "open_qa closed_qa fact_verification value_judgement roleplay explain_answer",
    "Specialized educational dialog": "natural_language_learning_tutor exam_problem_solving_tutor "
    "ml_ai_language_model_tutor math_puzzles fill_in_the_blank",
    "Classification": "general_classification ordering sentiment_analysis "
    "language_classification topic_classification",
    "Others": "default rejecting",
}

# ReAlign's defaults (DESIGN.md).
RETRIEVAL = {"how_to_generation", "open_qa", "fact_verification", "recommendations", "explain_answer"}
PASSTHROUGH = {
    "story_generation", "poem_generation", "advice_giving", "paraphrasing", "code_simplification",
    "table_extraction", "title_generation", "text_summarization", "note_summarization",
    "roleplay", "default",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REALIGN_CRITERIA_DIR", raising=False)


@pytest.fixture()
def criteria_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped criteria files, safe to break."""
    target = tmp_path / "criteria"
    shutil.copytree(REPO_CRITERIA, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _load_error(directory: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_tasks(directory)
    return str(info.value)


# --- the shipped taxonomy ---------------------------------------------------------------------


def test_constants_match_design_table() -> None:
    assert list(GROUPS) == list(DESIGN_GROUPS)
    for group, names in DESIGN_GROUPS.items():
        assert GROUPS[group] == tuple(names.split())
    assert len(TASK_NAMES) == 46 == len(set(TASK_NAMES))
    assert TASK_NAMES == tuple(n for names in DESIGN_GROUPS.values() for n in names.split())
    from realign.verify.registry import ALWAYS, CHECK_NAMES

    # every check a criteria file may name exists in the verify registry; the generic checks of
    # DESIGN (length, leak, refusal, language) run for every candidate, and only length and leak
    # may not be listed (refusal and language were per-task before, so old criteria files list them)
    assert VERIFIER_NAMES == set(CHECK_NAMES) - {"length", "leak"}
    assert set(ALWAYS) == {"length", "leak", "refusal", "language"}


def test_all_46_load_in_design_order() -> None:
    tasks = load_tasks()
    assert tuple(tasks) == TASK_NAMES
    for name, spec in tasks.items():
        assert isinstance(spec, TaskSpec)
        assert spec.name == name
        assert Path(spec.path).name == f"{name}.md"
        assert spec.group == group_of(name)
        assert name in GROUPS[spec.group]


def test_retrieval_and_passthrough_follow_realign_defaults() -> None:
    tasks = load_tasks()
    assert {n for n, s in tasks.items() if s.retrieval} == RETRIEVAL
    assert {n for n, s in tasks.items() if not s.rewrite} == PASSTHROUGH


def test_every_body_has_criteria_and_format_sections() -> None:
    for name, spec in load_tasks().items():
        headings = re.findall(r"^## (.+?)\s*$", spec.criteria, flags=re.MULTILINE)
        assert headings == ["Criteria", "Format"], name
        criteria, fmt = re.split(r"^## Format\s*$", spec.criteria, flags=re.MULTILINE)
        assert len(criteria.split()) > 40, f"{name}: Criteria section too thin"
        assert len(fmt.split()) > 15, f"{name}: Format section too thin"
        assert "+++" not in spec.criteria
        assert 80 <= len(spec.criteria.split()) <= 320, name


def test_descriptions_are_short_and_distinct() -> None:
    tasks = load_tasks()
    descriptions = [s.description for s in tasks.values()]
    assert len(set(descriptions)) == 46
    for spec in tasks.values():
        assert 10 <= len(spec.description.split()) <= 90, spec.name
        assert "\n" not in spec.description


def test_verifier_choices() -> None:
    tasks = load_tasks()
    for spec in tasks.values():
        assert set(spec.verifiers) <= VERIFIER_NAMES
    assert {"math_answer", "answer_line"} <= set(tasks["math_puzzles"].verifiers)
    assert {"math_answer", "choice_answer"} <= set(tasks["exam_problem_solving_tutor"].verifiers)
    for name in ("fill_in_the_blank", "closed_qa", "fact_verification"):
        assert "choice_answer" in tasks[name].verifiers, name
    for name in GROUPS["Classification"] + ("code_language_classification",):
        assert "label" in tasks[name].verifiers, name
    for name in ("explain_code", "code_to_text_translation", "language_learning_questions"):
        assert "code_preserved" in tasks[name].verifiers, name
    for name in ("open_qa", "how_to_generation", "closed_qa"):
        assert "refusal" in tasks[name].verifiers, name
    assert "refusal" in tasks["rejecting"].verifiers  # a refusal must stay one (refusal.py lets it start)


def test_math_puzzles_format_keeps_gsm8k_answer_line() -> None:
    body = load_tasks()["math_puzzles"].criteria
    fmt = body.split("## Format", 1)[1]
    assert "#### N" in fmt
    assert "once" in fmt


def test_load_is_cached_per_directory(criteria_copy: Path) -> None:
    first = load_tasks(criteria_copy)
    second = load_tasks(str(criteria_copy))
    assert first["open_qa"] is second["open_qa"]
    assert first is not second  # callers get their own dict
    assert load_tasks()["open_qa"] is not first["open_qa"]  # another directory, another entry


def test_specs_are_frozen() -> None:
    spec = load_tasks()["open_qa"]
    with pytest.raises(Exception):
        spec.rewrite = False  # type: ignore[misc]


def test_default_dir_and_env_override(criteria_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_criteria_dir() == REPO_CRITERIA
    _replace(criteria_copy / "open_qa.md", "retrieval = true", "retrieval = false")
    monkeypatch.setenv("REALIGN_CRITERIA_DIR", str(criteria_copy))
    assert default_criteria_dir() == criteria_copy
    assert load_tasks()["open_qa"].retrieval is False
    assert load_tasks()["open_qa"].path == str(criteria_copy.resolve() / "open_qa.md")


def test_readme_in_directory_is_ignored(criteria_copy: Path) -> None:
    (criteria_copy / "README.md").write_text("# notes\n", encoding="utf-8")
    (criteria_copy / "notes.txt").write_text("not a task\n", encoding="utf-8")
    assert len(load_tasks(criteria_copy)) == 46


# --- bad files ----------------------------------------------------------------------------------


def test_broken_toml_names_file_and_line(criteria_copy: Path) -> None:
    _replace(criteria_copy / "closed_qa.md", "retrieval = false", "retrieval false")
    msg = _load_error(criteria_copy)
    assert "closed_qa.md" in msg
    # "retrieval" is on line 5 of the file (line 1 is the opening +++).
    assert "line 5" in msg and "TOML" in msg


def test_unknown_verifier(criteria_copy: Path) -> None:
    _replace(criteria_copy / "open_qa.md", 'verifiers = ["refusal"]', 'verifiers = ["spelling"]')
    msg = _load_error(criteria_copy)
    assert "open_qa.md" in msg and "'verifiers'" in msg and "spelling" in msg


def test_name_not_matching_file(criteria_copy: Path) -> None:
    _replace(criteria_copy / "open_qa.md", 'name = "open_qa"', 'name = "closed_qa"')
    msg = _load_error(criteria_copy)
    assert "open_qa.md" in msg and "'name'" in msg and "closed_qa" in msg


def test_wrong_group(criteria_copy: Path) -> None:
    _replace(criteria_copy / "ordering.md", 'group = "Classification"', 'group = "Others"')
    msg = _load_error(criteria_copy)
    assert "ordering.md" in msg and "'group'" in msg and "Classification" in msg


def test_missing_files_are_listed(criteria_copy: Path) -> None:
    (criteria_copy / "roleplay.md").unlink()
    (criteria_copy / "ordering.md").unlink()
    msg = _load_error(criteria_copy)
    assert "roleplay.md" in msg and "ordering.md" in msg and "missing" in msg


def test_unknown_task_file(criteria_copy: Path) -> None:
    shutil.copy(criteria_copy / "open_qa.md", criteria_copy / "trivia.md")
    msg = _load_error(criteria_copy)
    assert "trivia.md" in msg and "unknown task type" in msg


def test_missing_and_extra_keys(criteria_copy: Path) -> None:
    path = criteria_copy / "planning.md"
    original = path.read_text(encoding="utf-8")
    _replace(path, "rewrite = true\n", "")
    msg = _load_error(criteria_copy)
    assert "planning.md" in msg and "'rewrite'" in msg and "missing" in msg

    path.write_text(original.replace("rewrite = true", "rewrite = true\nmodel = \"x\""), "utf-8")
    msg = _load_error(criteria_copy)
    assert "planning.md" in msg and "'model'" in msg and "unknown key" in msg


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("rewrite = true", 'rewrite = "yes"', "rewrite"),
        ("retrieval = false", "retrieval = 0", "retrieval"),
        ('verifiers = ["refusal"]', 'verifiers = "refusal"', "verifiers"),
        ('verifiers = ["refusal"]', "verifiers = [1]", "verifiers"),
        ('name = "planning"', "name = 3", "name"),
    ],
)
def test_wrong_types(criteria_copy: Path, old: str, new: str, field: str) -> None:
    _replace(criteria_copy / "planning.md", old, new)
    msg = _load_error(criteria_copy)
    assert "planning.md" in msg and f"'{field}'" in msg


def test_missing_delimiters(criteria_copy: Path) -> None:
    path = criteria_copy / "poem_generation.md"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.split("\n", 1)[1], encoding="utf-8")  # drop the opening +++
    msg = _load_error(criteria_copy)
    assert "poem_generation.md" in msg and "+++" in msg

    head, _, tail = original.partition("\n+++\n")  # drop the closing +++
    path.write_text(head + "\n" + tail, encoding="utf-8")
    msg = _load_error(criteria_copy)
    assert "poem_generation.md" in msg and "closing" in msg


def test_missing_body_section(criteria_copy: Path) -> None:
    _replace(criteria_copy / "default.md", "## Format", "## Layout")
    msg = _load_error(criteria_copy)
    assert "default.md" in msg and "## Format" in msg


def test_missing_directory(tmp_path: Path) -> None:
    msg = _load_error(tmp_path / "nowhere")
    assert "nowhere" in msg and "not found" in msg


def test_fixed_file_loads_after_error(criteria_copy: Path) -> None:
    path = criteria_copy / "open_qa.md"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("rewrite = true", "rewrite = maybe"), encoding="utf-8")
    _load_error(criteria_copy)
    path.write_text(original, encoding="utf-8")
    assert load_tasks(criteria_copy)["open_qa"].rewrite is True


# --- helpers ------------------------------------------------------------------------------------


def test_group_of() -> None:
    assert group_of("language_learning_questions") == "Code"
    assert group_of("math_puzzles") == "Specialized educational dialog"
    with pytest.raises(ValueError):
        group_of("trivia")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("open_qa", "open_qa"),
        ("Open QA", "open_qa"),
        ('"open-qa"', "open_qa"),
        ("  **Open_QA**.\n", "open_qa"),
        ("`math_puzzles`", "math_puzzles"),
        ("ML/AI Language Model Tutor", "ml_ai_language_model_tutor"),
        ("Fill-in-the-blank", "fill_in_the_blank"),
        ("Value judgment", "value_judgement"),
        ("Task: code_to_code_translation.", "code_to_code_translation"),
        ("1. sentiment_analysis", "sentiment_analysis"),
        ("code_language_classification", "code_language_classification"),
        ("language classification", "language_classification"),
        ("language_learning_questions (programming languages)", "language_learning_questions"),
        ("DEFAULT", "default"),
        ("open_qa or closed_qa", None),
        ("trivia", None),
        ("", None),
        ("   ", None),
        ("qa", None),
    ],
)
def test_normalize_task_name(text: str, expected: str | None) -> None:
    assert normalize_task_name(text) == expected


def test_normalize_round_trips_every_name() -> None:
    for name in TASK_NAMES:
        assert normalize_task_name(name) == name
        assert normalize_task_name(name.replace("_", " ").title()) == name
        assert normalize_task_name(f"'{name.replace('_', '-').upper()}'") == name
