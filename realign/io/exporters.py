"""Write the final examples in the formats SFT trainers read.

`export_examples` takes ``(example, meta)`` pairs, where the example's turns hold the FINAL
responses and `meta` is the row's provenance from the store (``id``, ``task``, ``status`` and
whatever else the pipeline keeps), and writes one file:

- ``alpaca``: JSONL of ``{id, instruction, input, output[, system][, history]}``, the
  LLaMA-Factory alpaca convention. Rows read from alpaca / dolly / gsm8k keep their own
  instruction and input (dolly's context is the input; gsm8k's question is the instruction).
  Conversations become instruction = last user turn, output = last assistant turn, history =
  the earlier ``[user, assistant]`` pairs and system = the system turns. This is lossy for
  conversations that do not alternate: consecutive same-role turns are joined with a blank line
  and user turns after the last assistant turn are dropped; use ``sharegpt`` or ``messages``
  to keep such conversations exactly.
- ``sharegpt``: JSONL of ``{id, conversations: [{from: system|human|gpt, value}]}``.
- ``messages``: JSONL of ``{id, messages: [{role, content}]}`` (OpenAI chat format).
  A row read in the same shape with its system prompt in a top-level ``system`` key gets it back
  there (``{id, system, conversations}``, LLaMA-Factory's ShareGPT columns); otherwise the system
  prompt is the first turn. As ``.parquet`` both have a ``system`` column, null for the others.
  In the row's own shape each role is written as it was read (``from: user``, ``developer``).
  In both (and in ``jsonl``'s messages) each turn carries its other keys as read (``Turn.extra``:
  ``weight``, ``name``, ...) and a chat row its other keys (``fields["extra"]``, e.g. ``tools``),
  unchanged. Tool calls and tool results come back as read in the row's own shape; in the other
  one as that shape writes them (``function_call`` / ``observation``; an assistant message with
  ``tool_calls`` / a ``tool`` message). The ``alpaca`` export has no place for them and leaves
  them out (its pairs are the user requests and the text answers).
- ``jsonl``: a provenance-rich JSONL: ``id``, ``task``, ``status``, the rest of `meta`,
  ``source_index``, ``format``, ``messages``, ``instruction`` / ``input`` / ``output`` (the alpaca
  view) and ``fields`` (the row's original non-conversation fields).
  With provenance (``original_messages`` and ``turns`` in meta, see `realign.exporting`) each
  record also holds the original turns and every rewritten turn's original, final, status,
  reason and checks side by side.
- ``parquet``: the same record as ``jsonl`` with a fixed schema (`_parquet_schema`): messages,
  original messages and turn stories (with their checks) are struct columns; the remaining meta
  and the fields go in JSON-string columns ``meta`` and ``fields`` (the turns' extra keys in
  ``meta`` as ``message_extras``, one object per message). Written in batches with
  ``pyarrow.parquet.ParquetWriter``, so memory does not grow with the number of rows.
- ``hf``: a Hugging Face ``datasets`` folder (``Dataset.save_to_disk``; ``load_from_disk`` reads
  it) holding the ``parquet`` records: the parquet file is written first, then converted
  memory-mapped, so memory stays flat here too. `out` is the folder.
- ``dpo``: JSONL preference pairs for TRL's DPOTrainer, one per rewritten turn (`dpo_records`):
  ``prompt`` (the conversation before the turn), ``chosen`` (the accepted rewrite), ``rejected``
  (the original).

The record formats (``alpaca``, ``sharegpt``, ``messages``, ``dpo``, ``dfar_*``) are JSONL unless
`out` ends in ``.parquet``: then the same records go into a Parquet file (`_RECORD_SCHEMAS`; a key
a record leaves out is null), which ``datasets`` and pandas load as they are. ``jsonl`` to a
``.parquet`` name is the ``parquet`` export; ``parquet`` to a ``.jsonl`` / ``.json`` name is an
error rather than Parquet bytes under a JSON name.

Every export can be read back with `realign.io.read_examples` and gives the same turns (the
alpaca one only for alternating conversations, see above). The file is written under a
temporary name and renamed at the end, so a crash never leaves a half-written export behind.

Example:
    >>> export_examples(rows, "out/train.jsonl", "sharegpt")  # doctest: +SKIP
    1000
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterable, TextIO

from realign.errors import ConfigError
from realign.io.readers import BARE_CONTENT_KEY, KEY_ORDER_KEY, OWN_ROLE_NAMES, ROLE_NAMES_KEY, SYSTEM_KEY
from realign.records import TOOL_ROLES, Example, Turn

EXPORT_FORMATS = ("alpaca", "sharegpt", "messages", "parquet", "jsonl", "dpo", "hf", "dfar_label", "dfar_reason")
# Formats that carry each turn's story (original and final side by side, checks): the caller
# puts it in meta as "original_messages" and "turns" (see realign.exporting).
PROVENANCE_FORMATS = ("jsonl", "parquet", "dpo", "hf")
# DFAR's two training sets (label only; label + reason), read from the turn stories too.
DFAR_FORMATS = ("dfar_label", "dfar_reason")

_BATCH_ROWS = 1000  # rows per Parquet record batch
_SHAREGPT_ROLE = OWN_ROLE_NAMES["conversations"]  # tool calls and results as LLaMA-Factory tags them
_MESSAGES_ROLE = OWN_ROLE_NAMES["messages"]
_CONVERSATION_SHAPES = ("sharegpt", "messages", "prompt_completion")  # rows whose fields hold "extra"


def _json_default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # pydantic models (Verdict, ...) in meta
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=_json_default)


def _record_id(ex: Example, meta: dict[str, Any]) -> str:
    value = meta.get("id")
    return ex.id if value is None else str(value)


def _pairs(ex: Example) -> tuple[str, list[list[str]]]:
    """The system text and the [user, assistant] pairs of a conversation (see module doc)."""
    system = "\n\n".join(t.content for t in ex.turns if t.role == "system" and t.content)
    pairs: list[list[str]] = []
    pending: list[str] = []
    for t in ex.turns:
        if t.role == "user":
            pending.append(t.content)
        elif t.role == "assistant":
            if pending or not pairs:
                pairs.append(["\n\n".join(pending), t.content])
                pending = []
            else:
                pairs[-1][1] = f"{pairs[-1][1]}\n\n{t.content}"
    if not pairs:
        pairs.append(["\n\n".join(pending), ""])
    return system, pairs


def _own_instruction(ex: Example) -> tuple[str, str] | None:
    """(instruction, input) from the row's own fields, for rows read from a flat shape."""
    f = ex.fields
    if ex.format in ("alpaca", "dolly") and isinstance(f.get("instruction"), str):
        extra = f.get("input")
        return f["instruction"], extra if isinstance(extra, str) else ""
    if ex.format == "gsm8k" and isinstance(f.get("question"), str):
        return f["question"], ""
    return None


