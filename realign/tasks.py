"""The task taxonomy: 46 ReAlign-compatible task types, loaded from ``criteria/*.md``.

Each task type has one file ``criteria/<name>.md``: TOML front matter between ``+++`` lines
(name, group, description, retrieval, rewrite, verifiers), then a markdown body with a
``## Criteria`` and a ``## Format`` section that goes into the rewrite prompt.

>>> tasks = load_tasks()
>>> tasks["math_puzzles"].verifiers
['math_answer', 'answer_line', 'refusal']
>>> group_of("open_qa")
'Conversation'
>>> normalize_task_name("**Open-QA**.")
'open_qa'
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from realign.errors import ConfigError
from realign.verify.registry import CHECK_NAMES

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

GROUPS: dict[str, tuple[str, ...]] = {
    "Generation": (
        "question_generation",
        "story_generation",
        "poem_generation",
        "email_generation",
        "data_generation",
        "text_to_text_translation",
    ),
    "Brainstorming": ("advice_giving", "recommendations", "how_to_generation", "planning"),
    "Code": (
        "code_correction",
        "code_simplification",
        "explain_code",
        "text_to_code_translation",
        "code_to_code_translation",
        "language_learning_questions",
        "code_language_classification",
        "code_to_text_translation",
    ),
    "Rewriting": ("instructional_rewriting", "language_polishing", "paraphrasing", "text_correction"),
    "Extraction": ("information_extraction", "keywords_extraction", "table_extraction"),
    "Summarization": ("title_generation", "text_summarization", "note_summarization"),
    "Conversation": (
        "open_qa",
        "closed_qa",
        "fact_verification",
        "value_judgement",
        "roleplay",
        "explain_answer",
    ),
    "Specialized educational dialog": (
        "natural_language_learning_tutor",
        "exam_problem_solving_tutor",
        "ml_ai_language_model_tutor",
        "math_puzzles",
        "fill_in_the_blank",
    ),
    "Classification": (
        "general_classification",
        "ordering",
        "sentiment_analysis",
        "language_classification",
        "topic_classification",
    ),
    "Others": ("default", "rejecting"),
}
"""Group name -> task names, in DESIGN.md order."""

TASK_NAMES: tuple[str, ...] = tuple(name for names in GROUPS.values() for name in names)
"""The 46 task type names, in DESIGN.md order."""

VERIFIER_NAMES: frozenset[str] = frozenset(CHECK_NAMES) - frozenset(("length", "leak"))
"""Checks a criteria file may list (length and leak always apply and are not listed; refusal and
language always apply too since they became generic, and a file listing them stays valid)."""

_GROUP_OF: dict[str, str] = {name: group for group, names in GROUPS.items() for name in names}

# Front matter keys and the Python type each must have.
_FIELDS: dict[str, type] = {
    "name": str,
    "group": str,
    "description": str,
    "retrieval": bool,
    "rewrite": bool,
    "verifiers": list,
}
_DELIMITER = "+++"
_REQUIRED_SECTIONS = ("## Criteria", "## Format")
# Files in a criteria directory that are not task files.
_IGNORED_FILES = frozenset({"README.md"})


class TaskSpec(BaseModel):
    """One task type as described by its criteria file."""

    model_config = ConfigDict(frozen=True)

    name: str  # one of TASK_NAMES; equals the file's stem
    group: str  # one of GROUPS' keys
    description: str  # what instructions of this type look like (classifiers use it)
    retrieval: bool  # fetch evidence before rewriting
    rewrite: bool  # False: passthrough, the original response is kept as it is
    verifiers: list[str]  # task-specific checks, from VERIFIER_NAMES
    criteria: str  # the markdown body (## Criteria and ## Format), stripped
    path: str  # the file it was loaded from


def default_criteria_dir() -> Path:
    """``$REALIGN_CRITERIA_DIR`` if set, else the project's ``criteria/`` (realign.resources)."""
    env = os.environ.get("REALIGN_CRITERIA_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    from realign.resources import resource_dir

    return resource_dir("criteria")


def load_tasks(criteria_dir: Path | str | None = None) -> dict[str, TaskSpec]:
    """Load and validate all 46 task files; cached per directory.

    Returns a new dict (task name -> TaskSpec, in TASK_NAMES order) on every call; the specs
    themselves are frozen and shared. Raises ConfigError naming the file and field on any
    problem: a missing file, bad front matter, wrong keys, types, names, groups or verifiers.
    """
    directory = Path(criteria_dir) if criteria_dir is not None else default_criteria_dir()
    return dict(_load_cached(str(directory.expanduser().resolve())))


@functools.lru_cache(maxsize=16)
def _load_cached(directory: str) -> dict[str, TaskSpec]:
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError(
            f"{root}: criteria directory not found; point REALIGN_CRITERIA_DIR (or the config's "
            "criteria_dir) at a directory holding one <task>.md file per task type"
        )
    files = {p.stem: p for p in root.glob("*.md") if p.name not in _IGNORED_FILES}
    unknown = sorted(set(files) - set(TASK_NAMES))
    if unknown:
        path = files[unknown[0]]
        raise ConfigError(
            f"{path}: field 'name': unknown task type '{unknown[0]}'; criteria files must be named "
            f"after one of the {len(TASK_NAMES)} task types (see realign.tasks.TASK_NAMES)"
        )
    missing = [name for name in TASK_NAMES if name not in files]
    if missing:
        raise ConfigError(
            f"{root}: missing criteria file(s) for {len(missing)} task type(s): "
            + ", ".join(f"{name}.md" for name in missing)
            + "; every task type needs one"
        )
    return {name: _parse_file(files[name]) for name in TASK_NAMES}


def _parse_file(path: Path) -> TaskSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror or exc}") from None

    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _DELIMITER:
        raise ConfigError(
            f"{path}:1: front matter must start with a '{_DELIMITER}' line on line 1, "
            f"followed by TOML and a closing '{_DELIMITER}' line"
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _DELIMITER)
    except StopIteration:
        raise ConfigError(
            f"{path}: front matter opened on line 1 has no closing '{_DELIMITER}' line"
        ) from None

    front = "\n".join(lines[1:end])
    try:
        meta: dict[str, Any] = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {_toml_error(exc, first_line=2)}") from None

    _check_fields(path, meta)

    name = meta["name"]
    if name != path.stem:
        raise ConfigError(
            f"{path}: field 'name': '{name}' does not match the file name; "
            f"it must be '{path.stem}'"
        )
    if name not in _GROUP_OF:
        raise ConfigError(f"{path}: field 'name': unknown task type '{name}'")
    if meta["group"] != _GROUP_OF[name]:
        raise ConfigError(
            f"{path}: field 'group': '{meta['group']}' is wrong for task '{name}'; "
            f"it belongs to '{_GROUP_OF[name]}'"
        )
    if not meta["description"].strip():
        raise ConfigError(f"{path}: field 'description': must not be empty")
    verifiers: list[Any] = meta["verifiers"]
    for v in verifiers:
        if not isinstance(v, str):
            raise ConfigError(
                f"{path}: field 'verifiers': entries must be strings, got {type(v).__name__}"
            )
        if v not in VERIFIER_NAMES:
            raise ConfigError(
                f"{path}: field 'verifiers': unknown verifier '{v}'; allowed: "
                + ", ".join(sorted(VERIFIER_NAMES))
            )
    if len(set(verifiers)) != len(verifiers):
        raise ConfigError(f"{path}: field 'verifiers': lists a verifier more than once")

    body = "\n".join(lines[end + 1 :]).strip()
    for section in _REQUIRED_SECTIONS:
        if not re.search(rf"^{re.escape(section)}\s*$", body, flags=re.MULTILINE):
            raise ConfigError(
                f"{path}: body: missing a '{section}' section after the front matter"
            )

    return TaskSpec(
        name=name,
        group=meta["group"],
        description=" ".join(meta["description"].split()),
        retrieval=meta["retrieval"],
        rewrite=meta["rewrite"],
        verifiers=list(verifiers),
        criteria=body,
        path=str(path),
    )


