"""The examples in module docstrings run: an example that no longer holds misleads a reader (the
registry's and the task loader's had gone stale when checks were added to every row)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import realign


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(realign.__path__, "realign."):
        if info.name.startswith("realign.testing") or info.name.endswith("__main__"):
            continue
        spec = importlib.util.find_spec(info.name)
        source = spec.origin if spec and spec.origin and spec.origin.endswith(".py") else None
        if source and ">>> " in open(source, encoding="utf-8").read():
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules_with_examples())
def test_module_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail"
