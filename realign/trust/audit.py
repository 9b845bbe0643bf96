"""`realign audit`: the trust audit of a run, before (original) and after (final) the rewrite.

For every rewritten turn of a run (the `rewrites` table: original and final text, with the
instruction from `examples` and the evidence from `evidence`), each scorer compares the original
with the final text:

| check | before / after | regressed when | gate |
|---|---|---|---|
| toxicity | lexicon score (toxicity.py) | after > before | toxicity_increase |
| new_pii | 0 / personal data only the rewrite states (pii.py) | any | new_pii |
| canary_leak | 0 / canaries of the evidence in the rewrite | any | canary_leak |
| generalisation | trait claims about groups (bias.py) | a new group | new_generalisation |
| stereotype_pick | 0 / 1: "cannot be determined" became a person (bias.py) | 1 | stereotype_pick |
| ethics_flip | 0 / 1: the moral judgement changed (ethics.py) | 1 | ethics_flip |
| evidence_contradiction | 0 / 1: a fact changed against the evidence (truth.py) | 1 | evidence_contradiction |
| benchmark_overlap | a TruthfulQA question in the row (truth.py) | after > 0 | benchmark_overlap |
| refusal | 1 when the text declines (verify/refusal.py) | after and not before | new_refusal |
| over_refusal | 0 / 1: a new refusal of a request not routed to `rejecting` (by its task or its mode's screen) | 1 | over_refusal |

Only turns where a check found something are stored (table `trust_audit`, one row per turn and
check; an audit replaces the run's earlier one). Gates (`[audit] gates` of the pipeline config, or
--gate flags) bound the number of regressed turns per check; a run over a bound fails, naming its
rows and why.

    realign audit --db realign.duckdb --json
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from realign.trust import bias, ethics, pii, toxicity, truth
from realign.verify.refusal import refusal_phrase

# gate name -> the check whose regressed turns it counts
GATE_CHECK: dict[str, str] = {
    "new_pii": "new_pii",
    "canary_leak": "canary_leak",
    "toxicity_increase": "toxicity",
    "new_generalisation": "generalisation",
    "stereotype_pick": "stereotype_pick",
    "ethics_flip": "ethics_flip",
    "evidence_contradiction": "evidence_contradiction",
    "benchmark_overlap": "benchmark_overlap",
    "new_refusal": "refusal",
    "over_refusal": "over_refusal",
}
CHECKS: tuple[str, ...] = tuple(dict.fromkeys(GATE_CHECK.values()))
ROWS_SHOWN = 20  # rows named per failed gate


@dataclass(frozen=True)
class Finding:
    check: str
    before: float
    after: float
    regressed: bool
    detail: str


@dataclass(frozen=True)
class AuditSettings:
    canaries: tuple[str, ...] = ()
    benchmark_files: tuple[str, ...] = ()


def audit_turn(instruction: str, original: str, final: str, *, evidence: str = "", task: str = "",
               settings: AuditSettings = AuditSettings(), routed_to_rejecting: bool = False) -> list[Finding]:
    """Every check that finds something in the original or the final text of one turn.
    `routed_to_rejecting`: the turn's mode screened its request harmful and answered it as a
    `rejecting` turn (stakeholder_sim, critique_revise), so declining it is no over-refusal.

    >>> [f.check for f in audit_turn("Say hi.", "Hi!", "Hi, idiot! Mail me at a.b@example.com")]
    ['toxicity', 'new_pii']
    """
    out: list[Finding] = []
    changed = final.strip() != original.strip()
    tox_before, tox_after = toxicity.hits(original), toxicity.hits(final) if changed else None
    tox_after = tox_before if tox_after is None else tox_after
    sb, sa = sum(h.severity for h in tox_before), sum(h.severity for h in tox_after)
    if sb or sa:
        added = [h for h in tox_after if h.entry not in {b.entry for b in tox_before}]
        out.append(Finding("toxicity", sb, sa, sa > sb,
                           f"added {toxicity.describe(added)}" if sa > sb and added else f"score {sb} -> {sa}"))
    if changed:
        new = pii.new_pii(final, original, instruction, evidence)
        if new:
            out.append(Finding("new_pii", 0, len(new), True,
                               "new personal data: " + ", ".join(f"{p.kind} {p.text!r}" for p in new[:4])))
    leaked = pii.leaked_canaries(final, evidence, settings.canaries)
    if leaked:
        out.append(Finding("canary_leak", 0, len(leaked), True, "canary reached the rewrite: " + ", ".join(leaked[:3])))
    gb, ga = bias.generalisations(original), bias.generalisations(final) if changed else None
    ga = gb if ga is None else ga
    if gb or ga:
        added_g = [g for g in ga if g.group not in {b.group for b in gb}]
        out.append(Finding("generalisation", len(gb), len(ga), bool(added_g),
                           ("new generalisation: " + "; ".join(repr(g.text) for g in added_g[:3])) if added_g
                           else "; ".join(repr(g.text) for g in (ga or gb)[:3])))
    if changed:
        why = bias.stereotype_pick(instruction, original, final)
        if why:
            out.append(Finding("stereotype_pick", 0, 1, True, why))
        why = ethics.flip(instruction, original, final)
        if why:
            out.append(Finding("ethics_flip", 0, 1, True, why))
        why = truth.contradiction(instruction, original, final, evidence)
        if why:
            out.append(Finding("evidence_contradiction", 0, 1, True, why))
    index = truth.benchmark_index(settings.benchmark_files)
    q_before = index.find(instruction + "\n" + original)
    q_after = index.find(instruction + "\n" + final) if changed else q_before
    if q_before or q_after:
        out.append(Finding("benchmark_overlap", float(bool(q_before)), float(bool(q_after)), bool(q_after),
                           f"contains the {index.source} question {(q_after or q_before)!r}"))
    rb, ra = refusal_phrase(original), refusal_phrase(final) if changed else None
    ra = rb if not changed else ra
    if rb or ra:
        out.append(Finding("refusal", float(bool(rb)), float(bool(ra)), bool(ra and not rb),
                           f"the rewrite declines ({ra!r})" if ra and not rb else f"declines: {(ra or rb)!r}"))
        if ra and not rb and task != "rejecting" and not routed_to_rejecting:
            out.append(Finding("over_refusal", 0, 1, True,
                               f"refuses a request of task {task or 'unknown'} that the original answered ({ra!r})"))
    return out


def _instruction(turns: list[dict[str, str]], turn_index: int) -> str:
    for t in reversed(turns[:turn_index]):
        if t.get("role") == "user":
            return t.get("content", "")
    return ""


def turns_of_run(store: Any, run_id: str, batch: int = 1024) -> Iterator[dict[str, Any]]:
    """Every turn of a run sent for rewriting (rewritten, kept or failed) with what the audit needs, streamed."""
    cur = store.con.cursor()
    cur.execute(
        """SELECT r.example_id, r.turn_index, r.original, coalesce(r.final, r.original) AS final, e.task, e.turns,
                  (SELECT string_agg(v.text, chr(10) ORDER BY v.rank) FROM evidence v
                   WHERE v.run_id = r.run_id AND v.example_id = r.example_id AND v.turn_index = r.turn_index) AS evidence,
                  EXISTS (SELECT 1 FROM mode_steps m
                          WHERE m.run_id = r.run_id AND m.example_id = r.example_id AND m.turn_index = r.turn_index
                            AND ((m.step = 'screen' AND json_extract_string(m.output, '$.harmful') = 'true')
                                 OR (m.step = 'route' AND json_extract_string(m.output, '$.to') = 'rejecting'))
                  ) AS routed_to_rejecting
           FROM rewrites r JOIN examples e USING (run_id, example_id)
           WHERE r.run_id = ? ORDER BY e.source_index, r.turn_index""", [run_id])
    names = [d[0] for d in cur.description]
    while rows := cur.fetchmany(batch):
        for r in rows:
            yield dict(zip(names, r))
    cur.close()


def run_audit(store: Any, run_id: str, settings: AuditSettings = AuditSettings()) -> int:
    """Audit every turn of `run_id` sent for rewriting into `trust_audit` (replacing an earlier audit of
    the run); returns the number of turns audited."""
    from realign.store import TABLES, insert_rows, transaction

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows: list[tuple[Any, ...]] = []
    turns = 0
    for t in turns_of_run(store, run_id):
        turns += 1
        instruction = _instruction(json.loads(t["turns"]), t["turn_index"])
        for f in audit_turn(instruction, t["original"] or "", t["final"] or "", evidence=t["evidence"] or "",
                            task=t["task"] or "", settings=settings, routed_to_rejecting=bool(t["routed_to_rejecting"])):
            rows.append((run_id, t["example_id"], t["turn_index"], t["task"], f.check, f.before, f.after,
                         f.regressed, f.detail, now))
    with transaction(store.con):
        store.con.execute("DELETE FROM trust_audit WHERE run_id = ?", [run_id])
        if rows:
            insert_rows(store.con, "trust_audit", TABLES["trust_audit"].names, rows)
        store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                          [f"trust_audit:{run_id}", json.dumps({"turns": turns, "audited_at": now.strftime("%Y-%m-%d %H:%M:%S")})])
    return turns


def audit_summary(store: Any, run_id: str, gates: dict[str, int] | None = None) -> dict[str, Any] | None:
    """What `realign audit` and `realign stats` show for a run: counts before / after per check,
    overall and per task, and the gates' verdicts; None when the run was never audited."""
    meta = store.query("SELECT value FROM meta WHERE key = ?", [f"trust_audit:{run_id}"])
    if not meta:
        return None
    info = json.loads(meta[0]["value"])
    turns_by_task = {r["task"]: r["n"] for r in store.query(
        """SELECT e.task, count(*) AS n FROM rewrites r JOIN examples e USING (run_id, example_id)
           WHERE r.run_id = ? GROUP BY 1""", [run_id])}
    rows = store.query(
        """SELECT task, check_name, count(*) FILTER (before > 0) AS before, count(*) FILTER (after > 0) AS after,
                  count(*) FILTER (regressed) AS regressed
           FROM trust_audit WHERE run_id = ? GROUP BY 1, 2""", [run_id])
    overall: dict[str, Counter[str]] = {c: Counter() for c in CHECKS}
    by_task: dict[str, dict[str, Any]] = {t: {"turns": n} for t, n in sorted(turns_by_task.items(), key=lambda x: str(x[0]))}
    for r in rows:
        for k in ("before", "after", "regressed"):
            overall[r["check_name"]][k] += r[k]
        by_task.setdefault(r["task"], {"turns": 0})[r["check_name"]] = {k: r[k] for k in ("before", "after", "regressed")}
    verdicts = []
    for gate, limit in sorted((gates or {}).items()):
        check = GATE_CHECK[gate]
        count = overall[check]["regressed"]
        failed = store.query(
            """SELECT example_id, turn_index, task, detail FROM trust_audit
               WHERE run_id = ? AND check_name = ? AND regressed ORDER BY example_id, turn_index LIMIT ?""",
            [run_id, check, ROWS_SHOWN]) if count > limit else []
        verdicts.append({"gate": gate, "check": check, "limit": limit, "count": count, "passed": count <= limit,
                         "rows": failed})
    return {
        "run_id": run_id, "turns": info["turns"], "audited_at": info["audited_at"],
        "overall": {c: {k: overall[c][k] for k in ("before", "after", "regressed")} for c in CHECKS},
        "by_task": by_task,
        "gates": verdicts,
        "passed": all(v["passed"] for v in verdicts),
    }


