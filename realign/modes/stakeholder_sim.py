"""Mode `stakeholder_sim`: revise the answer to a harmful request after simulating who it hurts (MATRIX).

MATRIX (arXiv 2402.05699) has one model play the person asking and the people an answer would
affect in a small social scene; a modulator decides who notices each act, drops implausible ones
and writes the consequences; the model then revises its answer in light of them, and the
(question, revised answer) pairs are SFT data. Its public code runs one thread per agent with
non-deterministic interleaving, never actually drops an implausible act and costs 40-100 calls
a question. Here the simulation is one sequential coroutine with a call cap:

1. ``screen`` (realign/modes/screen.py): only a request flagged harmful enters; a benign one gets
   the `rewrite` mode and sends exactly what that mode sends (nothing extra). A request with only
   a suspect word is put to the model with ``modes.sim.screen_model`` (one call), else left alone.
2. ``scene``: setting, the asker's role, at most 4 affected roles, and a one-line gist of what the
   original answer does. The gist is sanitised (`sanitise_gist`); it is the only trace of the
   original answer that any later prompt carries. An answer given after tool calls has the calls
   and their results (`TurnInput.tool_exchange`) in the scene's and the revision's prompts.
3. ``plan``: at most 4 acts of the asker, one line each, named, never explained.
4. ``step`` per act, in order: plausible or not (an implausible act is dropped: no reactions,
   absent from every later prompt), who notices it (roles of the scene only), the consequence.
5. ``react`` per plausible act that someone noticed: each noticing role's reaction.
6. ``summary``: what the acts did to whom; ``revise``: the revised answer.

Every stage answers one JSON object, validated by its parser (a malformed answer is retried by
the client, `realign.llm.client`); every call is traced. The revision is verified as a `rejecting`
turn (tools.verify: the answer contract and the rejecting task's checks) and by the refusal check,
read for a flagged request: declining where the original complied is the point, so it passes;
a revision that does not decline fails, whatever the original did. A rejected revision is retried once with
the reasons (``rewrite.feedback_retry``).

Calls per turn (screen and feedback included) are capped by ``modes.sim.max_calls``: the call that
would pass the cap is not sent (and right after the plan, a simulation that cannot finish within
the cap stops at once). A simulation that stops (cap; a stage still malformed after the client's
retries; the revision rejected twice) follows one rule: an original that already declines is
kept; otherwise the turn is ``failed`` (``modes.sim.on_stop = "keep"`` keeps it instead), so a
harmful original never counts as an accepted answer.

Nothing here depends on timing or order of completion: the same seed and the same server answers
give the same requests, outcome and trace.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from realign.llm.client import ChatResult, LLMError
from realign.llm.structured import loads_lenient
from realign.modes.base import TraceStep, TurnInput, TurnOutcome, TurnTools, record_verdict
from realign.modes.rewrite import rewrite_once
from realign.modes.screen import Flag, screen
from realign.prompts import render
from realign.records import CheckResult, Verdict
from realign.verify.base import CheckInput
from realign.verify.options import VerifyOptions
from realign.verify.refusal import check_refusal, refusal_phrase

if TYPE_CHECKING:
    from realign.config import PipelineConfig

NAME = "stakeholder_sim"
MAX_ROLES = 4
MAX_STEPS = 4
GIST_MAX_CHARS = 160
GIST_COPY_WORDS = 6  # a gist sharing this many consecutive words with the original copies it


# ---- stage answers ---------------------------------------------------------------------------------
class Role(BaseModel):
    role: str
    stake: str = ""


class Screened(BaseModel):
    harmful: bool
    why: str = ""


class Scene(BaseModel):
    scene: str
    asker: str
    affected: list[Role] = Field(default_factory=list)
    answer_gist: str = ""


class Plan(BaseModel):
    steps: list[str] = Field(default_factory=list)


class StepOutcome(BaseModel):
    plausible: bool
    why: str = ""
    noticed_by: list[str] = Field(default_factory=list)
    consequence: str = ""


class Reaction(BaseModel):
    role: str
    reaction: str


class Reactions(BaseModel):
    reactions: list[Reaction] = Field(default_factory=list)


class Summary(BaseModel):
    summary: str
    harms: list[str] = Field(default_factory=list)


class Revision(BaseModel):
    revised: str


M = TypeVar("M", bound=BaseModel)


def parse_stage(model: type[M], text: str) -> M:
    """The stage's JSON object; ValueError (the client retries) when it is not one, or when a
    required text is empty."""
    data = loads_lenient(text.strip())
    if not isinstance(data, dict):
        raise ValueError(f"{model.__name__.lower()} answer is not the requested JSON object")
    try:
        parsed = model.model_validate(data)
    except ValidationError as e:
        raise ValueError(f"{model.__name__.lower()} JSON does not match the schema: {e.errors()[0]['msg']}") from None
    for name in ("scene", "asker", "summary", "revised"):
        if isinstance(getattr(parsed, name, None), str) and not getattr(parsed, name).strip():
            raise ValueError(f"{model.__name__.lower()} answer has an empty {name!r}")
    # A scene with nobody affected or a plan with no act leaves nothing to simulate: the revision
    # would be stored as simulated when nothing was.
    if isinstance(parsed, Scene) and not any(r.role.strip() for r in parsed.affected):
        raise ValueError("scene answer names nobody the act would affect")
    if isinstance(parsed, Plan) and not any(s.strip() for s in parsed.steps):
        raise ValueError("plan answer names no act")
    return parsed


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


_STR = {"type": "string"}
_ROLE = _obj({"role": _STR, "stake": _STR})


def _schema(name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": f"sim_{name}", "strict": True, "schema": _obj(props)}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "screen": _schema("screen", {"harmful": {"type": "boolean"}, "why": _STR}),
    "scene": _schema("scene", {"scene": _STR, "asker": _STR, "answer_gist": _STR,
                               "affected": {"type": "array", "items": _ROLE, "maxItems": MAX_ROLES}}),
    "plan": _schema("plan", {"steps": {"type": "array", "items": _STR, "maxItems": MAX_STEPS}}),
    "step": _schema("step", {"plausible": {"type": "boolean"}, "why": _STR,
                             "noticed_by": {"type": "array", "items": _STR}, "consequence": _STR}),
    "react": _schema("react", {"reactions": {"type": "array", "items": _obj({"role": _STR, "reaction": _STR})}}),
    "summary": _schema("summary", {"summary": _STR, "harms": {"type": "array", "items": _STR}}),
    "revise": _schema("revise", {"revised": _STR}),
}
MODELS: dict[str, type[BaseModel]] = {"screen": Screened, "scene": Scene, "plan": Plan, "step": StepOutcome,
                                      "react": Reactions, "summary": Summary, "revise": Revision}


# ---- the one-line gist -----------------------------------------------------------------------------
_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_CODE = re.compile(r"```.*?(?:```|$)|`[^`]*`", re.S)
_WORD = re.compile(r"[a-z0-9']+")


def _copies(text: str, original: str, n: int = GIST_COPY_WORDS) -> bool:
    words = _WORD.findall(original.lower())
    grams = {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    said = _WORD.findall(text.lower())
    return any(tuple(said[i:i + n]) in grams for i in range(len(said) - n + 1))


def fallback_gist(original: str) -> str:
    """What the original does, known without reading its contents."""
    if refusal_phrase(original) is not None:
        return "The original answer declines the request."
    return f"The original answer goes along with the request ({len(original.split())} words)."


def sanitise_gist(gist: str, original: str) -> tuple[str, str | None]:
    """One line of at most GIST_MAX_CHARS, without code or links; a gist that copies the original
    (GIST_COPY_WORDS consecutive words) or says nothing is replaced by `fallback_gist`. Returns
    the gist and what was done to it (None: taken as written)."""
    text = " ".join(_URL.sub("", _CODE.sub("", gist)).split())
    note = None if text == gist.strip() else "code, links or line breaks removed"
    if len(text) > GIST_MAX_CHARS:
        text = text[:GIST_MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " ..."
        note = f"cut to {GIST_MAX_CHARS} characters"
    if len(_WORD.findall(text.lower())) < 3 or _copies(text, original):
        return fallback_gist(original), "replaced: the gist copied the original or said nothing"
    return text, note


# ---- the simulation ------------------------------------------------------------------------------
class Stop(Exception):
    """The simulation cannot go on; `kind` is cap, invalid_output or rejected."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(why)
        self.kind, self.why = kind, why


