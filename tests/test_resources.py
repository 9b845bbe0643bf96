"""Resources come from the checkout when there is one, else from the installed share/realign copy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import realign.resources as resources


def test_checkout_first_then_installed_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resources.resource_dir("criteria") == Path(resources.__file__).resolve().parent.parent / "criteria"
    monkeypatch.setattr(resources, "_CHECKOUT", tmp_path)  # as in a wheel install: no checkout beside
    assert resources.resource_dir("classifier-model") == Path(sys.prefix) / "share" / "realign" / "classifier-model"


def test_pyproject_ships_every_resource() -> None:
    text = (Path(resources.__file__).resolve().parent.parent / "pyproject.toml").read_text()
    for name, local in resources._IN_CHECKOUT.items():
        assert f'"share/realign/{name}"' in text and local in text
