"""The shipped embedded classifier: loads, predicts valid names, meets the dev-set quality bar."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from realign.classify import build_classifier
from realign.classify.embedded import EmbeddedClassifier
from realign.classify.evaluate import read_labelled, score
from realign.errors import ConfigError
from realign.tasks import TASK_NAMES

DEV = Path(__file__).resolve().parents[1] / "data" / "classify" / "dev.jsonl"


@pytest.fixture(scope="module")
def model() -> EmbeddedClassifier:
    return EmbeddedClassifier.load()


def test_shipped_model_meets_the_quality_bar_on_the_dev_set(model: EmbeddedClassifier):
    dev = read_labelled(DEV)
    assert len(dev) >= 400 and not dev.skipped
    s = score([p.task for p in model.predict(dev.texts)], dev.gold)
    assert s["n_unknown_gold"] == 0 and s["n"] == len(dev)
    assert s["accuracy"] >= 0.75, s["confusions"]
    assert s["group_accuracy"] >= 0.85, s["confusions"]


def test_dev_set_covers_every_task_with_at_least_eight_rows():
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts = {name: 0 for name in TASK_NAMES}
    for row in rows:
        counts[row["category"]] += 1
    assert min(counts.values()) >= 8


def test_predictions_are_task_names_with_probabilities(model: EmbeddedClassifier):
    texts = [
        "Write a haiku about the first snow.",
        "def f(x): return x+1   <- what does this do",
        "",
        "?!?",
        "x" * 20000,
        "Translate 'see you tomorrow' into Spanish",
    ]
    preds = model.predict(texts)
    assert len(preds) == len(texts)
    for p in preds:
        assert p.task in TASK_NAMES
        assert 0.0 <= p.confidence <= 1.0
        assert p.method == "embedded"
    assert preds[0].task == "poem_generation"
    assert preds[5].task == "text_to_text_translation"
    assert model.predict([]) == []


def test_probabilities_sum_to_one_and_top_k_is_sorted(model: EmbeddedClassifier):
    p = model.proba(["Summarize this article in two sentences: ..."])
    assert p.shape == (1, len(TASK_NAMES))
    assert abs(float(p.sum()) - 1.0) < 1e-4
    top = model.top_k("Summarize this article in two sentences: ...", 3)
    assert len(top) == 3 and [t for t, _ in top][0] == "text_summarization"
    assert top[0][1] >= top[1][1] >= top[2][1]
    assert model.predict(["Summarize this article in two sentences: ..."])[0].confidence == pytest.approx(top[0][1])


def test_batch_prediction_matches_one_by_one(model: EmbeddedClassifier):
    texts = [f"Write a poem number {i} about the sea" if i % 2 else f"fix my code {i}: print(x" for i in range(1100)]
    batch = model.predict(texts)
    for i in (0, 1, 511, 512, 513, 1099):
        single = model.predict([texts[i]])[0]
        assert single.task == batch[i].task
        assert single.confidence == pytest.approx(batch[i].confidence, abs=1e-5)


def test_classify_is_the_async_face_of_predict(model: EmbeddedClassifier):
    preds = asyncio.run(model.classify(["What is the capital of Peru?"]))
    assert preds == model.predict(["What is the capital of Peru?"])


def test_a_missing_model_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="python -m realign.classify.train"):
        EmbeddedClassifier.load(tmp_path)


def test_factory_kinds():
    assert build_classifier("embedded").name == "embedded"
    assert build_classifier().name == "embedded"  # auto without a model
    with pytest.raises(ConfigError, match="unknown classifier kind"):
        build_classifier("bert")
    for kind in ("llm", "cascade"):
        with pytest.raises(ConfigError, match="needs a model"):
            build_classifier(kind)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        build_classifier("cascade", llm=object(), threshold=1.5)


def test_a_model_built_for_other_features_is_refused(tmp_path: Path):
    import shutil

    from realign.classify.embedded import model_dir

    for f in ("weights.npz", "vocab.json"):
        shutil.copy(model_dir() / f, tmp_path / f)
    meta = json.loads((tmp_path / "vocab.json").read_text(encoding="utf-8"))
    meta["format"] = 3
    (tmp_path / "vocab.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ConfigError, match="feature format 3"):
        EmbeddedClassifier.load(tmp_path)


def test_a_passage_pasted_after_the_question_counts_as_input():
    from realign.classify.features import split_input, text_word_feats, normalize_parts

    passage = "the bridge opened in 1932 after six years of work and was for a while the widest in the world"
    head, tail = split_input(f"When did the bridge open? {passage}")
    assert (head, tail) == ("When did the bridge open?", passage)
    # blank line first; a short remainder or a long first sentence stays one instruction
    assert split_input("Summarize this.\n\nSome text. More text.") == ("Summarize this.", "Some text. More text.")
    assert split_input("Translate this. Bonjour") == ("Translate this. Bonjour", "")
    long_head = " ".join(["word"] * 45) + ". " + passage
    assert split_input(long_head)[1] == ""
    # a word problem states facts, then asks: its first sentence is not the request
    problem = ("A baker makes 12 loaves a day. He sells 8 of them in the morning and gives 2 to his "
               "neighbours every evening after closing the shop. How many loaves are left each day?")
    assert split_input(problem) == (problem, "")
    feats = text_word_feats(normalize_parts(f"When did the bridge open? {passage}"))
    assert "\x01#question+input" in feats and "\x01#input>40" not in feats and "\x01#input<=40" in feats
    assert "\x01#noinput" in text_word_feats(normalize_parts("When did the bridge open?"))


def test_closed_and_open_questions_are_told_apart_by_the_passage(model: EmbeddedClassifier):
    question = "What are the main causes of coastal erosion?"
    passage = (
        "coastal erosion is the loss of land along the shore caused by waves, currents, tides and storms. "
        "rising sea levels and the removal of dunes and mangroves speed it up in many regions."
    )
    assert model.predict([question])[0].task == "open_qa"
    assert model.predict([f"{question} {passage}"])[0].task == "closed_qa"