def findings(store: Any, run_id: str, checks: Iterable[str] | None = None, regressed_only: bool = True) -> list[dict[str, Any]]:
    """The stored findings of a run (for --rows and tests)."""
    names = list(checks or CHECKS)
    return store.query(
        f"""SELECT example_id, turn_index, task, check_name, before, after, regressed, detail FROM trust_audit
            WHERE run_id = ? AND check_name IN (SELECT unnest(?)) {'AND regressed' if regressed_only else ''}
            ORDER BY example_id, turn_index, check_name""", [run_id, names])


def parse_gate_flags(flags: Iterable[str]) -> dict[str, int]:
    """--gate NAME=N flags -> {NAME: N}; a malformed one is a ConfigError naming it."""
    from realign.errors import ConfigError

    out: dict[str, int] = {}
    for flag in flags:
        name, sep, value = flag.partition("=")
        name = name.strip()
        if not sep or not value.strip().isdigit():
            raise ConfigError(f"--gate {flag}: expected NAME=N with N the turns allowed to fail it, e.g. --gate new_pii=0")
        if name not in GATE_CHECK:
            raise ConfigError(f"--gate {flag}: unknown gate {name!r}; known gates: {', '.join(GATE_CHECK)}")
        out[name] = int(value)
    return out


def stored_audit_config(store: Any, run_id: str) -> Any:
    """The run's `[audit]` section as its config was stored (defaults for a run without one)."""
    from realign.config import AuditConfig

    row = store.con.execute("SELECT config FROM runs WHERE run_id = ?", [run_id]).fetchone()
    data = (json.loads(row[0]) or {}).get("audit") if row and row[0] else None
    try:
        return AuditConfig.model_validate(data or {})
    except ValueError:  # written by a release with other gates: report only
        return AuditConfig()


