"""Deterministic checks that a rewrite keeps the original's answer (see registry.py)."""

from realign.verify.base import Check, CheckInput
from realign.verify.registry import ALWAYS, CHECK_NAMES, VerifyOptions, get_check, run_checks

__all__ = ["ALWAYS", "CHECK_NAMES", "Check", "CheckInput", "VerifyOptions", "get_check", "run_checks"]
