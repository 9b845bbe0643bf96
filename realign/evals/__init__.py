"""Evaluations of a served model (or of an answers file) on benchmarks, stored next to the runs in
DuckDB: GSM8K (`gsm8k`), BBQ (`bbq`) and Winogender (`winogender`). `running` holds what they
share (answer sources, the scored run), `storage` the tables and `--compare`, `stats` the intervals."""

from realign.evals.gsm8k import run_gsm8k_eval
from realign.evals.storage import compare_evals

__all__ = ["compare_evals", "run_gsm8k_eval"]
