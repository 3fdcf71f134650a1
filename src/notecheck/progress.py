"""The progress bar on stderr: notes done and notes/s. It never shows note text or ids."""

from __future__ import annotations

import contextlib
import sys

MIN_SECONDS = 0.5  # the rate is shown from then on


def rate(completed: int, elapsed: float | None) -> str:
    """Notes per second since the start. Results come in batches, so rich's own speed (over its last few
    updates) jumped to tens of thousands a second at the end of a batch; a dash for the first half second."""
    if not elapsed or elapsed < MIN_SECONDS:
        return "- notes/s"
    return f"{completed / elapsed:.0f} notes/s"


def progress_bar(enabled: bool):
    """A live bar on stderr when ``enabled`` and stderr is a terminal; else a context yielding None
    (rich is imported only for a bar)."""
    if not enabled or not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class SpeedColumn(ProgressColumn):
        def render(self, task) -> Text:
            return Text(rate(task.completed, task.elapsed), style="progress.data.speed")

    # the number of notes is not known before they are read (exports are streamed): a count, not "N/?"
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} notes"),
                    SpeedColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True)


class WithProgress:
    """A renderer that advances ``bar`` as results come, and takes the bar off the terminal before the
    wrapped renderer prints (the table goes to the same terminal)."""

    def __init__(self, renderer, bar):
        self.renderer, self.bar = renderer, bar
        self.task = bar.add_task("checking", total=None) if bar is not None else None
        self.include_text = getattr(renderer, "include_text", True)
        if hasattr(renderer, "write_line"):  # JSON records given as text (see scan.scan)
            self.write_line = self._write_line

    def write(self, result) -> None:
        self.renderer.write(result)
        if self.bar is not None:
            self.bar.advance(self.task)

    def _write_line(self, line: str) -> None:
        self.renderer.write_line(line)
        if self.bar is not None:
            self.bar.advance(self.task)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        self.renderer.close()
