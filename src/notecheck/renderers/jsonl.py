"""JSON lines (one record per note, written as it goes) and a JSON list."""

from __future__ import annotations

from typing import TextIO

import orjson

from ..models import NoteResult, to_record


class JsonLinesRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.stream = stream
        self.include_text = include_text

    def write(self, result: NoteResult) -> None:
        # one write per record, so a killed run can leave at most one torn last line
        self.stream.write(orjson.dumps(to_record(result, self.include_text)).decode() + "\n")

    def close(self) -> None:
        self.stream.flush()


class JsonRenderer(JsonLinesRenderer):
    def __init__(self, stream: TextIO, include_text: bool = True):
        super().__init__(stream, include_text)
        self.first = True
        stream.write("[")

    def write(self, result: NoteResult) -> None:
        self.stream.write(("\n" if self.first else ",\n") + orjson.dumps(to_record(result, self.include_text)).decode())
        self.first = False

    def close(self) -> None:
        self.stream.write("\n]\n")
        self.stream.flush()
