"""The published JSON Schema of the output record (``record.schema.json``, shipped in the package)."""

from __future__ import annotations

import json
from importlib import resources


def record_schema_text() -> str:
    return resources.files(__name__).joinpath("record.schema.json").read_text(encoding="utf-8")


def record_schema() -> dict:
    return json.loads(record_schema_text())