def alpaca_record(ex: Example, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The LLaMA-Factory alpaca record of one example."""
    system, pairs = _pairs(ex)
    own = _own_instruction(ex)
    instruction, extra = own if own is not None else (pairs[-1][0], "")
    record: dict[str, Any] = {
        "id": _record_id(ex, meta or {}),
        "instruction": instruction,
        "input": extra,
        "output": pairs[-1][1],
    }
    if system:
        record["system"] = system
    if len(pairs) > 1:
        record["history"] = pairs[:-1]
    return record


def _with_row_keys(ex: Example, record: dict[str, Any]) -> dict[str, Any]:
    """`record` plus the conversation row's own other keys as read (see readers._conversation);
    the record's keys win a clash."""
    extra = ex.fields.get("extra") if ex.format in _CONVERSATION_SHAPES else None
    if isinstance(extra, dict):
        record.update((k, v) for k, v in extra.items() if k not in record)
    return record


def _own_system(ex: Example, shape: str) -> tuple[dict[str, Any], list[Turn]]:
    """({"system": prompt}, the other turns) when the row was read in `shape` with its system
    prompt in a top-level `system` key, so it goes back there; else ({}, every turn)."""
    turns = ex.turns
    if ex.format == shape and ex.fields.get(SYSTEM_KEY) and turns and turns[0].role == "system":
        return {"system": turns[0].content}, turns[1:]
    return {}, turns


def _role_names(ex: Example, shape: str, names: dict[str, str]) -> list[str]:
    """Each turn's role as `shape` writes it: as read when the row was read in `shape`
    (readers.ROLE_NAMES_KEY: "user" under ShareGPT's `from`, "developer"), else the shape's own."""
    read = ex.fields.get(ROLE_NAMES_KEY) if ex.format == shape else None
    read = read if isinstance(read, dict) else {}
    return [read.get(str(i), names[t.role]) for i, t in enumerate(ex.turns)]


def _call_text(t: Turn) -> str:
    """A tool call without text (OpenAI `tool_calls` / `function_call`) as ShareGPT's function_call
    value: JSON of {name, arguments} (a list for several calls), arguments parsed where they are
    JSON, as LLaMA-Factory writes them; the turn's own text otherwise."""
    if t.role != "tool_call" or t.content.strip():
        return t.content
    calls = [c.get("function", c) for c in (t.extra.get("tool_calls") or [t.extra.get("function_call")])
             if isinstance(c, dict)]
    out = []
    for c in calls:
        if not isinstance(c, dict):
            continue
        args = c.get("arguments")
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                pass
        out.append({"name": c.get("name"), "arguments": args})
    if not out:
        return t.content
    return json.dumps(out[0] if len(out) == 1 else out, ensure_ascii=False)


def _tool_calls(t: Turn) -> list[dict[str, Any]] | None:
    """A call written as JSON text (ShareGPT's function_call value: {name, arguments}, or a list of
    them) as OpenAI `tool_calls`, arguments as a JSON string; None when the text is not such a call."""
    try:
        data = json.loads(t.content)
    except ValueError:
        return None
    calls = data if isinstance(data, list) else [data]
    if not calls or not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in calls):
        return None
    return [{"type": "function", "function": {"name": c["name"], "arguments": c["arguments"] if isinstance(
        c.get("arguments"), str) else json.dumps(c.get("arguments", {}), ensure_ascii=False)}} for c in calls]