def refusal_for_flagged(turn: TurnInput, revised: str, flag: Flag) -> CheckResult:
    """The refusal check, read for a request the screen flagged: a revision that declines where
    the original complied is what the simulation is for; one that does not decline fails, whatever
    the original did (the revision prompt asks it to decline the harmful part first; a revision
    that goes along with the request, or says nothing, must never become the accepted answer)."""
    if refusal_phrase(revised) is None:
        return CheckResult(name="refusal", passed=False, reason=(
            f"the revision does not decline a request flagged harmful ({flag.why}); it must decline the harmful "
            "part in its first sentence"))
    got = check_refusal(CheckInput(task=turn.task, instruction=turn.instruction, original=turn.original,
                                   candidate=revised), VerifyOptions(refusal_both_ways=True))
    if not got.passed and refusal_phrase(turn.original) is None:
        return CheckResult(name="refusal", passed=True, reason=(
            f"declines where the original complied: expected for a request flagged harmful ({flag.why})"))
    return got


class _Run:
    """One turn's simulation: the calls it made and its trace."""

    def __init__(self, turn: TurnInput, tools: TurnTools, out: TurnOutcome) -> None:
        self.turn, self.tools, self.out = turn, tools, out
        self.cfg = tools.cfg.modes.sim
        self.calls = 0

    async def ask(self, stage: str, messages: list[dict[str, str]], *, purpose: str | None = None) -> tuple[Any, str]:
        """One stage call, counted against the cap, traced with its parsed answer."""
        if self.calls + 1 > self.cfg.max_calls:
            raise Stop("cap", f"the {stage} call would be call {self.calls + 1}, over modes.sim.max_calls = "
                              f"{self.cfg.max_calls}")
        self.calls += 1
        model = MODELS[stage]

        def valid(result: ChatResult) -> None:
            parse_stage(model, result.contents[0])

        try:
            result = await self.tools.chat(self.out, messages, purpose=f"sim_{purpose or stage}",
                                           response_format=SCHEMAS[stage], validate=valid)
        except LLMError as e:
            if e.kind not in ("invalid_output", "length"):
                raise  # the server's trouble, not the stage's: the row fails as any other
            if e.key:
                self.out.request_keys.append(e.key)
            self.out.raw_answers.extend(e.contents)
            self.out.trace.append(TraceStep(NAME, purpose or stage, e.key, None))
            raise Stop("invalid_output", f"the {purpose or stage} answer stayed unusable: {e}") from None
        raw = result.contents[0]
        return parse_stage(model, raw), raw

    def trace(self, step: str, key: str | None, output: Any) -> None:
        self.out.trace.append(TraceStep(NAME, step, key, output))

    def last_key(self) -> str:
        return self.out.request_keys[-1]


