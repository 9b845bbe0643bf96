"""Settings for every test module.

pytest-xdist (`make test` runs the suite on two workers) starts its workers with COLUMNS=80 and
LINES=24 in their environment, where a serial run has neither. The CLI's plain output wraps at
COLUMNS when it is set and at 160 columns when it is not (realign/report.py), so a test reading a
long line of it would pass serially and fail on a worker. A worker drops both, and so sees the
environment a serial run sees.
"""

from __future__ import annotations

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)