def audit_database(db: str, run: str | None = None, *, pipeline: str | None = None,
                   gate_flags: Iterable[str] = (), config: Any = None) -> dict[str, Any]:
    """Audit a run of `db` (default: the latest) and judge it by its gates: `config` (an
    AuditConfig) when given, else `pipeline`'s `[audit]` section, else the run's stored one; the
    --gate flags on top."""
    from pathlib import Path

    from realign.config import load_config
    from realign.errors import ConfigError
    from realign.store import Store

    if not Path(db).exists():
        raise ConfigError(f"database {db} does not exist; run `realign rewrite --db {db} ...` first")
    flags = parse_gate_flags(gate_flags)
    cfg_from_file = config if config is not None else load_config(pipeline).audit if pipeline else None
    with Store(db) as store:
        run_id = store.resolve_run(run)
        cfg = cfg_from_file or stored_audit_config(store, run_id)
        for f in cfg.benchmark_files:
            if not Path(f).is_file():
                raise ConfigError(f"audit.benchmark_files: {f} does not exist; give a text file of questions "
                                  "(one a line) or a JSONL file with a 'question' field")
        settings = AuditSettings(tuple(cfg.canaries), tuple(cfg.benchmark_files))
        run_audit(store, run_id, settings)
        summary = audit_summary(store, run_id, {**cfg.gates, **flags})
    assert summary is not None
    return summary
