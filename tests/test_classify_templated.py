"""Training rows from the FLAN prompt templates (`realign.classify.templated`)."""

from __future__ import annotations

import re

import pytest

from realign.classify.templated import FILLS_PER_TEMPLATE, SNI_TASKS, TEMPLATE_SOURCES, read_templates, sni_rows, template_rows
from realign.classify.train import DEFAULT_TRAIN, GSM8K_TRAIN, read_train, task_names


@pytest.fixture(scope="module")
def material() -> tuple[list[tuple[str, str]], list[str]]:
    names = task_names()
    own, _ = read_train(DEFAULT_TRAIN, names)
    gsm, _ = read_train(GSM8K_TRAIN, names)
    return [(r.text, r.label) for r in own + gsm], [r.text for r in gsm]


def test_every_shipped_template_fills_into_a_row_of_a_known_task(material) -> None:
    rows, math = material
    templates = read_templates()
    out = template_rows(rows, math, seed=13)
    assert len(out) == FILLS_PER_TEMPLATE * len(templates)
    names = set(task_names())
    assert {label for _, label, _ in out} <= names
    leftover = [text for text, _, _ in out if re.search(r"\{[a-z_0-9]+\}", text)]
    assert not leftover, leftover[:3]
    assert all(text.strip() for text, _, _ in out)


@pytest.mark.parametrize("collection", sorted(TEMPLATE_SOURCES))
def test_every_collection_fills_into_rows_of_known_tasks_within_its_cap(material, collection) -> None:
    rows, math = material
    path, cap = TEMPLATE_SOURCES[collection]
    out = template_rows(rows, math, seed=13, path=path, max_per_task=cap)
    assert {label for _, label, _ in out} <= set(task_names())
    assert not [text for text, _, _ in out if re.search(r"\{[a-z_0-9]+\}", text)]
    assert {src.split(":")[0] for _, _, src in out} == {collection}
    per_task: dict[str, int] = {}
    for _, label, _ in out:
        per_task[label] = per_task.get(label, 0) + 1
    if cap is not None:
        assert max(per_task.values()) <= cap
    # every task of the collection keeps rows, however many templates it has
    assert set(per_task) == {t["category"] for t in read_templates(path)}


def test_a_cap_samples_templates_of_a_crowded_task_only(material) -> None:
    rows, math = material
    path, _ = TEMPLATE_SOURCES["promptsource"]
    templates = read_templates(path)
    sizes: dict[str, int] = {}
    for t in templates:
        sizes[t["category"]] = sizes.get(t["category"], 0) + 1
    out = template_rows(rows, math, seed=13, path=path, max_per_task=60)
    got: dict[str, int] = {}
    for _, label, _ in out:
        got[label] = got.get(label, 0) + 1
    for task, n in sizes.items():
        assert got[task] == FILLS_PER_TEMPLATE * min(n, 60 // FILLS_PER_TEMPLATE)


def test_filling_is_deterministic_per_seed(material) -> None:
    rows, math = material
    assert template_rows(rows, math, seed=5) == template_rows(rows, math, seed=5)
    assert template_rows(rows, math, seed=5) != template_rows(rows, math, seed=6)


def test_material_without_passages_is_refused() -> None:
    with pytest.raises(ValueError, match="no passages"):
        template_rows([("What is the capital of France?", "open_qa")], [], seed=1)


def test_sni_rows_pair_each_definition_with_each_of_its_inputs() -> None:
    tasks = read_templates(SNI_TASKS)
    rows = sni_rows()
    assert len(rows) == sum(len(t["inputs"]) for t in tasks)
    names = set(task_names())
    for text, label, source in rows:
        task = next(t for t in tasks if source == f"sni:{t['task']}")
        assert label == task["category"] in names
        definition, sep, given = text.partition("\n\n")
        assert sep and definition == task["definition"].strip() and given.strip() in [i.strip() for i in task["inputs"]]
    # every task names the commit its text was read at, for provenance
    assert all(re.fullmatch(r"[0-9a-f]{40}", t["commit"]) for t in tasks)
