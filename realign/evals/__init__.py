"""Evaluations of a served model on benchmarks (GSM8K), stored next to the runs in DuckDB."""

from realign.evals.gsm8k import compare_evals, run_gsm8k_eval

__all__ = ["compare_evals", "run_gsm8k_eval"]
