"""The `realign` command line: parses arguments, calls the library, prints. No logic of its own."""

from __future__ import annotations

import functools
import gc
import json
import sys
from typing import Any, Callable, Optional

import typer

from realign.errors import ConfigError, Interrupted, RealignError

app = typer.Typer(
    name="realign",
    help="Rewrite instruction-tuning responses against per-task criteria, verified and stored in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a RealignError into one line on stderr and exit code 2, and a stopped run into its one
    line and exit code (130 SIGINT, 143 SIGTERM, 3 --max-cost), with no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RealignError as e:
            print(f"error: {e}", file=sys.stderr)
            raise typer.Exit(2) from None
        except Interrupted as e:  # stopped by a signal, everything received stored
            if kwargs.get("as_json"):  # stdout stays machine readable: the summary so far
                _print_json(e.summary)
                sys.stdout.flush()
            print(str(e), file=sys.stderr, flush=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:  # Ctrl-C before a run started (or in a command without one)
            print("interrupted", file=sys.stderr)
            raise typer.Exit(130) from None

    return wrapper


# --- commands -------------------------------------------------------------------------------
# Each command is a thin wrapper: parse options, call one library function, print the result.

STRUCTURED_HELP = ("How JSON answers are requested: auto (learn what the server takes), json_schema, "
                   "json_object (with the schema, as llama.cpp), vllm (guided decoding fields) or off (prompt only).")
DB_OPTION = typer.Option("realign.duckdb", "--db", help="DuckDB file holding runs, results and the request cache.")
API_KEY_OPTION = typer.Option(None, "--api-key", help="API key: @FILE (its first line) or env:NAME; default OPENAI_API_KEY. Never stored or printed.", show_default=False)


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None, default=str))


