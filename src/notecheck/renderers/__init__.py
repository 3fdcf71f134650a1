"""One renderer per output format, chosen from ``RENDERERS``.

A renderer is built with the output stream and ``include_text`` (False for --no-text), takes
results one at a time with ``write`` and finishes with ``close``. JSONL streams; the others
need the whole run (sorting, a summary) and keep only what they print.
"""

from __future__ import annotations

from .csv_queue import CsvRenderer
from .jsonl import JsonLinesRenderer, JsonRenderer
from .table import TableRenderer

RENDERERS = {
    "jsonl": JsonLinesRenderer,
    "json": JsonRenderer,
    "csv": CsvRenderer,
    "table": TableRenderer,
}

try:  # the HTML report is optional until its module lands
    from .html import HtmlRenderer

    RENDERERS["html"] = HtmlRenderer
except ImportError:  # pragma: no cover
    pass

__all__ = ["RENDERERS"]
