"""The in-process vLLM backend's handling of prompts longer than the model's context.

vLLM is not installed here (no GPU): these test the backend's own logic with vLLM's own error
texts (vllm/v1/engine/input_processor.py `_validate_prompt_len`, vllm/exceptions.py), not vLLM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from realign.llm.client import refused_before, too_long_record
from realign.llm.vllm_local import engine_error, isolate_too_long, too_long_exception
from realign.store import Store


class VLLMValidationError(ValueError):
    """The shape of vllm.exceptions.VLLMValidationError: a ValueError whose text may name the
    parameter and value that failed."""

    def __init__(self, message: str, *, parameter: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.parameter, self.value = parameter, value

    def __str__(self) -> str:
        extra = f" (parameter={self.parameter}, value={self.value})" if self.parameter else ""
        return super().__str__() + extra


@pytest.mark.parametrize("exc, too_long", [
    (VLLMValidationError("The decoder prompt (length 9000) is longer than the maximum model length of 8192. "
                         "Make sure that `max_model_len` is no smaller than the number of text tokens."), True),
    (VLLMValidationError("The decoder prompt (length 8192) plus the number of requested output tokens (at least 1) "
                         "is longer than the maximum model length of 8192. Make sure that `max_model_len` is no "
                         "smaller than the number of text tokens (prompt + requested output tokens)."), True),
    (VLLMValidationError("The decoder prompt (length 512) is longer than the maximum model length of 256.",
                         parameter="input_tokens", value=512), True),
    (ValueError("The decoder prompt (length 5000) exceeds the maximum model length of 4096."), True),  # older wording
    (ValueError("This model's maximum context length is 4096 tokens. However, you requested 5000 tokens"), True),
    (VLLMValidationError("Token id 151700 is out of vocabulary"), False),
    (VLLMValidationError("The decoder prompt cannot be empty"), False),
    (ValueError("max_tokens must be at least 1, got 0."), False),
    (RuntimeError("CUDA error: out of memory"), False),
    (RuntimeError("The decoder prompt (length 9000) is longer than the maximum model length of 8192."), False),
])
def test_only_vllms_own_context_length_errors_read_as_a_too_long_prompt(exc: BaseException, too_long: bool) -> None:
    assert too_long_exception(exc) is too_long


LIMIT = 100  # tokens of the scripted engine's context


def engine(calls: list[list[int]]):
    """Generates like vLLM's LLM.chat: every prompt of the call is checked as it is added, and
    one too long aborts the whole call before anything is generated."""
    def generate(prompts: list[int]) -> list[str]:
        calls.append(list(prompts))
        for length in prompts:
            if length >= LIMIT:
                raise VLLMValidationError(f"The decoder prompt (length {length}) is longer than the maximum model "
                                          f"length of {LIMIT}.")
        return [f"answer to {length}" for length in prompts]
    return generate


@pytest.mark.parametrize("lengths", [
    [10, 20, 30],  # all fit: one call
    [10, 500, 30, 40, 50, 60, 70, 80],
    [500] + [10] * 63,
    [10] * 63 + [100],  # exactly the context: no room for one output token
    [500, 600, 700],  # none fits
    [10, 500, 20, 600, 30, 700, 40, 800, 50, 900] * 10,
])
def test_a_too_long_prompt_fails_only_its_own_call_and_the_rest_of_the_batch_is_answered(lengths: list[int]) -> None:
    calls: list[list[int]] = []
    outcomes = isolate_too_long(lengths, engine(calls))
    assert len(outcomes) == len(lengths)
    for length, out in zip(lengths, outcomes):
        if length >= LIMIT:
            assert isinstance(out, ValueError) and too_long_exception(out)
            assert engine_error(out, "here").kind == "too_long"
        else:
            assert out == f"answer to {length}"
    generated = [c for c in calls if all(x < LIMIT for x in c)]
    assert sorted(x for c in generated for x in c) == sorted(x for x in lengths if x < LIMIT)  # each once
    offenders = sum(x >= LIMIT for x in lengths)
    assert len(calls) <= 1 + 2 * offenders * max(1, len(lengths).bit_length())


def test_any_other_engine_failure_fails_every_call_of_the_batch_as_a_server_error() -> None:
    calls = []

    def broken(prompts: list[int]) -> list[str]:
        calls.append(prompts)
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    outcomes = isolate_too_long([1, 2, 3], broken)
    assert len(calls) == 1  # not split: halving would not help
    errors = [engine_error(o, "here") for o in outcomes]
    assert [e.kind for e in errors] == ["server_error"] * 3 and "illegal memory access" in errors[0].message


def test_a_refusal_stored_by_the_backend_is_answered_from_the_store_at_the_same_context_only(tmp_path: Path) -> None:
    where = "in-process vLLM (max_model_len 8192)"
    exc = engine_error(VLLMValidationError("The decoder prompt (length 9000) is longer than the maximum model "
                                           "length of 8192."), where)
    key = "ab" * 32
    with Store(tmp_path / "s.duckdb") as store:
        store.put_call(key, kind="rewrite", request={"model": "m"}, response=too_long_record("m", exc),
                       finish_reason="too_long", error=str(exc))
    with Store(tmp_path / "s.duckdb") as store:  # a rerun
        stored = store.get_cutoff(key)
    again = refused_before(stored, key, {where})
    assert again is not None and again.kind == "too_long" and "length 9000" in again.message
    assert refused_before(stored, key, {"in-process vLLM (max_model_len 32768)"}) is None  # a longer context asks anew
    assert refused_before(stored, key, {"http://127.0.0.1:8000/v1"}) is None  # as does a server
