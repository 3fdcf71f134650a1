"""One error family for notecheck. The library raises; only the CLI prints and exits.

Every error has a stable short code (``E001``...) and a message that says what happened,
why, and how to fix it. Messages never contain note text.
"""

from __future__ import annotations


class NotecheckError(Exception):
    """Base class: ``code`` is stable across releases, ``message`` is for people."""

    code = "E000"
    exit_code = 2  # the CLI's exit code: 2 for what the user can fix in the command or the rules

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class RuleFileError(NotecheckError):
    """A file under patterns/ is missing, is not valid YAML, or breaks the schema."""

    code = "E001"


class ClaimSyntaxError(NotecheckError):
    """A billed-code string does not follow ``CODE[-MOD...][ xUNITS]`` claim-line syntax."""

    code = "E002"


class InputError(NotecheckError):
    """An input path or export cannot be used at all (not found, unknown format, bad column)."""

    code = "E003"


class UnknownCodeError(NotecheckError):
    """A CPT code asked for by name has no rule file."""

    code = "E004"


class OutputError(NotecheckError):
    """The output cannot be written (no such folder, no permission, disk full), or would overwrite an input."""

    code = "E005"
    exit_code = 3


class ResumeFileError(NotecheckError):
    """The ``--resume`` file is not a JSONL output of notecheck; it is left untouched."""

    code = "E006"


class InternalError(NotecheckError):
    """notecheck itself failed. The message names the file and the exception type only, never note text."""

    code = "E099"
    exit_code = 3


class SparkUnavailableError(NotecheckError):
    """pyspark is not installed, or Spark (Java) cannot start."""

    code = "E010"


class ServeError(NotecheckError):
    """The service cannot start: a missing package, an unreadable token file, a port in use."""

    code = "E011"


# The ``error.kind`` of an error record (``status: "error"``): one line each, as the README lists them.
ERROR_KINDS: dict[str, str] = {
    "not_found": "the file does not exist (or a link points nowhere)",
    "unreadable": "the file cannot be opened or read (permissions, corrupt gzip or Parquet data)",
    "not_a_file": "a named pipe, socket or device met in a folder: never opened, as it could block",
    "symlink_loop": "a symbolic link that leads back to itself or to a folder being walked",
    "too_deep": "a folder nested too far down, or a JSON value nested too deep to decode",
    "unsupported": "a file type notecheck does not read (.xlsx, .docx, .pdf ...)",
    "empty": "an empty or blank file, field or folder, or an export with no rows",
    "binary": "a file that is not text",
    "encoding": "bytes that do not fit the file's encoding, or characters that are not valid Unicode",
    "too_large": "a note, row or line over --max-note-bytes (or the row limit derived from it)",
    "malformed_row": "a row or line that cannot be parsed: bad quoting, wrong field count, not a JSON object",
    "missing_column": "no note text column, or a named column that is not there",
    "truncated": "compressed data that ends early",
    "bad_code": "billed codes that do not follow claim-line syntax",
    "internal": "notecheck failed on this note (a bug: please report it)",
    "worker_died": "the worker process checking this note died twice (killed, or out of memory)",
}