def _msg(template: str, **ctx: Any) -> list[dict[str, str]]:
    return [{"role": "user", "content": render(template, **ctx)}]


def _known(names: list[str], roles: list[Role]) -> tuple[list[str], list[str]]:
    """`names` that are roles of the scene (in the scene's order, once each), and the others."""
    by_low = {r.role.strip().lower(): r.role for r in roles}
    asked = [n.strip().lower() for n in names]
    kept = [r.role for r in roles if r.role.strip().lower() in asked]
    return kept, [n for n in names if n.strip().lower() not in by_low]


class StakeholderSimMode:
    name = NAME

    @staticmethod
    def claims_passthrough(task: str, instruction: str, cfg: PipelineConfig) -> bool:
        """A turn of a passthrough task (advice_giving, roleplay ...) still enters when the
        deterministic screen flags its request harmful; the model screen is never asked for one."""
        flag = screen(task, instruction, cfg.modes.sim.keywords, cfg.modes.sim.patterns)
        return flag is not None and flag.level == "harmful"

    async def run(self, turn: TurnInput, tools: TurnTools, out: TurnOutcome) -> None:
        cfg = tools.cfg.modes.sim
        run = _Run(turn, tools, out)
        flag = screen(turn.task, turn.instruction, cfg.keywords, cfg.patterns)
        try:
            if flag is not None and flag.level == "suspect":
                if not cfg.screen_model:
                    flag = None
                else:
                    try:
                        said, _ = await run.ask("screen", _msg("sim_screen.j2", instruction=turn.instruction))
                    except Stop:  # no usable screen answer: the deterministic screen's word stands
                        flag = None
                    else:
                        run.trace("screen", run.last_key(), {"by": "model", "harmful": said.harmful,
                                                             "why": said.why, "suspect": flag.why})
                        flag = Flag("harmful", "model", f"the model: {said.why}") if said.harmful else None
            if flag is None:
                out.mode = "rewrite"  # benign: the ordinary rewrite, nothing else sent
                await rewrite_once(turn, tools, out)
                return
            if flag.by != "model":
                run.trace("screen", None, {"by": flag.by, "harmful": True, "why": flag.why})
            await self._simulate(run, flag)
        except Stop as stop:
            self._stopped(run, stop)

    async def _simulate(self, run: _Run, flag: Flag) -> None:
        turn, cfg = run.turn, run.cfg
        scene, _ = await run.ask("scene", _msg("sim_scene.j2", instruction=turn.instruction, answer=turn.original,
                                               tool_exchange=turn.tool_exchange, max_roles=MAX_ROLES))
        roles: list[Role] = []
        for r in scene.affected:  # at most MAX_ROLES, named once each
            if r.role.strip() and r.role.strip().lower() not in {x.role.lower() for x in roles} \
                    and len(roles) < MAX_ROLES:
                roles.append(Role(role=r.role.strip(), stake=r.stake.strip()))
        gist, gist_note = sanitise_gist(scene.answer_gist, turn.original)
        run.trace("scene", run.last_key(), {"scene": scene.scene, "asker": scene.asker,
                                            "affected": [r.model_dump() for r in roles],
                                            "roles_dropped": len(scene.affected) - len(roles),
                                            "answer_gist": gist, **({"gist_note": gist_note} if gist_note else {})})

        plan, _ = await run.ask("plan", _msg("sim_plan.j2", scene=scene.scene, asker=scene.asker,
                                             instruction=turn.instruction, max_steps=MAX_STEPS))
        steps = [s.strip() for s in plan.steps if s.strip()][:MAX_STEPS]
        run.trace("plan", run.last_key(), {"steps": steps, "steps_dropped": len(plan.steps) - len(steps)})
        least = run.calls + len(steps) + 2  # a step call each, the summary, the revision
        if least > cfg.max_calls:
            raise Stop("cap", f"{len(steps)} steps need at least {least} calls, over modes.sim.max_calls = "
                              f"{cfg.max_calls}")

        events: list[dict[str, Any]] = []
        dropped: list[str] = []
        for i, step in enumerate(steps, 1):
            told, _ = await run.ask("step", _msg("sim_step.j2", instruction=turn.instruction, scene=scene.scene,
                                                 asker=scene.asker, roles=roles, history=events, step=step))
            noticed, unknown = _known(told.noticed_by, roles) if told.plausible else ([], [])
            entry: dict[str, Any] = {"index": i, "step": step, "plausible": told.plausible, "why": told.why,
                                     "noticed_by": noticed, "consequence": told.consequence if told.plausible else ""}
            if unknown:
                entry["unknown_roles"] = unknown
            if not told.plausible:
                entry["dropped"] = True
                dropped.append(step)
            run.trace("step", run.last_key(), entry)
            if not told.plausible:
                continue  # dropped: no reactions, and no later prompt mentions it
            event = {"step": step, "consequence": told.consequence.strip(), "reactions": []}
            if noticed:
                said, _ = await run.ask("react", _msg("sim_react.j2", instruction=turn.instruction,
                                                      scene=scene.scene, step=step, consequence=event["consequence"],
                                                      roles=[r for r in roles if r.role in noticed]))
                first: dict[str, str] = {}
                for r in said.reactions:
                    hit = _known([r.role], roles)[0]
                    if hit and hit[0] in noticed and hit[0] not in first and r.reaction.strip():
                        first[hit[0]] = r.reaction.strip()
                event["reactions"] = [{"role": n, "reaction": first[n]} for n in noticed if n in first]
                run.trace("react", run.last_key(), {"index": i, "reactions": event["reactions"]})
            events.append(event)

        summary, _ = await run.ask("summary", _msg("sim_summary.j2", instruction=turn.instruction,
                                                   scene=scene.scene, events=events, dropped=len(dropped)))
        harms = [h.strip() for h in summary.harms if h.strip()]
        run.trace("summary", run.last_key(), {"summary": summary.summary.strip(), "harms": harms,
                                              "acts": len(events), "dropped": len(dropped)})
        await self._revise(run, flag, gist, summary.summary.strip(), harms)

    async def _revise(self, run: _Run, flag: Flag, gist: str, summary: str, harms: list[str]) -> None:
        turn, tools, out = run.turn, run.tools, run.out
        # checked as a refusal turn: the contract plus the rejecting task's checks
        as_rejecting = TurnInput(task="rejecting", spec=tools.tasks["rejecting"], example=turn.example,
                                 turn_index=turn.turn_index, evidence_text=turn.evidence_text) \
            if "rejecting" in tools.tasks else turn
        messages = _msg("sim_revise.j2", instruction=turn.instruction, tool_exchange=turn.tool_exchange, gist=gist,
                        summary=summary, harms=harms)
        verdict: Verdict | None = None
        raw = ""
        for attempt, purpose in ((1, "revise"), (2, "revise_feedback")):
            if attempt == 2:
                if not tools.cfg.rewrite.feedback_retry or run.calls + 1 > run.cfg.max_calls:
                    break  # no retry, or none within the cap: the rejection stands
                messages = [*messages, {"role": "assistant", "content": raw}, {"role": "user", "content": render(
                    "sim_feedback.j2", feedback=verdict.feedback())}]  # type: ignore[union-attr]
            revision, raw = await run.ask("revise", messages, purpose=purpose)
            revised = revision.revised.strip()
            got = tools.verify(as_rejecting, revised, out.contract)
            checks = [c for c in got.checks if c.name != "refusal"] + [refusal_for_flagged(turn, revised, flag)]
            verdict = Verdict(passed=all(c.passed for c in checks), checks=checks, repairs=got.repairs, text=got.text)
            record_verdict(out, attempt, 0, verdict)
            run.trace(purpose, run.last_key(), {"revised": revised, "accepted": verdict.passed})
            out.candidate, out.attempts = revised, attempt
            if verdict.passed:
                out.status, out.final, out.keep_original = "rewritten", verdict.text or revised, False
                out.repairs = verdict.repairs
                out.reason = f"revised after a stakeholder simulation ({flag.why})" \
                    + (" after feedback" if attempt == 2 else "")
                run.trace("done", None, {"calls": run.calls, "cap": run.cfg.max_calls, "outcome": "revised"})
                return
        assert verdict is not None
        raise Stop("rejected", "the revision was rejected: " + "; ".join(c.reason for c in verdict.failures))

    @staticmethod
    def _stopped(run: _Run, stop: Stop) -> None:
        """The documented rule for a simulation that could not finish (module docstring)."""
        turn, out = run.turn, run.out
        declines = refusal_phrase(turn.original) is not None
        keep = declines or run.cfg.on_stop == "keep"
        out.final, out.keep_original = turn.original, None
        if keep:
            out.status = "kept_original"
            out.reason = f"simulation stopped ({stop.why}); original kept: " + (
                "it already declines" if declines else "modes.sim.on_stop = keep")
        else:
            out.status = "failed"
            out.error = f"sim_{stop.kind}: {stop.why}"
            out.reason = f"simulation stopped ({stop.why}); the original complies with a request flagged harmful, " \
                         "so it is not kept as an answer"
        out.attempts = max(out.attempts, 1)
        run.trace("done", None, {"calls": run.calls, "cap": run.cfg.max_calls, "outcome": out.status,
                                 "stop": stop.kind, "why": stop.why})


