"""Settings of the verification checks.

Kept in its own module so every check module can import it without importing the registry
(which imports the check modules). `realign.verify.registry` re-exports `VerifyOptions`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class VerifyOptions(BaseModel):
    """Knobs of the deterministic checks. Every default is explained next to it."""

    # --- length window -----------------------------------------------------------------------
    # ReAlign rejects rewrites shorter than half the original: a rewrite reformats and usually
    # elaborates, so losing more than half of the text means content was dropped.
    min_ratio: float = Field(0.5, ge=0.0)
    # ReAlign had no upper bound. Format criteria (steps, headings, a short explanation) rarely
    # more than double a normal answer; beyond 4x the rewrite is padding or invents content.
    max_ratio: float = Field(4.0, gt=0.0)
    # Absolute floor: a rewrite with fewer non-blank characters than this always fails (an empty
    # or one-character answer is never a useful rewrite, whatever the original's length).
    min_chars: int = Field(1, ge=0)
    # Absolute ceiling slack for short originals: a ratio makes no sense for a one-word label
    # ("positive", 8 chars) that the criteria ask to explain in a sentence or two, so any rewrite
    # up to this many characters is within the upper bound whatever the ratio says.
    short_ceiling_chars: int = Field(600, ge=0)
    # Absolute floor slack for short originals: the lower ratio bound never demands more than
    # this many characters (an original of 30 chars may be rewritten to "B" or "18").
    short_floor_chars: int = Field(20, ge=0)
    # Hard ceiling in characters, whatever the original; None means no hard ceiling.
    max_chars: int | None = Field(None, ge=1)
    # A short original (at most this many characters) whose answer contract is closed (option,
    # label, facts, or a bare number without working) may be rewritten into any length down to min_chars: the
    # contract's own check proves the answer is there ("Neil Young" for a 78-character sentence),
    # and the completeness test below catches a cut-off text. Longer originals keep the ratio.
    short_answer_chars: int = Field(400, ge=0)
    # A worked solution (a number answer whose original writes calculations) rewritten into a
    # shorter one that still writes its working: the math and arithmetic checks prove the answer
    # and the working, the completeness test catches a cut-off text, so the floor drops to this
    # ratio (models solve GSM8K in 0.3-0.5x of the gold solution's length). A rewrite with no
    # calculation left keeps `min_ratio`: it dropped the working.
    worked_min_ratio: float = Field(0.25, ge=0.0)
    # ... and longer: models write a GSM8K solution in 4-7x the gold's terse length (one line per
    # step, units, a restated question; measured on the third-party solutions of
    # benchmarks/verify.py), and every step is checked, so a worked rewrite may be up to this
    # ratio, or `worked_ceiling_chars`, whichever is more. Loops are caught by the degeneration test.
    worked_max_ratio: float = Field(8.0, gt=0.0)
    # A short closed answer ("Neil Young", "B", "positive") that the criteria ask to explain with
    # evidence grows to a paragraph or three: its contract check proves the answer is kept, so up
    # to this many characters is within the upper bound (instead of `short_ceiling_chars`).
    closed_ceiling_chars: int = Field(1500, ge=0)
    worked_ceiling_chars: int = Field(2000, ge=0)
    # A list answer whose criteria ask to explain each item grows by about a sentence per item
    # ("- Moss: a small plant that ..."): a bare list of 21 words may become 21 explained items.
    # The list check proves every item is kept; the upper bound is at least the original plus
    # this many characters per item.
    list_item_chars: int = Field(150, ge=0)

    # --- leaked prompt text --------------------------------------------------------------------
    # Extra literal markers (case-insensitive) that must not appear in a rewrite unless they
    # already appear in the original or the instruction; the pipeline passes the section
    # headings of its prompt templates here.
    extra_leak_markers: list[str] = Field(default_factory=list)
    # Turn the built-in marker list off (only `extra_leak_markers` are then used).
    builtin_leak_markers: bool = True

    # --- labels --------------------------------------------------------------------------------
    # Label vocabulary override: when set, these labels (and "not <label>") are the only ones
    # the label check knows, instead of the built-in families plus labels read from the
    # instruction.
    labels: list[str] | None = None

    # --- math ----------------------------------------------------------------------------------
    # A decimal written with at least this many places that equals the reference rounded to
    # those places counts as the same answer (1/3 vs "0.33"). 0 disables rounding tolerance.
    math_round_min_places: int = Field(2, ge=0)

    # --- code ----------------------------------------------------------------------------------
    # Tasks whose point is changing code: the code check does not apply to them.
    code_exempt_tasks: list[str] = Field(
        default_factory=lambda: ["code_correction", "code_simplification", "code_to_code_translation"]
    )

    # --- refusal -------------------------------------------------------------------------------
    # Also fail when an original that declines the request is rewritten into one that no longer
    # declines (the "rejecting" task keeps its refusal).
    refusal_both_ways: bool = True

    # --- language ------------------------------------------------------------------------------
    # Fewer letters than this (outside code) in either text: the language check does not apply.
    language_min_letters: int = Field(40, ge=1)
