"""Input readers (format detection, field mapping) and exporters."""

from __future__ import annotations

from realign.io.exporters import EXPORT_FORMATS, export_examples
from realign.io.readers import FORMATS, count_rows, detect_format, parse_hf_spec, read_examples

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "count_rows",
    "detect_format",
    "export_examples",
    "parse_hf_spec",
    "read_examples",
]
