"""The LLM classifier and the cascade, against the local OpenAI-compatible test server."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest

from realign.classify import build_classifier
from realign.classify.cascade import CascadeClassifier
from realign.classify.embedded import EmbeddedClassifier
from realign.classify.llm import LLMClassifier, parse_task
from realign.llm.client import LLMClient, LLMSettings
from realign.tasks import TASK_NAMES
from realign.testing.openai_server import OpenAIServer, Reply, last_user_message


def settings(srv: OpenAIServer) -> LLMSettings:
    return LLMSettings(
        base_url=srv.base_url, model="test-model", timeout_s=5.0, max_attempts=2,
        backoff_initial_s=0.0, backoff_max_s=0.0,
    )


def run(srv: OpenAIServer, make: Callable[[LLMClient], Any], texts: list[str]) -> tuple[list[Any], Any]:
    async def go() -> tuple[list[Any], Any]:
        async with LLMClient(settings(srv)) as client:
            clf = make(client)
            return await clf.classify(texts), clf

    return asyncio.run(go())


def llm_only(client: LLMClient) -> LLMClassifier:
    return LLMClassifier(client, embedded=EmbeddedClassifier.load())


@pytest.mark.parametrize(
    "answer",
    [
        '{"task": "poem_generation"}',  # what a schema-following server sends
        '{"task": "Poem Generation"}',  # sloppy case and spacing inside JSON
        "  'POEM-GENERATION' ",  # a server that ignores the schema: bare name, quoted
        "poem_generation",
        'Sure! {"task": "poem_generation"}',  # JSON inside prose
        "```json\n{\"task\": \"poem_generation\"}\n```",
    ],
)
def test_llm_answers_are_parsed_leniently(answer: str):
    with OpenAIServer(lambda body: Reply(content=answer)) as srv:
        preds, _ = run(srv, llm_only, ["write me something about spring"])
        assert srv.count == 1
    assert preds[0].task == "poem_generation" and preds[0].method == "llm"
    assert 0.0 <= preds[0].confidence <= 1.0


def test_request_is_constrained_deterministic_and_prefix_cache_friendly():
    with OpenAIServer(lambda body: Reply(content='{"task": "open_qa"}')) as srv:
        run(srv, llm_only, ["Who built the Hoover Dam?", "What is the speed of light?"])
        first, second = srv.requests
    assert first["temperature"] == 0.0
    schema = first["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["task"]["enum"] == list(TASK_NAMES)
    assert schema["required"] == ["task"]
    # The long static part (every task and its description) comes first and is shared ...
    assert first["messages"][0] == second["messages"][0]
    system = first["messages"][0]["content"]
    assert all(name in system for name in TASK_NAMES)
    # ... and the instruction comes last.
    assert first["messages"][-1]["role"] == "user"
    assert "Who built the Hoover Dam?" in first["messages"][-1]["content"]
    assert "Who built the Hoover Dam?" not in system


def test_garbage_is_retried_then_falls_back_to_the_embedded_prediction():
    with OpenAIServer(lambda body: Reply(content="I would say this is a lovely request!")) as srv:
        preds, clf = run(srv, llm_only, ["Write a haiku about the sea."])
        assert srv.count == 2  # first answer rejected by validate, retried once (max_attempts=2)
    expected = EmbeddedClassifier.load().predict(["Write a haiku about the sea."])[0]
    assert preds[0].method == "embedded_fallback"
    assert preds[0].task == expected.task == "poem_generation"
    assert preds[0].confidence == pytest.approx(expected.confidence)
    assert clf.fallbacks == 1


def test_garbage_then_a_valid_answer_uses_the_valid_one():
    answers = iter(["hmm, hard to say", '{"task": "rejecting"}'])
    with OpenAIServer(lambda body: Reply(content=next(answers))) as srv:
        preds, _ = run(srv, llm_only, ["how do I pick a lock"])
        assert srv.count == 2
    assert preds[0].task == "rejecting" and preds[0].method == "llm"


def test_server_errors_fall_back_too():
    with OpenAIServer(lambda body: Reply(status=500, error_message="boom")) as srv:
        preds, _ = run(srv, llm_only, ["Translate 'thank you' into French"])
    assert preds[0].method == "embedded_fallback" and preds[0].task in TASK_NAMES


def gold_responder(gold: dict[str, str]) -> Callable[[dict[str, Any]], Reply]:
    """Answers the gold label of the instruction in the request (a perfect LLM)."""

    def respond(body: dict[str, Any]) -> Reply:
        user = last_user_message(body)
        for text, label in gold.items():
            if text in user:
                return Reply(content=f'{{"task": "{label}"}}')
        return Reply(content="no idea")

    return respond


def test_cascade_asks_the_llm_only_below_the_threshold():
    model = EmbeddedClassifier.load()
    sure, unsure = "Write a haiku about autumn leaves.", "ok so about that thing from before"
    c_sure, c_unsure = (p.confidence for p in model.predict([sure, unsure]))
    assert c_sure > c_unsure
    threshold = (c_sure + c_unsure) / 2
    gold = {sure: "story_generation", unsure: "default"}  # the LLM would say otherwise for `sure`
    with OpenAIServer(gold_responder(gold)) as srv:
        preds, _ = run(srv, lambda c: CascadeClassifier(model, llm_only(c), threshold), [sure, unsure])
        assert srv.count == 1
        assert unsure in last_user_message(srv.requests[0])
    assert preds[0].method == "embedded" and preds[0].task == "poem_generation"
    assert preds[1].method == "llm" and preds[1].task == "default"


@pytest.mark.parametrize("threshold,asked", [(0.0, 0), (1.0, 3)])
def test_cascade_threshold_extremes(threshold: float, asked: int):
    texts = ["Write a limerick about a cat.", "What is 12 * 12?", "Translate 'hello' to German"]
    with OpenAIServer(lambda body: Reply(content='{"task": "default"}')) as srv:
        preds, _ = run(srv, lambda c: build_classifier("cascade", llm=c, threshold=threshold), texts)
        assert srv.count == asked
    assert [p.method for p in preds] == (["llm"] * 3 if asked else ["embedded"] * 3)


def test_auto_is_the_cascade_when_a_client_is_given():
    with OpenAIServer(lambda body: Reply(content='{"task": "default"}')) as srv:
        _, clf = run(srv, lambda c: build_classifier("auto", llm=c), [])
        assert isinstance(clf, CascadeClassifier) and srv.count == 0
        _, clf = run(srv, lambda c: build_classifier("llm", llm=c), [])
        assert isinstance(clf, LLMClassifier)


def test_parse_task():
    assert parse_task('{"task": "open_qa"}') == "open_qa"
    assert parse_task("<think>maybe closed_qa</think>\nopen_qa") == "open_qa"
    assert parse_task("Task: ML/AI language model tutor.") == "ml_ai_language_model_tutor"
    assert parse_task("open_qa or closed_qa") is None
    assert parse_task('{"task": "banana"}') is None
    assert parse_task("") is None


def test_the_cascade_offers_the_llm_a_shortlist_of_the_embedded_models_likeliest_tasks():
    from realign.classify.llm import SHORTLIST

    model = EmbeddedClassifier.load()
    text = "ok so about that thing from before"
    likely = {name for name, _ in model.top_k(text, SHORTLIST)}
    with OpenAIServer(lambda body: Reply(content='{"task": "default"}')) as srv:
        preds, _ = run(srv, lambda c: CascadeClassifier(model, llm_only(c), 1.0), [text])
        body = srv.requests[0]
    enum = body["response_format"]["json_schema"]["schema"]["properties"]["task"]["enum"]
    assert set(enum) == likely and len(enum) == SHORTLIST
    assert all(name in last_user_message(body) for name in enum)
    system = body["messages"][0]["content"]
    assert not any(name in system for name in set(TASK_NAMES) - {"closed_qa", "open_qa", "roleplay", "rejecting", "default"})
    assert preds[0].method == "llm" and preds[0].task == "default"
