"""A progress bar for sweeps (rich, on stderr): chunks, configuration-steps per second, time left.

>>> with SweepProgress(total_chunks=4, total_work=400, quiet=True) as bar:
...     bar.advance(100)
"""

from __future__ import annotations

import sys


class SweepProgress:
    """Context manager; ``advance(config_steps)`` after each finished chunk."""

    def __init__(self, total_chunks: int, total_work: int, done_chunks: int = 0,
                 done_work: int = 0, quiet: bool = False):
        self.total_chunks, self.done_chunks = total_chunks, done_chunks
        self.total_work, self.done_work = total_work, done_work
        self.quiet = quiet
        self._bar = None

    def __enter__(self):
        if self.quiet:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text("-- cfg-steps/s" if not speed else f"{speed:.3g} cfg-steps/s")

        self._bar = Progress(
            TextColumn("sweep"), BarColumn(), TextColumn("{task.fields[chunks]} chunks"),
            Rate(), TimeElapsedColumn(), TextColumn("remaining"), TimeRemainingColumn(),
            console=Console(file=sys.stderr), speed_estimate_period=300.0)
        self._bar.__enter__()
        self._task = self._bar.add_task("sweep", total=self.total_work,
                                        completed=self.done_work, chunks=self._chunks())
        return self

    def _chunks(self) -> str:
        return f"{self.done_chunks}/{self.total_chunks}"

    def advance(self, work: int) -> None:
        self.done_chunks += 1
        self.done_work += work
        if self._bar is not None:
            self._bar.update(self._task, advance=work, chunks=self._chunks())

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