# ---- for scripted servers ------------------------------------------------------------------------
_TAGS = re.compile(r"<(request|answer|scene|asker|act|what_followed|first_answer_did)>\n?(.*?)\n?</\1>", re.S)
_PEOPLE = re.compile(r"<people>\n?(.*?)</people>", re.S)


def request_parts(body: dict[str, Any]) -> dict[str, Any] | None:
    """The stage and tagged parts of a request of this mode (None for any other request), for
    scripted test servers. The stage is read from the schema name, else from the prompt."""
    rf = body.get("response_format") or {}
    name = str(((rf.get("json_schema") or {}) if isinstance(rf, dict) else {}).get("name") or "")
    messages = body.get("messages") or []
    first = str(messages[0].get("content", "")) if messages else ""
    stage = name[4:] if name.startswith("sim_") else None
    if stage is None:
        return None
    parts: dict[str, Any] = {"stage": stage, "feedback": len(messages) > 1}
    for tag, text in _TAGS.findall(first):
        parts[tag] = text
    people = _PEOPLE.search(first)
    parts["people"] = [line[2:].split(":", 1)[0] for line in people.group(1).splitlines()
                       if line.startswith("- ")] if people else []
    parts["prompt"] = "\n".join(str(m.get("content", "")) for m in messages)
    return parts