def _openai_call(t: Turn, obj: dict[str, Any]) -> dict[str, Any]:
    """`obj`, the message of `t`; for a call written as JSON text (ShareGPT's function_call) an
    OpenAI call instead: the assistant message holding it as `tool_calls`, its content null."""
    if t.role == "tool_call" and not any(k in t.extra for k in ("tool_calls", "function_call")):
        calls = _tool_calls(t)
        if calls is not None:
            return {**obj, "content": None, "tool_calls": calls}
    return obj


def _turn_objects(ex: Example, shape: str, names: dict[str, str], role_key: str,
                  content_key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the top-level system key, if any; the per-turn objects) of `ex` written as `shape`. In the
    row's own shape every turn comes back as read: its role name, its other keys in the order read
    (readers.KEY_ORDER_KEY), and a tool call's null or absent content (readers.BARE_CONTENT_KEY).
    In the other shape a tool call takes that shape's form: ShareGPT's function_call value, or
    OpenAI's `tool_calls` (see `_call_text`, `_openai_call`)."""
    system, turns = _own_system(ex, shape)
    skip = len(ex.turns) - len(turns)
    roles = _role_names(ex, shape, names)[skip:]
    own = ex.format == shape
    bare = ex.fields.get(BARE_CONTENT_KEY) if own else None
    bare = bare if isinstance(bare, dict) else {}
    order = ex.fields.get(KEY_ORDER_KEY) if own else None
    order = order if isinstance(order, dict) else {}
    objects = []
    waiting: list[str] = []  # ids of converted calls whose results have not come yet
    for i, (t, r) in enumerate(zip(turns, roles), skip):
        text = t.content if own or shape != "sharegpt" else _call_text(t)
        obj = t.as_object(role_key, content_key, r)
        obj[content_key] = text
        if not own and shape == "messages":
            obj = _openai_call(t, obj)
            # ShareGPT's calls and observations carry no ids; OpenAI's shape pairs them by id (chat
            # templates such as Mistral's require it): the k-th call of turn i is call_i_k, and each
            # result without an id answers the oldest call still waiting
            for k, call in enumerate(obj.get("tool_calls") or []):
                if isinstance(call, dict) and not call.get("id"):
                    call["id"] = f"call_{i}_{k}"
                    waiting.append(call["id"])
            if t.role == "tool" and "tool_call_id" not in obj and waiting:
                obj["tool_call_id"] = waiting.pop(0)
        how = bare.get(str(i))
        if how == "null" and not text:
            obj[content_key] = None
        elif how == "absent" and not text:
            del obj[content_key]
        elif how == "json" and t.role in TOOL_ROLES:
            obj[content_key] = json.loads(text)
        keys = order.get(str(i))
        if isinstance(keys, list) and set(keys) == set(obj):
            obj = {k: obj[k] for k in keys}
        objects.append(obj)
    return system, objects


