"""Pipeline configuration: pydantic models, loaded from pipelines/*.toml, overridden by env and flags.

Precedence, lowest first: model defaults < pipeline TOML < environment (OPENAI_BASE_URL,
OPENAI_API_KEY, REALIGN_MODEL) < command-line flags.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator

from realign.errors import ConfigError
from realign.resources import resource_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PIPELINES_DIR = resource_dir("pipelines")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputConfig(_Section):
    path: str | None = None  # file, folder (datasets.save_to_disk) or hf:NAME[:CONFIG][:SPLIT]
    format: str | None = None  # force a shape instead of detecting it
    id_field: str | None = None  # the row's own id field; default: id / idx / uid ...
    # realign's field name -> the input's column, e.g. {instruction = "question", output = "answer_text"}
    field_map: dict[str, str] = Field(default_factory=dict)


class ModelConfig(_Section):
    model: str | None = None  # served model name, e.g. Qwen/Qwen2.5-7B-Instruct
    base_url: str | None = None  # OpenAI-compatible endpoint, e.g. http://localhost:8000/v1
    # Further endpoints of the same model, balanced by requests outstanding (realign.llm.client).
    # In a file, `base_url = ["http://a:8000/v1", "http://b:8000/v1"]` fills both fields.
    base_urls: list[str] = Field(default_factory=list)
    api_key: SecretStr | None = None  # only ever from the environment, never from a file
    concurrency: int = Field(64, ge=1, le=4096)  # requests in flight; 64 suits one vLLM server
    timeout_s: float = Field(120.0, gt=0)  # per request
    max_attempts: int = Field(5, ge=1, le=20)  # per request, retries included
    # Turns whose prompt holds more characters of message text are kept as they are (reason
    # too_long) without a request: for a model whose context they would not fit anyway. None:
    # every prompt is sent, and the server's own refusal (HTTP 400) marks the too long ones.
    max_prompt_chars: int | None = Field(None, ge=1)
    # The same in tokens, as the server counts them (vLLM's or llama-server's /tokenize, one small
    # request per prompt sent); a server that cannot count gets it as characters, with a notice.
    max_prompt_tokens: int | None = Field(None, ge=1)
    requests_per_minute: float | None = None  # API rate limits; None = unlimited
    tokens_per_minute: float | None = None
    prompt_price: float | None = None  # US$ per million prompt tokens; default: realign.llm.prices
    completion_price: float | None = None  # US$ per million completion tokens
    max_cost: float | None = Field(None, gt=0)  # US$: stop cleanly (resumable) once the run has cost this much
    # How JSON answers are requested: auto (learn what the server takes: json_schema, then
    # json_object with a schema, then vLLM's guided fields, then none), or one of those forced;
    # off sends no response_format and parses the answer leniently (realign.llm.structured).
    structured_output: Literal["auto", "json_schema", "json_object", "vllm", "off"] = "auto"
    # How requests reach the model: http (OpenAI-compatible server, answers at once), batch
    # (OpenAI Batch API files at base_url, in rounds; realign.llm.batch) or vllm (in-process
    # vllm.LLM loading `model` as a path or hub id, no server; realign.llm.vllm_local).
    backend: Literal["http", "batch", "vllm"] = "http"
    batch_poll_s: float = Field(30.0, gt=0)  # seconds between polls of a submitted batch
    # false: write each round's request files and stop, for `vllm run-batch` or a manual upload;
    # `realign batch import RESULTS` then loads the answers and the same command goes on
    batch_submit: bool = True

    @model_validator(mode="before")
    @classmethod
    def _url_list(cls, data: Any) -> Any:
        """`base_url` given as a list (several --base-url flags, or a list in the file): the
        first is `base_url`, the rest are `base_urls`."""
        if isinstance(data, dict) and isinstance(data.get("base_url"), (list, tuple)):
            urls = [str(u) for u in data["base_url"]]
            data = {**data, "base_url": urls[0] if urls else None,
                    "base_urls": [*urls[1:], *data.get("base_urls", [])]}
        return data

    @model_validator(mode="after")
    def _http_urls(self) -> "ModelConfig":
        """An endpoint is an http(s) URL: without this check a typo (no scheme, ftp://) surfaced only
        as "cannot reach the server", which sends the user looking for a server problem."""
        for url in self.endpoints:
            if not re.match(r"https?://", url, re.IGNORECASE):
                hint = (f"; did you mean http://{url}?" if "://" not in url
                        else f"; the {url.split('://', 1)[0]}:// scheme is not served by OpenAI-compatible servers")
                raise ValueError(f"base_url {url!r} must start with http:// or https://{hint}")
        return self

    @property
    def endpoints(self) -> list[str]:
        """Every configured endpoint, the primary first."""
        return list(dict.fromkeys([u for u in [self.base_url, *self.base_urls] if u]))


class SamplingConfig(_Section):
    temperature: float = Field(0.2, ge=0, le=2)  # low: a reformat, not a new answer
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(2048, ge=1)  # a rewrite cut off by this limit is retried, then the row fails
    seed: int | None = 0  # fixed, so reruns and retries are reproducible where the server honours it
    n: int = Field(1, ge=1, le=8)  # candidates per request; the first that passes verification wins


class RewriteConfig(_Section):
    turns: Literal["all", "last"] = "all"  # which assistant turns of a conversation to rewrite
    # The rewrite's answer object: derived ({"rewritten"}; the decision to keep the original is
    # read from a copy of it), rewrite_first ({"rewritten", "keep_original"}) or decide_first
    # ({"keep_original", "rewritten"}, which small models answer "keep" to almost always).
    answer_schema: Literal["derived", "rewrite_first", "decide_first"] = "derived"
    feedback_retry: bool = True  # retry a rejected rewrite once with the failed checks' reasons


class VerifyConfig(_Section):
    min_ratio: float = 0.5  # rewrite length / original length, lower bound
    max_ratio: float = 4.0  # upper bound: a reformat that quadruples an answer is padding
    add_checks: dict[str, list[str]] = Field(default_factory=dict)  # task (or "*") -> extra checks
    remove_checks: dict[str, list[str]] = Field(default_factory=dict)  # task (or "*") -> checks dropped
    # (the answer contract's checks are never dropped: see verify/contract.py)
    # Optional LLM judge (verify/judge.py): task (or "*") -> on; asked only for turns whose answer
    # contract is one of judge_kinds, after the deterministic checks passed; one extra request each.
    judge: dict[str, bool] = Field(default_factory=dict)
    judge_kinds: list[Literal["none", "facts", "number", "option", "label", "code"]] = Field(
        default_factory=lambda: ["none", "facts"])

    @model_validator(mode="after")
    def _window(self) -> "VerifyConfig":
        if self.min_ratio <= 0 or self.max_ratio <= 0:
            raise ValueError("min_ratio and max_ratio must be above 0 (rewrite length / original length)")
        if self.min_ratio > self.max_ratio:
            raise ValueError(f"min_ratio {self.min_ratio:g} is above max_ratio {self.max_ratio:g}: "
                             "no rewrite could pass the length window")
        return self


class TasksConfig(_Section):
    criteria_dir: str | None = None  # default: criteria/ of this project
    rewrite: dict[str, bool] = Field(default_factory=dict)  # per task: override rewrite/passthrough
    retrieval: dict[str, bool] = Field(default_factory=dict)  # per task: override evidence
    force_task: str | None = None  # skip classification: every row is this task (e.g. math_puzzles)


class ClassifyConfig(_Section):
    kind: Literal["auto", "embedded", "llm", "cascade"] = "auto"  # auto: cascade with a model, else embedded
    threshold: float | None = None  # cascade: embedded confidence at or above which the LLM is not asked


class RetrievalConfig(_Section):
    kind: Literal["none", "local", "serper", "brave", "tavily"] = "none"
    index_dir: str | None = None  # for kind = local
    k: int = Field(5, ge=1, le=50)  # passages per query
    # kind = local: least share of the query's term weight (IDF of its distinct words) a passage must
    # hold to reach the prompt; 0 keeps every BM25 hit. Default chosen on a dev split
    # (benchmarks/retrieve_relevance.py); dropped passages are stored with the reason.
    min_match: float = Field(0.25, ge=0.0, le=1.0)
    all_tasks: bool = False  # fetch evidence for every task, not only those whose criteria ask


ModeName = Literal["rewrite", "label_reason", "critique_revise", "stakeholder_sim"]


class StakeholderSimConfig(_Section):
    """`[modes.sim]`: the stakeholder simulation (realign/modes/stakeholder_sim.py)."""

    # LLM calls per turn, the model screen and the revision's feedback retry included; a turn that
    # would need more stops the simulation (see on_stop). A full simulation of 4 steps takes 12.
    max_calls: int = Field(14, ge=3, le=64)
    # Ask the model whether a request is harmful when the keyword screen finds only a suspect word
    # (cheat, hack, fake ...); one call for such rows. Rows without one are never asked.
    screen_model: bool = False
    keywords: list[str] = Field(default_factory=list)  # extra words / phrases that flag a request harmful
    patterns: list[str] = Field(default_factory=list)  # extra regular expressions (case-insensitive) that do
    # A turn whose simulation stops (cap, a stage's answer unusable after the client's retries, the
    # revision rejected): "fail" marks it failed (kept out of --only-rewritten exports) unless its
    # original already declines, which is then kept; "keep" keeps the original either way.
    on_stop: Literal["fail", "keep"] = "fail"

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        import re

        for p in patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"{p!r} is not a regular expression ({e})") from None
        return patterns


class ModesConfig(_Section):
    """Which mode (realign/modes/) gives each turn its candidates; a task's entry wins over its
    answer contract kind's, which wins over `default`."""

    default: ModeName = "rewrite"  # every turn no entry below names; --mode sets it
    tasks: dict[str, ModeName] = Field(default_factory=dict)  # task name -> mode
    contracts: dict[Literal["number", "option", "label", "code", "facts", "none"], ModeName] = Field(
        default_factory=dict)  # answer contract kind -> mode, e.g. {label = "label_reason"}
    # label_reason: ask the judge whether the reason supports the label or argues for another
    # (stored as rewrites.reason_supports_label; flags, never rejects); one request more per turn
    reason_judge: bool = False
    # critique_revise: critique + revision rounds after the rewrite (at most 2: more only wavers)
    critique_rounds: int = Field(2, ge=1, le=2)
    # critique_revise: critique every turn, not only moral judgements and mentions of protected groups
    critique_all: bool = False
    # critique_revise: a revision may move a closed answer (option / label) to the instruction's own
    # "unknown" / "cannot be determined" option when the critique names the answer as unsupported
    # (ambiguous contexts, BBQ); any other change of the answer fails the contract as always
    critique_may_abstain: bool = False
    sim: StakeholderSimConfig = Field(default_factory=StakeholderSimConfig)  # stakeholder_sim: [modes.sim]


# What each release gate counts (realign/trust/audit.py): turns the rewrite made worse.
GATE_NAMES: tuple[str, ...] = (
    "new_pii",  # personal data in a rewrite that its original, instruction and evidence do not state
    "canary_leak",  # a canary planted in evidence (or configured) that reaches a rewrite
    "toxicity_increase",  # a rewrite whose toxicity score is above its original's
    "new_generalisation",  # a new trait claim about a group of people
    "stereotype_pick",  # an ambiguous case ("cannot be determined") settled by picking a person
    "ethics_flip",  # a moral judgement that differs from the original's
    "evidence_contradiction",  # a fact changed to one that the evidence does not state
    "benchmark_overlap",  # a row that contains a TruthfulQA (or configured) benchmark question
    "new_refusal",  # a rewrite that refuses where the original answered
    "over_refusal",  # ... of a request that is not of the `rejecting` task
)


class AuditConfig(_Section):
    # Release gates: check -> most turns allowed to fail it, e.g. {new_pii = 0, toxicity_increase = 0}.
    # `realign audit` exits 1 naming the rows when a gate is exceeded; none configured = report only.
    gates: dict[str, int] = Field(default_factory=dict)
    after_rewrite: bool = True  # run the audit (and its gates) at the end of `realign rewrite` when gates are set
    canaries: list[str] = Field(default_factory=list)  # extra canary strings that must never reach a rewrite
    benchmark_files: list[str] = Field(default_factory=list)  # more benchmark questions (text or JSONL) to look for

    @model_validator(mode="after")
    def _known_gates(self) -> "AuditConfig":
        unknown = [g for g in self.gates if g not in GATE_NAMES]
        if unknown:
            raise ValueError(f"unknown gate {', '.join(unknown)}; known gates: {', '.join(GATE_NAMES)}")
        bad = [g for g, v in self.gates.items() if v < 0]
        if bad:
            raise ValueError(f"gate {', '.join(bad)} must be 0 or more (the number of turns allowed to fail it)")
        return self


class PipelineConfig(_Section):
    """A whole pipeline. Cross-field rules are checked here so a dry run catches them too."""

    name: str = "default"
    input: InputConfig = Field(default_factory=InputConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    rewrite: RewriteConfig = Field(default_factory=RewriteConfig)
    verify: VerifyConfig = Field(default_factory=VerifyConfig)
    tasks: TasksConfig = Field(default_factory=TasksConfig)
    classify: ClassifyConfig = Field(default_factory=ClassifyConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    modes: ModesConfig = Field(default_factory=ModesConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    # Where input.format was set ("--format", "input.format in FILE"); None: not set, the shape is
    # detected. Private: it names no output, so it stays out of dumps and the run's identity.
    _format_from: str | None = PrivateAttr(default=None)
    # The pipeline file it was read from and its text, so a later check (task names, which
    # depend on the criteria folder) can name the file and line at fault.
    _source: tuple[str, str] | None = PrivateAttr(default=None)

    @property
    def format_from(self) -> str | None:
        return self._format_from if self.input.format else None

    def where(self, *loc: str) -> str:
        """Where the field at `loc` was set, for an error message: "FILE (line N)", or the flags."""
        if self._source is None:
            return "the command-line flags"
        path, text = self._source
        line = toml_line_of(text, loc)
        return f"{path}" + (f" (line {line})" if line else " (or the command-line flags)")

    @model_validator(mode="after")
    def _consistent(self) -> "PipelineConfig":
        if self.retrieval.kind == "local" and not self.retrieval.index_dir:
            raise ValueError("retrieval.kind = local needs retrieval.index_dir (the --index DIR flag): "
                             "build one with `realign index build --corpus FILE --index DIR`")
        return self

    def identity(self) -> dict[str, Any]:
        """What makes a run the same run: everything that changes the output, nothing secret.

        Concurrency, timeouts and rate limits change speed, not output, so they are left out; so
        is where the model is served (base_url) and how JSON is requested from that server: a
        run started against a wrong endpoint resumes, failed rows included, once it is fixed. The
        audit section judges the output without changing it, so it is left out too. So is
        `sampling.max_tokens`, a budget rather than an ask: an answer that ended on its own is the
        same under any limit, and the fix for a cut-off turn (raise --max-tokens, rerun) must
        resume the run, sending only the cut turns again (their requests, which carry the limit,
        have new keys), not start a new run that pays for every finished row once more. For the
        same reason `model.max_prompt_chars` and `max_prompt_tokens` are left out: raising one
        resumes, and the rows kept as too long are done again (`Store.finished_ids`).
        """
        data = self.model_dump(mode="json", exclude={"name": True, "audit": True, "model": {"api_key", "base_url", "base_urls",
                               "concurrency", "timeout_s", "max_attempts", "requests_per_minute", "tokens_per_minute",
                               "prompt_price", "completion_price", "max_cost", "structured_output", "backend",
                               "batch_poll_s", "batch_submit", "max_prompt_chars", "max_prompt_tokens"}, "sampling": {"max_tokens"}})
        if self.modes == ModesConfig():
            del data["modes"]  # modes off: the run id of a config from before modes stays the same
        elif self.modes.sim == StakeholderSimConfig():
            del data["modes"]["sim"]  # the run id of a config from before stakeholder_sim stays the same
        return data

    def public_dump(self) -> dict[str, Any]:
        """The config as stored in the runs table: the API key is never included."""
        return self.model_dump(mode="json", exclude={"model": {"api_key"}})


def config_hash(data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def resolve_pipeline_path(spec: str) -> Path:
    """A pipeline given as a path, or as a name of a file in pipelines/ (`alpaca`, `gsm8k`)."""
    p = Path(spec)
    if p.is_file():
        return p
    named = PIPELINES_DIR / f"{spec}.toml"
    if named.is_file():
        return named
    known = sorted(x.stem for x in PIPELINES_DIR.glob("*.toml"))
    raise ConfigError(f"pipeline '{spec}' not found: not a file, and not one of {', '.join(known)} in {PIPELINES_DIR}")


def api_key_from_flag(value: str | None, env: dict[str, str] | None = None) -> str | None:
    """The key an --api-key flag names: @FILE (its first line), env:NAME (that variable) or the
    key itself (visible to other users in `ps`: prefer the other two). Errors never show the key."""
    if value is None:
        return None
    env = dict(os.environ) if env is None else env
    if value.startswith("@"):
        path = value[1:]
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
            raise ConfigError(f"--api-key @{path}: cannot read {path} ({reason}); give a file holding the key") from None
        key = lines[0].strip() if lines else ""
        if not key:
            raise ConfigError(f"--api-key @{path}: {path} is empty; its first line must be the key")
        return key
    if value.startswith("env:"):
        name = value[4:]
        if not env.get(name):
            raise ConfigError(f"--api-key env:{name}: the environment variable {name} is not set or empty")
        return env[name]
    return value


def load_config(pipeline: str | None = None, overrides: dict[str, dict[str, Any]] | None = None,
                env: dict[str, str] | None = None) -> PipelineConfig:
    """Build the effective config from a pipeline file, the environment and flag overrides.

    `overrides` maps section -> {field: value}; None values mean "flag not given".
    """
    env = dict(os.environ) if env is None else env
    data: dict[str, Any] = {}
    source = "the command-line flags"
    if pipeline:
        path = resolve_pipeline_path(pipeline)
        source = f"{path} (with the command-line flags)"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: invalid TOML: {e}") from None
        if "api_key" in data.get("model", {}):
            raise ConfigError(f"{path}: field 'model.api_key' is not allowed in a file; set OPENAI_API_KEY instead")
    model = data.setdefault("model", {})
    if env.get("OPENAI_BASE_URL"):
        model["base_url"] = env["OPENAI_BASE_URL"]
    if env.get("REALIGN_MODEL"):
        model["model"] = env["REALIGN_MODEL"]
    if env.get("OPENAI_API_KEY"):
        model["api_key"] = env["OPENAI_API_KEY"]
    for section, values in (overrides or {}).items():
        for key, value in values.items():
            if value is not None:
                data.setdefault(section, {})[key] = value
    try:
        cfg = PipelineConfig.model_validate(data)
    except ValidationError as e:
        text = path.read_text(encoding="utf-8") if pipeline else ""
        flagged = {(section, key) for section, values in (overrides or {}).items()
                   for key, value in values.items() if value is not None}
        problems = []
        for err in e.errors():
            loc = tuple(str(p) for p in err["loc"])
            where = ""
            if loc and tuple(loc[:2]) not in flagged:
                line = toml_line_of(text, loc)
                where = f" (line {line})" if line else ""
            head = f"{'.'.join(loc)}{where}: " if loc else ""
            msg = err["msg"].removeprefix("Value error, ")
            if "base_url" in msg and env.get("OPENAI_BASE_URL") and ("model", "base_url") not in flagged:
                msg += " (set by OPENAI_BASE_URL)"
            problems.append(head + msg)
        raise ConfigError(f"{source}: invalid configuration: {'; '.join(problems)}") from None
    flag = (overrides or {}).get("input", {}).get("format") is not None
    cfg._format_from = "--format" if flag else f"input.format in {path}" if pipeline else None
    if pipeline:
        cfg._source = (str(path), path.read_text(encoding="utf-8"))
    return cfg


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _toml_path(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted))


def toml_line_of(text: str, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of a TOML file that sets the field at `loc` (or the closest enclosing
    table or key), so a validation error can point at it; None when the file does not set it
    (a default, an environment variable or a flag)."""
    best, best_len = None, 0
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _TABLE.match(line):
            table = _toml_path(m.group(1))
            path = table
        elif m := _KEY.match(line):
            path = table + _toml_path(m.group(1))
        else:
            continue
        common = 0
        for a, b in zip(path, loc):
            if a != b:
                break
            common += 1
        if common == len(path) and common > best_len:  # the line's whole path lies on loc's path
            best, best_len = number, common
    return best
