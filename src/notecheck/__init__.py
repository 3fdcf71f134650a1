"""notecheck: documentation-completeness checking for nerve-destruction and chemodenervation notes."""

from . import lazy  # before spaCy and medspaCy: their parts notecheck never uses load when asked for

# isort: split

with lazy.gc_paused(freeze=True):  # modules live as long as the process: collections need not walk them
    from .check import Checker
    from .errors import NotecheckError
    from .models import ELEMENTS, NoteInput, NoteResult, to_record
    from .rules import load_rules

__version__ = "0.1.0"
__all__ = ["Checker", "NotecheckError", "ELEMENTS", "NoteInput", "NoteResult", "to_record", "load_rules", "check_text", "context_of"]

_DEFAULT: Checker | None = None


def check_text(text: str, codes: str | None = None) -> NoteResult:
    """Check one note with the shipped rule pack (the pipeline is built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Checker()
    return _DEFAULT.check(text, codes=codes)


def context_of(text: str, spans) -> list[frozenset[str]]:
    """For each ``(start, end)`` character span of ``text``, the set of context reasons that apply to it as a
    clinical finding, a subset of ``negated``, ``historical``, ``hypothetical``, ``planned``,
    ``other_experiencer`` (empty: affirmed, current, the patient's), with the shipped rule pack.

        >>> context_of("No fever. Her mother had breast cancer.", [(3, 8), (25, 38)])
        [frozenset({'negated'}), frozenset({'other_experiencer'})]
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Checker()
    return _DEFAULT.context_of(text, spans)