def sharegpt_record(ex: Example, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    system, turns = _turn_objects(ex, "sharegpt", _SHAREGPT_ROLE, "from", "value")
    return _with_row_keys(ex, {"id": _record_id(ex, meta or {}), **system, "conversations": turns})


def messages_record(ex: Example, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    system, turns = _turn_objects(ex, "messages", _MESSAGES_ROLE, "role", "content")
    return _with_row_keys(ex, {"id": _record_id(ex, meta or {}), **system, "messages": turns})


def provenance_record(ex: Example, meta: dict[str, Any]) -> dict[str, Any]:
    """The ``jsonl`` export record: meta, turns as messages, alpaca view and original fields."""
    alpaca = alpaca_record(ex, meta)
    record: dict[str, Any] = {"id": _record_id(ex, meta), "task": meta.get("task"), "status": meta.get("status")}
    record.update({k: v for k, v in meta.items() if k not in record})
    record.update(
        {
            "source_index": ex.source_index,
            "format": ex.format,
            "messages": [t.as_object() for t in ex.turns],  # every turn, the system prompt first
            "instruction": alpaca["instruction"],
            "input": alpaca["input"],
            "output": alpaca["output"],
            "fields": ex.fields,
        }
    )
    return record


def dpo_records(ex: Example, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Preference pairs for TRL's DPOTrainer (conversational form), one per rewritten turn:
    prompt = the conversation before the turn (final texts), chosen = the accepted rewrite,
    rejected = the original response. Rows and turns that were not rewritten give none."""
    out = []
    stories = [t for t in meta.get("turns") or [] if t.get("status") == "rewritten"
               and t.get("final") is not None and t.get("final") != t.get("original")]
    for t in stories:
        i = int(t["turn_index"])
        out.append({
            "id": _record_id(ex, meta) + ("" if len(stories) == 1 else f"#{i}"),
            # tool calls and results with their keys (tool_calls, tool_call_id), as OpenAI messages
            "prompt": [_openai_call(x, x.as_object(role=_MESSAGES_ROLE[x.role])) if x.role in TOOL_ROLES
                       else {"role": x.role, "content": x.content} for x in ex.turns[:i]],
            "chosen": [{"role": "assistant", "content": t["final"]}],
            "rejected": [{"role": "assistant", "content": t["original"]}],
            "task": meta.get("task"),
        })
    return out


_JSONL_RECORDS: dict[str, Callable[[Example, dict[str, Any]], dict[str, Any]]] = {
    "alpaca": alpaca_record,
    "sharegpt": sharegpt_record,
    "messages": messages_record,
    "jsonl": provenance_record,
}


def _parquet_schema() -> Any:
    import pyarrow as pa

    global _MESSAGES
    _MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    return pa.schema(
        [
            ("id", pa.string()),
            ("task", pa.string()),
            ("status", pa.string()),
            ("messages", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("instruction", pa.string()),
            ("input", pa.string()),
            ("output", pa.string()),
            ("source_index", pa.int64()),
            ("format", pa.string()),
            ("fields", pa.string()),  # JSON of the row's original non-conversation fields
            ("original_messages", _MESSAGES),  # the turns as read, before any rewrite
            ("turns", pa.list_(pa.struct([  # each rewritten turn's story (see realign.exporting)
                ("turn_index", pa.int32()), ("status", pa.string()), ("reason", pa.string()),
                ("original", pa.string()), ("candidate", pa.string()), ("final", pa.string()),
                ("keep_original", pa.bool_()), ("attempts", pa.int32()), ("length_ratio", pa.float64()),
                ("error", pa.string()),
                ("checks", pa.list_(pa.struct([("name", pa.string()), ("passed", pa.bool_()),
                                               ("reason", pa.string())]))),
            ]))),
            ("meta", pa.string()),  # JSON of the rest of meta (and turn columns not listed above)
        ]
    )


_MESSAGES: Any = None  # set on first use: pyarrow is imported lazily


def _record_schema(fmt: str) -> Any:
    """The Parquet schema of a record format's records (the keys its `*_record` function writes)."""
    import pyarrow as pa

    text = pa.string()
    msgs = pa.list_(pa.struct([("role", text), ("content", text)]))
    # OpenAI's tool calls in their own shape (arguments as JSON text, as the API sends them), so a
    # tool exchange survives the fixed columns; `tools` (the row's function schemas) as JSON text
    call = pa.struct([("id", text), ("type", text), ("function", pa.struct([("name", text), ("arguments", text)]))])
    tool_msgs = pa.list_(pa.struct([("role", text), ("content", text), ("tool_calls", pa.list_(call)),
                                    ("tool_call_id", text)]))
    alpaca = [("id", text), ("instruction", text), ("input", text), ("output", text), ("system", text),
              ("history", pa.list_(pa.list_(text)))]
    fields = {
        "alpaca": alpaca,
        # `system`: null unless the row held its system prompt in a top-level key (see _own_system)
        "sharegpt": [("id", text), ("system", text), ("conversations", pa.list_(pa.struct([("from", text), ("value", text)]))),
                     ("tools", text)],
        "messages": [("id", text), ("system", text), ("messages", tool_msgs), ("tools", text)],
        "dpo": [("id", text), ("prompt", msgs), ("chosen", msgs), ("rejected", msgs), ("task", text)],
        "dfar_label": [*alpaca, ("label", text)],
        "dfar_reason": [*alpaca, ("label", text)],
    }[fmt]
    return pa.schema(fields)
_TURN_FIELDS = ("turn_index", "status", "reason", "original", "candidate", "final", "keep_original",
                "attempts", "length_ratio", "error", "checks")


def _parquet_row(ex: Example, meta: dict[str, Any]) -> dict[str, Any]:
    alpaca = alpaca_record(ex, meta)

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "id": alpaca["id"],
        "task": text(meta.get("task")),
        "status": text(meta.get("status")),
        "messages": [{"role": t.role, "content": t.content} for t in ex.turns],
        "instruction": alpaca["instruction"],
        "input": alpaca["input"],
        "output": alpaca["output"],
        "source_index": ex.source_index,
        "format": ex.format,
        "fields": _dumps(ex.fields),
        "original_messages": meta.get("original_messages"),
        "turns": [{k: t.get(k) for k in _TURN_FIELDS} for t in meta.get("turns") or []] or None,
        "meta": _dumps({**{k: v for k, v in meta.items() if k not in ("original_messages", "turns")},
                        # the turns' own extra keys (weight, name, ...): the message structs have no room
                        **({"message_extras": [t.extra for t in ex.turns]} if any(t.extra for t in ex.turns)
                           else {}),
                        **({"turn_extras": extras} if (extras := [
                            {k: v for k, v in t.items() if k not in _TURN_FIELDS} for t in meta.get("turns") or []
                        ]) and any(extras) else {})}),
    }


def dfar_records(ex: Example, meta: dict[str, Any], with_reason: bool) -> list[dict[str, Any]]:
    """DFAR's training formats (arXiv 2408.11879), as alpaca records of the row's own instruction
    and input: ``dfar_label`` answers with the label only ("Unethical"), ``dfar_reason`` with the
    label sentence and reason that `label_reason` wrote and verification accepted. The label is the
    one the answer contract read from the original (what every accepted rewrite kept); a row whose
    last turn has no label contract is left out of both, a row without an accepted reason, or whose
    reason the reason judge found does not support the label, out of ``dfar_reason``."""
    turns = meta.get("turns") or []
    if not turns:
        return []
    last = turns[-1]
    contract = last.get("contract") or {}
    if isinstance(contract, str):
        contract = json.loads(contract)
    if contract.get("kind") not in ("label", "option") or not contract.get("value"):
        return []
    label = str(contract["value"])
    record = alpaca_record(ex, meta)
    if with_reason:
        if last.get("status") != "rewritten" or (last.get("mode") or "rewrite") != "label_reason":
            return []
        if last.get("reason_supports_label") is False:
            return []  # the reason judge (modes.reason_judge) found the reason does not support the label
        record["output"] = last.get("final")
    else:
        record["output"] = label[:1].upper() + label[1:]
    record["label"] = label
    return [record]


def _as_text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _parquet_ready(record: dict[str, Any]) -> dict[str, Any]:
    """A sharegpt / messages record as its Parquet schema holds it: the row's `tools`, a tool
    call's arguments and a message's non-text content (a tool result read as a JSON object) as
    JSON text, since their shapes vary from row to row."""
    if "tools" in record:
        record = {**record, "tools": _as_text(record["tools"])}
    for key, content in (("messages", "content"), ("conversations", "value")):
        turns = record.get(key)
        if not isinstance(turns, list):
            continue
        fixed = []
        for turn in turns:
            turn = {**turn, content: _as_text(turn.get(content))}
            if isinstance(turn.get("tool_calls"), list):
                turn["tool_calls"] = [{**c, "id": _as_text(c.get("id")), "function": {
                    "name": (c.get("function") or {}).get("name"),
                    "arguments": _as_text((c.get("function") or {}).get("arguments"))}}
                    for c in turn["tool_calls"] if isinstance(c, dict)]
            fixed.append(turn)
        record = {**record, key: fixed}
    return record


def _records(rows: Iterable[tuple[Example, dict[str, Any]]], fmt: str) -> Iterable[dict[str, Any]]:
    """The records of a record format (``dpo`` and ``dfar_*`` give 0 or more per row). The
    alpaca-shaped formats leave out rows with tool calls: they have no place for the tool's
    result, and its answer alone would teach stating what only the tool knew."""
    if fmt in ("alpaca", *DFAR_FORMATS):
        rows = ((ex, meta) for ex, meta in rows if not ex.tool_indices())
    if fmt in ("dpo", *DFAR_FORMATS):
        for ex, meta in rows:
            yield from (dpo_records(ex, meta or {}) if fmt == "dpo"
                        else dfar_records(ex, meta or {}, fmt == "dfar_reason"))
        return
    make = _JSONL_RECORDS[fmt]
    for ex, meta in rows:
        yield make(ex, meta or {})


def _write_jsonl(rows: Iterable[tuple[Example, dict[str, Any]]], f: TextIO, fmt: str) -> int:
    n = 0
    for rec in _records(rows, fmt):
        f.write(_dumps(rec))
        f.write("\n")
        n += 1
    return n


def _write_parquet(rows: Iterable[tuple[Example, dict[str, Any]]], path: str) -> int:
    return _write_batches((_parquet_row(ex, meta or {}) for ex, meta in rows), path, _parquet_schema())


def _write_batches(records: Iterable[dict[str, Any]], path: str, schema: Any) -> int:
    """Write `records` to a Parquet file of `schema` in batches, so memory stays flat."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, schema) as writer:
        for record in records:
            batch.append(record)
            if len(batch) >= _BATCH_ROWS:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def _write_hf(rows: Iterable[tuple[Example, dict[str, Any]]], out: str) -> int:
    import datasets

    if os.path.exists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise ConfigError(f"{out}: exists and is not an empty folder; the hf format writes a new folder")
    # datasets draws its own progress bars for the internal parquet read and the save; the export
    # command reports its one line itself, so they are only noise on stderr (and in CI logs).
    bars_were_on = datasets.utils.logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        return _write_hf_quietly(rows, out, datasets)
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()


def _write_hf_quietly(rows: Iterable[tuple[Example, dict[str, Any]]], out: str, datasets: Any) -> int:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="realign-hf-") as tmp:
        n = _write_parquet(rows, os.path.join(tmp, "rows.parquet"))
        ds = datasets.Dataset.from_parquet(os.path.join(tmp, "rows.parquet"), cache_dir=os.path.join(tmp, "cache"))
        partial = f"{out.rstrip(os.sep)}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        ds.save_to_disk(partial)
        del ds
    if os.path.isdir(out):
        os.rmdir(out)
    os.replace(partial, out)
    return n


def export_examples(rows: Iterable[tuple[Example, dict[str, Any]]], out: str, fmt: str) -> int:
    """Write `rows` to the file `out` in `fmt` (one of `EXPORT_FORMATS`); return the rows written.

    The parent folder is created when missing. Raises ConfigError for an unknown `fmt` or when
    `out` is a folder.
    """
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "hf":
        return _write_hf(rows, out)
    if os.path.isdir(out):
        raise ConfigError(f"{out}: is a folder; give the path of the file to write")
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    suffix = out.lower()
    if suffix.endswith((".csv", ".tsv", ".xlsx")):
        raise ConfigError(f"{out}: the {fmt} format writes JSON lines (or Parquet to a .parquet name), not "
                          f"{suffix.rsplit('.', 1)[1].upper()}; name the file .jsonl or .parquet")
    if fmt == "parquet" and suffix.endswith((".jsonl", ".json")):
        raise ConfigError(f"{out}: --format parquet writes Parquet, not JSON; name the file .parquet, or use "
                          "--format jsonl for the same records as JSONL")
    tmp = f"{out}.partial"
    try:
        if fmt == "parquet" or (fmt == "jsonl" and suffix.endswith(".parquet")):
            n = _write_parquet(rows, tmp)
        elif suffix.endswith(".parquet"):
            records = _records(rows, fmt)
            if fmt in ("sharegpt", "messages"):
                records = (_parquet_ready(r) for r in records)
            n = _write_batches(records, tmp, _record_schema(fmt))
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                n = _write_jsonl(rows, f, fmt)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return n
