"""Sandboxed jinja2 environment that renders the prompt templates in templates/.

Sandboxed because templates may come from users' pipelines; StrictUndefined so that a misspelt
variable is an error instead of an empty string in a prompt.
"""

from __future__ import annotations

import functools
import os
import traceback
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from realign.errors import ConfigError
from realign.resources import resource_dir

TEMPLATES_DIR = resource_dir("templates")


def templates_dir() -> Path:
    return _directory(os.environ.get("REALIGN_TEMPLATES_DIR"))


@functools.lru_cache(maxsize=8)
def _directory(override: str | None) -> Path:
    return Path(override or TEMPLATES_DIR)


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


@functools.lru_cache(maxsize=64)
def _globals(template: Any) -> dict[str, Any]:
    """The template's globals as a plain dict, made once: jinja's `Template.render` merges its
    ChainMap of globals into every context, which cost most of a prompt's rendering time."""
    return dict(template.globals)


def render(name: str, **context: Any) -> str:
    """Render templates/<name> with `context`; a missing variable is a ConfigError."""
    directory = str(templates_dir())
    template = _template(directory, name)
    env = template.environment
    try:
        # Template.render(**context), with the context built from the globals made once
        ctx = env.context_class(env, {**_globals(template), **context}, template.name, template.blocks,
                                globals=_globals(template))
        try:
            text: str = env.concat(template.root_render_func(ctx))
        except Exception:
            env.handle_exception()  # re-raises with the template's file and line in the traceback
        return text.strip()
    except UndefinedError as e:
        raise ConfigError(f"template {directory}/{name}: {e}") from None
    except SecurityError as e:
        where, expression = _offending_line(e, template.filename)
        raise ConfigError(f"template {where}: `{expression}` is not allowed in the sandbox ({e}); "
                          "remove it: templates may only use the variables realign passes") from None


def _offending_line(e: BaseException, filename: str | None) -> tuple[str, str]:
    """(file:line, the template's text on that line) of the frame jinja maps to the template."""
    lineno = None
    for frame, line in traceback.walk_tb(e.__traceback__):
        if filename and frame.f_code.co_filename == filename:
            lineno = line
    if lineno is None or not filename:
        return str(filename), "?"
    try:
        text = Path(filename).read_text(encoding="utf-8").splitlines()[lineno - 1].strip()
    except (OSError, IndexError):
        text = "?"
    return f"{filename}:{lineno}", text


def template_fingerprint() -> str:
    """Hash of every template's text: part of a run's identity, so editing a prompt starts a new run."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(templates_dir().glob("*.j2")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()
