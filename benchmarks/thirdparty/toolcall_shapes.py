"""Write the glaive tool-calling sample in two more shapes that function-calling corpora use.

Input: `tests/fixtures/tools/glaive_toolcall_sharegpt.json`, rows of LLaMA-Factory's
`data/glaive_toolcall_en_demo.json` (ShareGPT with `function_call` / `observation` turns and a
`tools` string; see tests/fixtures/tools/SOURCES.md). Output, beside it:

- `glaive_toolcall_messages.jsonl`: OpenAI chat messages. A call is an assistant message with
  `content: null` and `tool_calls` (id, type, function name, arguments as a JSON string); a result
  is a `tool` message naming the call's id; `tools` is the list of `{"type": "function",
  "function": ...}` objects. The third row leaves its calls' content out instead of null (both
  occur in the wild).
- `glaive_toolcall_hermes.jsonl`: the Hermes function-calling layout. The tool signatures go in a
  system turn between `<tools>` tags, a call is a `gpt` turn holding a `<tool_call>` block, a result
  a `tool` turn holding a `<tool_response>` block.

Only the layout changes: every text, call and result is the sample's own.

    python benchmarks/thirdparty/toolcall_shapes.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "tools"
SOURCE = HERE / "glaive_toolcall_sharegpt.json"


def to_messages(row: dict[str, Any], n: int) -> dict[str, Any]:
    tools = [{"type": "function", "function": f} for f in json.loads(row["tools"])]
    messages: list[dict[str, Any]] = []
    pending: list[str] = []  # ids of calls not answered yet
    for k, turn in enumerate(row["conversations"]):
        kind, text = turn["from"], turn["value"]
        if kind == "human":
            messages.append({"role": "user", "content": text})
        elif kind == "gpt":
            messages.append({"role": "assistant", "content": text})
        elif kind == "function_call":
            call = json.loads(text)
            cid = f"call_{n}_{k}"
            pending.append(cid)
            msg: dict[str, Any] = {"role": "assistant", "content": None}
            if n == 2:
                del msg["content"]
            msg["tool_calls"] = [{"id": cid, "type": "function", "function": {
                "name": call["name"], "arguments": json.dumps(call["arguments"])}}]
            messages.append(msg)
        elif kind == "observation":
            messages.append({"role": "tool", "tool_call_id": pending.pop(0), "content": text})
        else:
            raise ValueError(f"row {n}: unexpected turn {kind!r}")
    out: dict[str, Any] = {"id": f"glaive-{n}", "messages": messages}
    if tools:
        out["tools"] = tools
    return out


def to_hermes(row: dict[str, Any], n: int) -> dict[str, Any]:
    tools = json.loads(row["tools"])
    turns: list[dict[str, str]] = []
    if tools:
        turns.append({"from": "system", "value": "You are a function calling AI model. You may call one or more "
                      "functions to assist with the user query. Here are the available tools: <tools> "
                      + json.dumps(tools) + " </tools>"})
    last_call = ""
    for turn in row["conversations"]:
        kind, text = turn["from"], turn["value"]
        if kind == "function_call":
            last_call = json.loads(text)["name"]
            turns.append({"from": "gpt", "value": f"<tool_call>\n{text}\n</tool_call>"})
        elif kind == "observation":
            body = json.dumps({"name": last_call, "content": json.loads(text)})
            turns.append({"from": "tool", "value": f"<tool_response>\n{body}\n</tool_response>"})
        else:
            turns.append({"from": kind, "value": text})
    return {"id": f"hermes-{n}", "conversations": turns}


def main() -> None:
    rows = json.loads(SOURCE.read_text())
    for name, convert in (("glaive_toolcall_messages.jsonl", to_messages), ("glaive_toolcall_hermes.jsonl", to_hermes)):
        with (HERE / name).open("w") as f:
            for n, row in enumerate(rows):
                f.write(json.dumps(convert(row, n), ensure_ascii=False) + "\n")
        print(f"wrote {HERE / name} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
