"""The progress bar on stderr: notes done and notes/s. It never shows note text or ids."""

from __future__ import annotations

import contextlib
import sys


def progress_bar(enabled: bool):
    """A live bar on stderr when ``enabled`` and stderr is a terminal; else a context yielding None
    (rich is imported only for a bar)."""
    if not enabled or not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class SpeedColumn(ProgressColumn):
        """Notes per second; rich has no speed until two updates have been seen, so show a dash till then."""

        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("- notes/s" if speed is None else f"{speed:.0f} notes/s", style="progress.data.speed")

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
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