@app.command()
@user_errors
def rewrite(
    input_path: str = typer.Option(..., "--in", help="Input: .jsonl/.json (optionally .gz / .zst), .parquet, a datasets save_to_disk folder, or hf:NAME[:CONFIG][:SPLIT]."),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", "-p", help="Pipeline config: a TOML path or a name in pipelines/ (alpaca, gsm8k, dfar, harmful)."),
    model: Optional[str] = typer.Option(None, "--model", help="Served model name (env REALIGN_MODEL)."),
    base_url: Optional[list[str]] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env OPENAI_BASE_URL); repeat it for several servers of the same model, balanced by requests outstanding."),
    api_key: Optional[str] = API_KEY_OPTION,
    db: str = DB_OPTION,
    concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Requests in flight per endpoint (default 64)."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", min=1, help="Answer length limit per request (default 2048)."),
    max_prompt_chars: Optional[int] = typer.Option(None, "--max-prompt-chars", min=1, help="Keep turns whose prompt holds more characters than this as they are (reason too_long), without a request; default: send every prompt (the server refuses one longer than its context, and that turn is kept the same way)."),
    max_prompt_tokens: Optional[int] = typer.Option(None, "--max-prompt-tokens", min=1, help="The same in tokens, counted by the server (vLLM's or llama.cpp llama-server's /tokenize, chat template included); a server without /tokenize gets it as characters, with a notice."),
    temperature: Optional[float] = typer.Option(None, "--temperature", min=0.0, help="Sampling temperature (default 0.2)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.001, help="Seconds per request before it is retried (default 120)."),
    structured_output: Optional[str] = typer.Option(None, "--structured-output", help=STRUCTURED_HELP),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N input rows."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Force the input shape: alpaca, sharegpt, messages, dolly, gsm8k, prompt_completion (TRL)."),
    instruction_field: Optional[str] = typer.Option(None, "--instruction-field", help="Input column holding the instruction (read as alpaca's instruction)."),
    input_field: Optional[str] = typer.Option(None, "--input-field", help="Input column holding extra input (alpaca's input)."),
    response_field: Optional[str] = typer.Option(None, "--response-field", help="Input column holding the response to rewrite (alpaca's output)."),
    id_field: Optional[str] = typer.Option(None, "--id-field", help="Input column holding the row id (default: id, idx, uid ...)."),
    turns: Optional[str] = typer.Option(None, "--turns", help="Assistant turns to rewrite: all (default) or last."),
    n: Optional[int] = typer.Option(None, "--n", help="Candidates per request; the first that passes verification wins."),
    task: Optional[str] = typer.Option(None, "--task", help="Skip classification: treat every row as this task type."),
    mode: Optional[str] = typer.Option(None, "--mode", help="How turns get their candidates: rewrite (default), label_reason (label + supporting reason, for label / option answers), critique_revise (rewrite, then bounded critique and revision) or stakeholder_sim (requests screened harmful: a budgeted stakeholder simulation, then a revised answer; others: rewrite); the pipeline's \\[modes] entries per task or contract kind still win."),
    classifier: Optional[str] = typer.Option(None, "--classifier", help="auto, embedded, llm or cascade."),
    retrieval: Optional[str] = typer.Option(None, "--retrieval", help="Evidence source: none, local, serper, brave."),
    index_dir: Optional[str] = typer.Option(None, "--index", help="Local index folder for --retrieval local."),
    price_in: Optional[float] = typer.Option(None, "--price-in", min=0, help="US$ per million prompt tokens, for models without a built-in price."),
    price_out: Optional[float] = typer.Option(None, "--price-out", min=0, help="US$ per million completion tokens."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="Keep the run under this many US$: requests wait while those in flight could pass it, then the run stops cleanly (rerun with a higher limit to go on); needs a price."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad input row (exit 2) instead of quarantining it."),
    backend: Optional[str] = typer.Option(None, "--backend", help="http (answers at once, default), batch (OpenAI Batch API files at --base-url, in rounds; resumable) or vllm (in-process vLLM on this GPU box, --model PATH; pip install 'realign\\[vllm]')."),
    # one name per option: a secondary name ("--batch-submit/--batch-files-only") widens rich's name
    # column for every option and cut the long names to "--structured-o…" on an 80-column terminal
    batch_files_only: bool = typer.Option(False, "--batch-files-only", help="--backend batch: only write the request files (for `vllm run-batch`) and stop, instead of submitting them to the Batch API at --base-url."),
    batch_submit: bool = typer.Option(False, "--batch-submit", hidden=True),  # the default; kept for old commands
    engine: str = typer.Option("local", "--engine", help="local (one process) or ray (Ray Data; pip install 'realign\\[ray]')."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="--engine ray: the cluster to join (default: start a local Ray)."),
    shards: Optional[str] = typer.Option(None, "--shards", help="--engine ray: folder every node sees for result shards and the request journal (default: DB.shards)."),
    workers: int = typer.Option(2, "--workers", min=1, help="--engine ray: LLM actors, each with --concurrency requests in flight per endpoint."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Run the offline stages and print what would be sent; no model needed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
) -> None:
    """Classify, rewrite, verify and store every row of INPUT. Rerunning the same command resumes."""
    from realign.config import api_key_from_flag
    from realign.runner import run_rewrite

    if mode is not None:
        from realign.modes import MODES

        if mode not in MODES:
            raise ConfigError(f"--mode {mode!r}: unknown mode; choose one of {', '.join(MODES)}")
    overrides = {
        "input": {"format": fmt, "id_field": id_field, "field_map": {k: v for k, v in (
            ("instruction", instruction_field), ("input", input_field), ("output", response_field)) if v} or None},
        "model": {"model": model, "base_url": base_url or None, "concurrency": concurrency, "timeout_s": timeout,
                  "api_key": api_key_from_flag(api_key), "prompt_price": price_in, "completion_price": price_out,
                  "max_cost": max_cost, "structured_output": structured_output, "backend": backend,
                  "max_prompt_chars": max_prompt_chars, "max_prompt_tokens": max_prompt_tokens,
                  "batch_submit": False if batch_files_only else (True if batch_submit else None)},
        "sampling": {"n": n, "max_tokens": max_tokens, "temperature": temperature},
        "rewrite": {"turns": turns},
        "tasks": {"force_task": task},
        "classify": {"kind": classifier},
        "retrieval": {"kind": retrieval, "index_dir": index_dir},
        "modes": {"default": mode},
    }
    summary = run_rewrite(input_path, pipeline=pipeline, overrides=overrides, db=db, limit=limit,
                          strict=strict, dry_run=dry_run, progress=not quiet and not dry_run, engine=engine,
                          ray={"address": ray_address, "shards": shards, "workers": workers})
    if as_json:
        _print_json(summary)
    else:
        from realign.report import print_audit, print_rewrite_summary

        print_rewrite_summary(summary)
        if summary.get("audit"):
            print_audit(summary["audit"])
    if summary.get("rows") and summary.get("quarantined") == summary["rows"]:
        # Nothing could be read: a wrong file, format or field mapping, not a finished corpus.
        first = summary.get("first_quarantined") or {}
        fix = (f"{summary['format_from']} (or remove it to detect the shape) / --*-field" if summary.get("format_from")
               else "--*-field (or force the shape with --format)")
        print(f"error: {input_path}: all {summary['rows']:,} rows were quarantined, nothing was rewritten; the first, "
              f"line {first.get('line')} (field {first.get('field') or '-'}): {first.get('reason')}. Fix the input or "
              f"{fix} and rerun; `realign stats` lists every reason", file=sys.stderr)
        raise typer.Exit(2)
    if summary.get("audit") and not summary["audit"]["passed"]:
        from realign.report import print_gate_failures

        print_gate_failures(summary["audit"])
        raise typer.Exit(1)


@app.command()
@user_errors
def audit(
    db: str = DB_OPTION,
    run: Optional[str] = typer.Option(None, "--run", help="Run id (a unique prefix is enough); default: the latest run."),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", "-p", help="Take the \\[audit] gates from this pipeline config instead of the run's own."),
    gate: list[str] = typer.Option([], "--gate", help="A release gate NAME=N (at most N turns may fail it), e.g. --gate new_pii=0; repeatable."),
    as_json: bool = typer.Option(False, "--json", help="Print the audit as JSON on stdout."),
) -> None:
    """Trust audit of a run, original vs final per turn: toxicity, bias, ethics flips, evidence
    contradictions, benchmark overlap, new personal data, canaries, refusals. Exit 1 when a gate fails."""
    from realign.trust.audit import audit_database

    summary = audit_database(db, run, pipeline=pipeline, gate_flags=gate)
    if as_json:
        _print_json(summary)
    else:
        from realign.report import print_audit

        print_audit(summary)
    if not summary["passed"]:
        from realign.report import print_gate_failures

        print_gate_failures(summary)
        raise typer.Exit(1)


@app.command("import")
@user_errors
def import_(
    shards: str = typer.Option(..., "--shards", help="Folder of a Ray run's shards (DB.shards, or what --shards named)."),
    db: str = DB_OPTION,
    run: Optional[str] = typer.Option(None, "--run", help="Only this run (a prefix is enough)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Load the result shards and request journal of a Ray run into the DuckDB store (idempotent)."""
    from realign.engines.raydata import import_run

    summary = import_run(db, shards, run)
    if as_json:
        _print_json(summary)
    else:
        for r in summary["imported"]:
            print(f"run {r['run_id']}: {r['rows']} rows, {r['calls']} requests, {r['quarantined']} quarantined")


@app.command()
@user_errors
def stats(
    db: str = DB_OPTION,
    run: Optional[str] = typer.Option(None, "--run", help="Run id (a unique prefix is enough); default: every run, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
    quarantined: bool = typer.Option(False, "--quarantined", help="List every quarantined row (default: the first 20)."),
) -> None:
    """Rows by status and task, acceptance per task, rejection reasons, length ratios, tokens, per run."""
    from realign.store import Store, run_stats

    with Store(db, read_only=True) as store:
        ids = [store.resolve_run(run)] if run else [r["run_id"] for r in store.query(
            "SELECT run_id FROM runs ORDER BY started_at DESC")]
        if not ids:
            raise RealignError(f"database {db} holds no run yet; run `realign rewrite` first")
        data = [run_stats(store, rid, **({"quarantine_limit": None} if quarantined else {})) for rid in ids]
    if as_json:
        _print_json(data if not run else data[0])
    else:
        from realign.report import print_stats

        for d in data:
            print_stats(d)


@app.command()
@user_errors
def report(
    out: str = typer.Option(..., "--out", help="HTML file to write, e.g. report.html (opens offline: plotly.js is inside)."),
    db: str = DB_OPTION,
    run: Optional[str] = typer.Option(None, "--run", help="Run id (a unique prefix is enough); default: the latest run."),
    sample: int = typer.Option(600, "--sample", min=0, help="Turns shown side by side (taken from every task, outcome and contract kind); the charts count every row."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """One self-contained HTML page of a run: charts of tasks, contracts, rejections, lengths, tokens and evaluations, and a filterable side-by-side sample."""
    from realign.html_report import write_report

    summary = write_report(db, out, run=run, sample=sample)
    if as_json:
        _print_json(summary)
    else:
        print(f"wrote the report of run {summary['run_id']} to {out} ({summary['bytes'] / 2**20:.1f} MiB, "
              f"{len(summary['charts'])} charts, {summary['sampled_turns']} sampled turns)")


@app.command()
@user_errors
def export(
    out: str = typer.Option(..., "--out", help="Output file (a new folder for --format hf); JSONL, or Parquet when the name ends in .parquet."),
    fmt: str = typer.Option("alpaca", "--format", help="alpaca, sharegpt, messages, jsonl or parquet (with provenance: original and final side by side, checks), hf (the parquet records as a datasets save_to_disk folder), dpo (prompt / chosen = rewrite / rejected = original, rewritten turns only), dfar_label / dfar_reason (DFAR's training sets: the label only; label + the reason label_reason wrote, accepted rows only)."),
    db: str = DB_OPTION,
    run: Optional[str] = typer.Option(None, "--run", help="Run id (a unique prefix is enough); default: the latest run."),
    only_rewritten: bool = typer.Option(False, "--only-rewritten", help="Leave out rows whose response was not rewritten."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Write a run's corpus for SFT trainers: final responses, originals kept where a rewrite was rejected."""
    from realign.exporting import export_run

    summary = export_run(db, out, fmt, run=run, only_rewritten=only_rewritten)
    for w in summary["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    if as_json:
        _print_json(summary)
    else:
        print(f"wrote {summary['rows']} row{'' if summary['rows'] == 1 else 's'} of run {summary['run_id']} "
              f"to {out} ({fmt})")


@app.command()
@user_errors
def show(
    example_id: str = typer.Argument(..., help="Example id (a unique prefix is enough; `export --format jsonl` writes the ids), or FILE:LINE (FILE row N in a JSON array or Parquet file) of a quarantined row, as `stats` lists it."),
    db: str = DB_OPTION,
    run: Optional[str] = typer.Option(None, "--run", help="Run id; default: the latest run."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """One row's full story: original, task, evidence, prompt sent, raw answers, checks, final response."""
    from realign.store import Store, row_story

    with Store(db, read_only=True) as store:
        story = row_story(store, example_id, store.resolve_run(run))
    if as_json:
        _print_json(story)
    else:
        from realign.report import print_story

        print_story(story)


@app.command()
@user_errors
def verify(
    input_path: str = typer.Option(..., "--in", help="JSONL or JSON array: instruction, original response and candidate rewrite per row, or realign's own `export --format jsonl` (one verdict per rewritten turn)."),
    task: Optional[str] = typer.Option(None, "--task", help="Task type of every row (its criteria name the checks); default: the row's task field, else inferred."),
    checks: Optional[str] = typer.Option(None, "--checks", help="Comma-separated checks to run instead (length, leak, math_answer, ...)."),
    instruction_field: str = typer.Option("instruction", "--instruction-field"),
    response_field: str = typer.Option("response", "--response-field", help="Field holding the original response."),
    rewrite_field: str = typer.Option("rewrite", "--rewrite-field", help="Field holding the candidate rewrite."),
    task_field: str = typer.Option("task", "--task-field"),
    out: Optional[str] = typer.Option(None, "--out", help="Write the verdicts (JSONL) here instead of stdout."),
    as_json: bool = typer.Option(False, "--json", help="Print only the summary, as JSON, on stdout."),
) -> None:
    """Audit an already rewritten data set: one verdict per row with every check's outcome, and a summary."""
    from realign.verify.audit import audit_file, summarize

    records = audit_file(input_path, task=task, instruction_field=instruction_field, response_field=response_field,
                         rewrite_field=rewrite_field, task_field=task_field,
                         checks=[c.strip() for c in checks.split(",") if c.strip()] if checks else None)
    first_error: list[str] = []

    # json.dumps(r, ensure_ascii=False), built once; a record is a fresh tree of dicts and lists that
    # cannot hold itself, so the encoder skips its cycle bookkeeping (8% of its cost on a verdict)
    line = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

    def tee() -> Any:
        sink = open(out, "w", encoding="utf-8") if out else (None if as_json else sys.stdout)
        try:
            for r in records:
                if "error" in r and not first_error:
                    first_error.append(r["error"])
                if sink is not None:
                    sink.write(line(r) + "\n")
                yield r
        finally:
            if out and sink is not None:
                sink.close()

    # A verify run allocates many short-lived containers and keeps few: the start-up's objects are
    # moved out of the collector's sight and it runs every 50,000 allocations instead of 700,
    # about 5-8% of the CPU time of a run on real GSM8K solutions
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000)
    try:
        summary = summarize(tee())
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    if summary["rows"] and summary["errors"] == summary["rows"]:
        from realign.errors import InputError

        raise InputError(
            f"none of the {summary['rows']} rows of {input_path} could be checked; the first: {first_error[0]}. "
            "Name the fields with --instruction-field, --response-field (the original; 'output' in Alpaca files) "
            "and --rewrite-field (the candidate); an alpaca / sharegpt / messages export holds no original to check "
            "against: `realign export --format jsonl` writes the rows verify reads as they are")
    if as_json:
        _print_json(summary)
    else:
        # an export is checked by rewritten turn: its counts are of turns, its rows said apart
        unit = "turns" if summary["turns"] else "rows"
        print(f"{summary['rows']} rows" + (f", {summary['turns']} rewritten turns" if summary["turns"] else "")
              + f": {summary['passed']} passed, {summary['failed']} failed, "
              f"{summary['errors']} unreadable, {summary['repaired']} repaired"
              + (f", {summary['skipped']} row{'' if summary['skipped'] == 1 else 's'} without a rewritten turn"
                 if summary["skipped"] else ""), file=sys.stderr)
        for kind, c in summary["by_contract"].items():
            print(f"  answer contract {kind}: {c['rows']} {unit}, {c['passed']} passed, {c['failed']} failed",
                  file=sys.stderr)
        for reason, count in list(summary["failed_by_reason"].items())[:10] if isinstance(summary["failed_by_reason"], dict) else []:
            print(f"  {count:>6}  {reason}", file=sys.stderr)


@app.command()
@user_errors
def classify(
    input_path: str = typer.Option(..., "--in", help="Any input `rewrite` reads, or a JSON array / JSONL of {instruction, category}."),
    gold_field: Optional[str] = typer.Option(None, "--gold-field", help="Field holding the true task name: score the classifier against it."),
    classifier: Optional[str] = typer.Option(None, "--classifier", help="auto (cascade when a model is configured), embedded, llm or cascade."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Cascade: embedded confidence at or above which the LLM is not asked."),
    model: Optional[str] = typer.Option(None, "--model", help="Served model for the LLM / cascade classifier."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint."),
    api_key: Optional[str] = API_KEY_OPTION,
    structured_output: Optional[str] = typer.Option(None, "--structured-output", help=STRUCTURED_HELP),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", "-p", help="Pipeline config (model and classifier settings)."),
    db: str = DB_OPTION,
    out: Optional[str] = typer.Option(None, "--out", help="Write one prediction per row (JSONL) here."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Label a file with task types and print the distribution; with --gold-field, score the classifier."""
    from realign.config import api_key_from_flag
    from realign.runner import run_classify

    overrides = {"classify": {"kind": classifier, "threshold": threshold},
                 "model": {"model": model, "base_url": base_url, "api_key": api_key_from_flag(api_key),
                           "structured_output": structured_output}}
    result = run_classify(input_path, gold_field=gold_field, pipeline=pipeline, overrides=overrides, db=db)
    predictions = result.pop("predictions")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            for p in predictions:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
    if as_json:
        _print_json(result)
    else:
        from realign.report import print_classification

        print_classification(result)


index_app = typer.Typer(help="Local evidence index: build it from a corpus, search it.", no_args_is_help=True)
app.add_typer(index_app, name="index")


@index_app.command("build")
@user_errors
def index_build(
    corpus: list[str] = typer.Option(..., "--corpus", help="JSONL / Parquet documents (id, title, text); repeat for several files."),
    index_dir: str = typer.Option(..., "--index", help="Folder to write the index to."),
    chunk_words: int = typer.Option(100, "--chunk-words", min=10, help="Words per passage."),
    overlap_words: int = typer.Option(20, "--overlap-words", min=0, help="Words shared by neighbouring passages."),
    id_field: str = typer.Option("id", "--id-field"),
    title_field: str = typer.Option("title", "--title-field"),
    text_field: str = typer.Option("text", "--text-field"),
    as_json: bool = typer.Option(False, "--json", help="Print the build report as JSON."),
) -> None:
    """Split documents into passages and build a BM25 index over them. Bad rows are reported and skipped."""
    from realign.retrieve.index import build_index

    shown = 0

    def on_bad_row(bad: Any) -> None:
        nonlocal shown
        if shown < 20:
            print(f"skipped {bad.describe()}", file=sys.stderr)
        shown += 1

    report = build_index(corpus, index_dir, id_field=id_field, title_field=title_field, text_field=text_field,
                         chunk_words=chunk_words, overlap_words=overlap_words, on_bad_row=on_bad_row)
    if as_json:
        print(report.model_dump_json())
    else:
        print(f"indexed {report.docs} documents as {report.passages} passages in {report.seconds:.1f} s "
              f"({report.bytes_on_disk / 2**20:.1f} MiB in {report.index_dir}); {report.bad_row_count} bad rows skipped")


@index_app.command("search")
@user_errors
def index_search(
    query: str = typer.Argument(..., help="What to search for."),
    index_dir: str = typer.Option(..., "--index", help="Index folder built by `realign index build`."),
    k: int = typer.Option(5, "--k", min=1, help="Passages to return."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Print the top passages for QUERY with their ids and scores."""
    from realign.retrieve.index import LocalIndex

    hits = LocalIndex.load(index_dir).search_sync(query, k)
    if as_json:
        _print_json([h.model_dump() for h in hits])
        return
    for h in hits:
        print(f"[{h.rank}] {h.doc_id}  score {h.score:.3f}  {h.title}")
        print(f"    {h.text[:300]}")


prepare_app = typer.Typer(help="Turn a public data set into realign input.", no_args_is_help=True)
app.add_typer(prepare_app, name="prepare")


@prepare_app.command("dfar")
@user_errors
def prepare_dfar(
    data: str = typer.Option(..., "--data", help="Folder holding DFAR_trainset.csv and DFAR_testset.csv (github.com/apurba-nsu-rnd-lab/DFAR, MIT)."),
    out: str = typer.Option(..., "--out", help="Folder to write train.jsonl and test.jsonl (alpaca; label-only answers) to."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """DFAR as alpaca JSONL; test statements that also occur in train are dropped from test."""
    from realign.io.dfar import prepare_dfar as prepare

    summary = prepare(data, out)
    if as_json:
        _print_json(summary)
    else:
        print(f"wrote {summary['train']} train and {summary['test']} test rows to {out} "
              f"({summary['test_removed_as_in_train']} test statements dropped: they occur in train)")


batch_app = typer.Typer(help="Batch API result files: load them into the request cache.", no_args_is_help=True)
app.add_typer(batch_app, name="batch")


@batch_app.command("import")
@user_errors
def batch_import(
    files: list[str] = typer.Argument(..., help="Batch result JSONL files (custom_id = request key), e.g. from `vllm run-batch -o`."),
    db: str = DB_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Load Batch API answers into the cache; the same `rewrite` command then completes from it."""
    from pathlib import Path

    from realign.llm.batch import import_results
    from realign.store import Store

    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise RealignError(f"{missing[0]}: no such file; give the result files of the batch")
    with Store(db) as store:
        summary = import_results(store, [Path(f) for f in files], Path(db + ".batch"))
    summary.pop("usage")  # billed to no run here: the run that sent the files does not know of them
    if as_json:
        _print_json(summary)
    else:
        too_long = f", {summary['too_long']} of them too long for the model" if summary["too_long"] else ""
        print(f"loaded {summary['answers']} answers ({summary['failed']} failed requests{too_long}) into {db}")


eval_app = typer.Typer(help="Evaluate a served model (or an answers file) on a benchmark: GSM8K, BBQ, Winogender; results stored in the DuckDB file.",
                       no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("gsm8k")
@user_errors
def eval_gsm8k(
    model: Optional[str] = typer.Option(None, "--model", help="Served model name (env REALIGN_MODEL)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env OPENAI_BASE_URL)."),
    data: Optional[str] = typer.Option(None, "--data", help="Folder with train.jsonl and test.jsonl (question, answer); default: openai/gsm8k (main) from the Hugging Face hub."),
    split: str = typer.Option("test", "--split", help="Split to evaluate: test or train."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N items of the split."),
    shots: int = typer.Option(5, "--shots", min=0, help="Few-shot exemplars: the first K train items, as chat turns (default 5, as lm-evaluation-harness)."),
    db: str = DB_OPTION,
    compare: Optional[str] = typer.Option(None, "--compare", help="An earlier evaluation id (or unique prefix): accuracy difference, flipped items, McNemar's exact test."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", min=1, help="Requests in flight (default 64)."),
    max_tokens: int = typer.Option(512, "--max-tokens", min=1, help="Answer length limit; a cut-off answer counts as a failed (wrong) item."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Seconds per request (a model on a CPU needs minutes for a 5-shot answer)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Send every request even if the cache holds its answer (e.g. a new model served under the same name)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines on stderr."),
) -> None:
    """Score a served model on GSM8K (strict and flexible match, as lm-evaluation-harness), with 95% intervals."""
    from realign.evals.gsm8k import format_report, run_gsm8k_eval

    summary = run_gsm8k_eval(model=model, base_url=base_url, data=data, split=split, limit=limit, shots=shots,
                             db=db, compare=compare, concurrency=concurrency, max_tokens=max_tokens,
                             timeout_s=timeout, use_cache=not no_cache, progress=not quiet)
    if as_json:
        _print_json(summary)
    else:
        print(format_report(summary))


ANSWERS_OPTION = typer.Option(None, "--answers", help="Score the answers in this file instead of asking a model: any file `rewrite` reads (e.g. a `realign export` of rows --write-rows wrote), matched by id, else by prompt.")
WRITE_ROWS_OPTION = typer.Option(None, "--write-rows", help="Also write the items with their answers as Alpaca rows (id, instruction, output) for `realign rewrite`.")
COMPARE_OPTION = typer.Option(None, "--compare", help="An earlier evaluation id (or unique prefix) of the same benchmark: accuracy difference (McNemar's exact test) and metric differences with bootstrap intervals.")
NO_CACHE_OPTION = typer.Option(False, "--no-cache", help="Send every request even if the cache holds its answer (e.g. a new model served under the same name).")


@eval_app.command("bbq")
@user_errors
def eval_bbq(
    data: str = typer.Option(..., "--data", help="BBQ data: a folder of <Category>.jsonl files (nyu-mll/BBQ's data/) or one such file."),
    model: Optional[str] = typer.Option(None, "--model", help="Served model name (env REALIGN_MODEL); with --answers, only a label."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env OPENAI_BASE_URL)."),
    answers: Optional[str] = ANSWERS_OPTION,
    write_rows: Optional[str] = WRITE_ROWS_OPTION,
    category: Optional[str] = typer.Option(None, "--category", help="Comma-separated categories (file names or `category` values); default: all."),
    context: Optional[str] = typer.Option(None, "--context", help="Only ambig or disambig items; default: both."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N items of each category file."),
    db: str = DB_OPTION,
    compare: Optional[str] = COMPARE_OPTION,
    concurrency: Optional[int] = typer.Option(None, "--concurrency", min=1, help="Requests in flight (default 64)."),
    max_tokens: int = typer.Option(256, "--max-tokens", min=1, help="Answer length limit (the harness's 256)."),
    harness_only: bool = typer.Option(False, "--harness-only", help="Read answers exactly as lm-evaluation-harness (no whole-answer phrase fallback)."),
    no_cache: bool = NO_CACHE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines on stderr."),
) -> None:
    """Score BBQ as lm-evaluation-harness's bbq_generate: accuracy on ambiguous and disambiguated contexts, bias scores s_DIS and s_AMB."""
    from realign.evals.bbq import format_report, load_items, run_bbq_eval

    cats = [c.strip() for c in category.split(",") if c.strip()] if category else None
    items = load_items(data, categories=cats, condition=context, limit=limit)
    summary = run_bbq_eval(items, data=data, model=model, base_url=base_url, answers=answers, write_rows=write_rows,
                           db=db, compare=compare, concurrency=concurrency, max_tokens=max_tokens,
                           use_cache=not no_cache, progress=not quiet, phrase_fallback=not harness_only,
                           selection={"categories": cats, "context": context, "limit": limit})
    if as_json:
        _print_json(summary)
    else:
        print(format_report(summary))


@eval_app.command("winogender")
@user_errors
def eval_winogender(
    data: str = typer.Option(..., "--data", help="The winogender-schemas data folder (all_sentences.tsv, occupations-stats.tsv)."),
    model: Optional[str] = typer.Option(None, "--model", help="Served model name (env REALIGN_MODEL); with --answers, only a label."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (env OPENAI_BASE_URL)."),
    answers: Optional[str] = ANSWERS_OPTION,
    write_rows: Optional[str] = WRITE_ROWS_OPTION,
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N sentences."),
    db: str = DB_OPTION,
    compare: Optional[str] = COMPARE_OPTION,
    concurrency: Optional[int] = typer.Option(None, "--concurrency", min=1, help="Requests in flight (default 64)."),
    max_tokens: int = typer.Option(32, "--max-tokens", min=1, help="Answer length limit."),
    no_cache: bool = NO_CACHE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines on stderr."),
) -> None:
    """Score Winogender with lm-evaluation-harness's prompt: accuracy by pronoun gender, the male - female gap, the gotcha subset."""
    from realign.evals.winogender import format_report, load_items, run_winogender_eval

    items = load_items(data, limit=limit)
    summary = run_winogender_eval(items, data=data, model=model, base_url=base_url, answers=answers,
                                  write_rows=write_rows, db=db, compare=compare, concurrency=concurrency,
                                  max_tokens=max_tokens, use_cache=not no_cache, progress=not quiet)
    if as_json:
        _print_json(summary)
    else:
        print(format_report(summary))


# ---- end of commands ------------------------------------------------------------------------


def main() -> None:
    app()


if __name__ == "__main__":
    main()
