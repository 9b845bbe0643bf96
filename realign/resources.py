"""Where the files that ship beside the package live: criteria, templates, pipelines, the model.

In a checkout (and an editable install) they are the repository's own folders; a wheel install
puts copies under `<prefix>/share/realign/` (pyproject's data-files), used when no checkout is
found next to the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_INSTALLED = Path(sys.prefix) / "share" / "realign"

# resource name -> its path in a checkout (relative to the repository root)
_IN_CHECKOUT = {
    "criteria": "criteria",
    "templates": "templates",
    "pipelines": "pipelines",
    "classifier-model": "data/classify/model",
}


def resource_dir(name: str) -> Path:
    """The folder of resource `name`: the checkout's when present, else the installed copy."""
    local = _CHECKOUT / _IN_CHECKOUT[name]
    if local.is_dir():
        return local
    return _INSTALLED / name
