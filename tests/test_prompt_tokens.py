"""--max-prompt-tokens: prompts counted in tokens by the server that will read them (vLLM's
/tokenize, llama.cpp llama-server's /apply-template + /tokenize, llama-cpp-python's
/extras/tokenize/count with the template's tags estimated), with characters standing in
where a server cannot count. Against the local test server over real HTTP: its tokenizer
(`count_tokens`) makes each CJK character a token and a word of letters one, so two prompts of
the same characters differ fivefold in tokens.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from realign.llm.client import LLMClient, LLMError, LLMSettings
from realign.testing.openai_server import OpenAIServer
from realign.testing.responders import RealignResponder
from tests.test_e2e_cli import realign, summary_of

WORDS = "word " * 600  # 3,000 characters, 600 tokens
SYMBOLS = "水" * 3000  # 3,000 characters, 3,000 tokens
SAMPLING = {"temperature": 0.0, "max_tokens": 32}


def ask(srv: OpenAIServer, limit: int, *texts: str, notices: list[str] | None = None) -> list[str]:
    """Each text as one chat call under --max-prompt-tokens `limit`: "sent" or the failure's kind
    and message."""
    async def go() -> list[str]:
        client = LLMClient(LLMSettings(base_url=srv.base_url, model="m", max_prompt_tokens=limit),
                           on_notice=(notices.append if notices is not None else None))
        out = []
        try:
            for text in texts:
                try:
                    await client.chat([{"role": "user", "content": text}], sampling=SAMPLING)
                    out.append("sent")
                except LLMError as exc:
                    out.append(f"{exc.kind}: {exc.message}")
        finally:
            await client.aclose()
        return out
    return asyncio.run(go())


@pytest.mark.parametrize("api, per_count", [("vllm", 1), ("llama_server", 2)])
def test_a_prompt_over_the_token_limit_is_not_sent_though_one_of_the_same_characters_is(api: str,
                                                                                        per_count: int) -> None:
    with OpenAIServer(tokenize=api) as srv:
        outcome = ask(srv, 1000, WORDS, SYMBOLS)
        assert outcome[0] == "sent"
        assert outcome[1].startswith("too_long: the prompt has 3,010 tokens as")  # 3,000 + the chat template's 10
        assert "--max-prompt-tokens 1,000; not sent" in outcome[1]
        assert srv.count == 1  # the symbols were never sent
        probe_misses = 1 if api == "llama_server" else 0  # vLLM's form, tried first
        assert srv.tokenize_requests == probe_misses + 2 * per_count


def test_llama_cpp_python_counts_the_text_with_its_tokenizer_and_the_template_tags_are_estimated() -> None:
    # llama-cpp-python's server has no /tokenize and no /apply-template, only
    # /extras/tokenize/count of a text: before it was counted, the limit became 4,000 characters
    # and both 3,000-character prompts were sent
    notices: list[str] = []
    with OpenAIServer(dialect="llama_cpp") as srv:
        outcome = ask(srv, 1000, WORDS, SYMBOLS, notices=notices)
        assert outcome[0] == "sent"
        # "user" + 3,000 symbols, + 5 template tokens for the message and 3 for the answer's opening
        assert outcome[1].startswith("too_long: the prompt has 3,009 tokens as")
        assert "chat template's tags estimated" in outcome[1]
        assert srv.count == 1
        assert srv.tokenize_requests == 2 + 2  # the vLLM and llama-server forms probed, then two counts
    assert notices == []  # no "cannot count tokens"


def test_a_server_that_cannot_count_gets_the_limit_as_characters_and_says_so_once() -> None:
    notices: list[str] = []
    with OpenAIServer(tokenize=None) as srv:  # OpenAI's API: no /tokenize
        outcome = ask(srv, 500, "short question", WORDS, SYMBOLS, notices=notices)
        assert srv.count == 1 and srv.tokenize_requests == 0  # its 404s are not counted as answers
    assert outcome[0] == "sent"
    assert all(o.startswith("too_long: the prompt has 3,000 characters") for o in outcome[1:])
    assert "standing for --max-prompt-tokens 500" in outcome[1]
    (notice,) = notices
    assert "cannot count tokens" in notice and "2,000 characters" in notice and "assumed" in notice


def test_the_cli_keeps_rows_over_the_token_limit_with_their_reason_and_raising_it_resumes(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "r.duckdb"
    rows = [{"id": "words", "instruction": "Describe the word list.", "input": "", "output": WORDS},
            {"id": "symbols", "instruction": "Describe the characters.", "input": "", "output": SYMBOLS}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with OpenAIServer(RealignResponder(), dialect="vllm") as srv:
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "-q", "--json", "--db", str(db)]
        s = summary_of(realign(*args, "--max-prompt-tokens", "2000"))
        assert (s["rewritten"], s["kept_original"], s["too_long"], s["failed"]) == (1, 1, 1, 0)
        assert srv.count == 1  # the 5,283-character prompt of 3,476 tokens was not sent; its twin in size was
        reason = summary_of(realign("show", "symbols", "--db", str(db), "--json"))["turns"][0]["reason"]
        assert reason.startswith("too_long: the prompt has 3,") and "--max-prompt-tokens 2,000" in reason
        srv.reset()
        counts = srv.tokenize_requests
        s = summary_of(realign(*args, "--max-prompt-tokens", "8000"))  # the same run: only that row is asked
        assert srv.count == 1 and s["rewritten"] == 2 and s["too_long"] == 0 and s["resumed"] == 1
        assert srv.tokenize_requests == counts  # the count stored with the refusal: 3,476 fits under 8,000


def test_a_count_over_the_limit_is_stored_so_a_rerun_counts_nothing_and_the_dry_run_sees_it(tmp_path: Path) -> None:
    data, db = tmp_path / "in.jsonl", tmp_path / "r.duckdb"
    rows = [{"id": "words", "instruction": "Describe the word list.", "input": "", "output": WORDS},
            {"id": "symbols", "instruction": "Describe the characters.", "input": "", "output": SYMBOLS}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def dry(limit: str) -> dict:
        return summary_of(realign("rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url,
                                  "--task", "open_qa", "--dry-run", "--json", "--db", str(db),
                                  "--max-prompt-tokens", limit))["too_long_turns"]

    with OpenAIServer(RealignResponder(), dialect="vllm") as srv:
        # nothing counted yet: both prompts (about 5,280 characters) are over 1,000 tokens at the
        # assumed 4 characters a token, an estimate only (the server's count decides)
        assert dry("1000") == {"known": 0, "over_max_prompt_chars": 0, "over_max_prompt_tokens_counted": 0,
                               "over_max_prompt_tokens_estimated": 2}
        args = ["rewrite", "--in", str(data), "--model", "m", "--base-url", srv.base_url, "--task", "open_qa",
                "-q", "--json", "--db", str(db), "--max-prompt-tokens", "2000"]
        s = summary_of(realign(*args))
        assert s["too_long"] == 1 and srv.count == 1 and srv.tokenize_requests == 2
        assert dry("2000")["over_max_prompt_tokens_counted"] == 1  # the symbols' 3,476 tokens, stored
        assert dry("4000")["over_max_prompt_tokens_counted"] == 0  # a raised limit sends it
        srv.reset()
        srv.tokenize_requests = 0
        s = summary_of(realign(*args))  # the same command again: the row is redone from the store
        assert s["too_long"] == 1 and s["resumed"] == 1
        assert srv.count == 0 and srv.tokenize_requests == 0  # neither the count nor the request again
        reason = summary_of(realign("show", "symbols", "--db", str(db), "--json"))["turns"][0]["reason"]
        assert "3,476 tokens" in reason and "--max-prompt-tokens 2,000" in reason


def test_max_prompt_tokens_with_a_backend_that_sends_no_http_request_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"instruction": "Hi", "input": "", "output": "Hello."}) + "\n")
    proc = realign("rewrite", "--in", str(data), "--model", "m", "--base-url", "http://127.0.0.1:9/v1",
                   "--backend", "batch", "--max-prompt-tokens", "100", "-q", "--db", str(tmp_path / "r.duckdb"))
    assert proc.returncode == 2 and "--max-prompt-chars" in proc.stderr and "Traceback" not in proc.stderr
