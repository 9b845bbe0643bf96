"""`python -m realign ...` runs the same CLI as the `realign` script (useful with PYTHONPATH or a bare checkout)."""

from __future__ import annotations

from realign.cli import main

main()
