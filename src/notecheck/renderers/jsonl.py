"""JSON lines (one record per note, written as it goes) and a JSON list."""

from __future__ import annotations

from typing import TextIO

import orjson

from ..models import NoteResult, to_record


def json_line(result: NoteResult, include_text: bool = True) -> str:
    """A result's record as the JSON writers write it (without a line break)."""
    return orjson.dumps(to_record(result, include_text)).decode()


class JsonLinesRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.stream = stream
        self.include_text = include_text

    def write(self, result: NoteResult) -> None:
        self.write_line(json_line(result, self.include_text))

    def write_line(self, line: str) -> None:
        """One record given as its JSON text (``check.json_line``)."""
        # one write per record, so a killed run can leave at most one torn last line
        self.stream.write(line + "\n")

    def close(self) -> None:
        self.stream.flush()


class JsonRenderer(JsonLinesRenderer):
    def __init__(self, stream: TextIO, include_text: bool = True):
        super().__init__(stream, include_text)
        self.first = True
        stream.write("[")

    def write_line(self, line: str) -> None:
        self.stream.write(("\n" if self.first else ",\n") + line)
        self.first = False

    def close(self) -> None:
        self.stream.write("\n]\n")
        self.stream.flush()