def _check_fields(path: Path, meta: dict[str, Any]) -> None:
    extra = sorted(set(meta) - set(_FIELDS))
    if extra:
        raise ConfigError(
            f"{path}: field '{extra[0]}': unknown key in front matter; allowed keys: "
            + ", ".join(_FIELDS)
        )
    for key, expected in _FIELDS.items():
        if key not in meta:
            raise ConfigError(f"{path}: field '{key}': missing from front matter")
        value = meta[key]
        if not isinstance(value, expected):
            raise ConfigError(
                f"{path}: field '{key}': must be a {_TYPE_WORDS[expected]}, "
                f"got {_toml_type(value)} {value!r}"
            )


_TYPE_WORDS = {str: "string", bool: "boolean (true/false)", list: "list of strings"}


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _toml_error(exc: Exception, first_line: int) -> str:
    """The TOML parser's message with its line number shifted to a line of the whole file."""
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    if m:
        line = int(m.group(1)) + first_line - 1
        core = msg[: m.start()].strip()
        return f"line {line}, column {m.group(2)}: invalid TOML in front matter: {core}"
    return f"invalid TOML in front matter: {msg}"


def group_of(task: str) -> str:
    """The group a task type belongs to. Raises ValueError for an unknown name."""
    try:
        return _GROUP_OF[task]
    except KeyError:
        raise ValueError(f"unknown task type {task!r}") from None


# Spellings a model may produce that are not just case/separator variants of a name.
_ALIASES: dict[str, str] = {
    "value_judgment": "value_judgement",
    "role_play": "roleplay",
    "role_playing": "roleplay",
    "roleplaying": "roleplay",
    "fill_in_the_blanks": "fill_in_the_blank",
    "fill_in_blank": "fill_in_the_blank",
    "keyword_extraction": "keywords_extraction",
    "math_puzzle": "math_puzzles",
    "recommendation": "recommendations",
}
_CANONICAL: dict[str, str] = {**{n: n for n in TASK_NAMES}, **_ALIASES}
# Longest first, so that e.g. code_language_classification wins over language_classification.
_TOKEN_RE = re.compile(
    r"(?:^|_)(" + "|".join(sorted(map(re.escape, _CANONICAL), key=len, reverse=True)) + r")(?=_|$)"
)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def normalize_task_name(text: str) -> str | None:
    """Map a model's free-text answer to a task name, or None when there is no single match.

    Tolerates case, spaces / hyphens / slashes for underscores, surrounding quotes, markdown
    and punctuation, and a name embedded in a short phrase ("Task: open_qa."). Returns None
    when no name, or more than one different name, appears.

    >>> normalize_task_name('"Open QA"')
    'open_qa'
    >>> normalize_task_name("ML/AI language model tutor")
    'ml_ai_language_model_tutor'
    >>> normalize_task_name("open_qa or closed_qa") is None
    True
    """
    if not isinstance(text, str):
        return None
    squashed = _squash(text)
    if not squashed:
        return None
    if squashed in _CANONICAL:
        return _CANONICAL[squashed]
    found: set[str] = set()
    pos = 0
    while True:
        m = _TOKEN_RE.search(squashed, pos)
        if m is None:
            break
        found.add(_CANONICAL[m.group(1)])
        pos = m.end(1)
    return found.pop() if len(found) == 1 else None
