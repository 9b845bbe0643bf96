"""Sandboxed jinja2 environment that renders the prompt templates in templates/.

Sandboxed because templates may come from users' pipelines; StrictUndefined so that a misspelt
variable is an error instead of an empty string in a prompt.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from realign.errors import ConfigError
from realign.resources import resource_dir

TEMPLATES_DIR = resource_dir("templates")


def templates_dir() -> Path:
    return Path(os.environ.get("REALIGN_TEMPLATES_DIR") or TEMPLATES_DIR)


@functools.lru_cache(maxsize=8)
def _environment(directory: str) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


@functools.lru_cache(maxsize=64)
def _template(directory: str, name: str) -> Any:
    try:
        return _environment(directory).get_template(name)
    except TemplateNotFound:
        raise ConfigError(f"template {name} not found in {directory}") from None


def render(name: str, **context: Any) -> str:
    """Render templates/<name> with `context`; a missing variable is a ConfigError."""
    directory = str(templates_dir())
    try:
        return _template(directory, name).render(**context).strip()
    except UndefinedError as e:
        raise ConfigError(f"template {directory}/{name}: {e}") from None


def template_fingerprint() -> str:
    """Hash of every template's text: part of a run's identity, so editing a prompt starts a new run."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(templates_dir().glob("*.j2")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()
