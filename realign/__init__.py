"""realign: reformat instruction-tuning responses against per-task criteria, verified and stored."""

__version__ = "0.1.0"
