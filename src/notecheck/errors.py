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
