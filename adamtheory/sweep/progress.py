"""Progress on stderr: a sweep's bar (rich: the compile stage, chunks, configuration-steps per
second, time left) and the per-figure progress of ``adamtheory figures`` (:class:`FigureProgress`).

>>> with SweepProgress(total_chunks=4, total_work=400, quiet=True) as bar:
...     bar.advance(100)
"""

from __future__ import annotations

import sys
import time


class SweepProgress:
    """Context manager; ``advance(config_steps)`` after each finished chunk.

    ``compiling`` (e.g. ``"compiling kernels for logreg-nonconvex"``): the bar's stage while the
    first chunk runs, when that chunk compiles the kernels (a cold kernel cache); it becomes
    ``sweep`` once a chunk is finished.
    """

    def __init__(self, total_chunks: int, total_work: int, done_chunks: int = 0,
                 done_work: int = 0, quiet: bool = False, compiling: str = ""):
        self.total_chunks, self.done_chunks = total_chunks, done_chunks
        self.total_work, self.done_work = total_work, done_work
        self.quiet = quiet
        self.stage = f"{compiling} ..." if compiling else "sweep"
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
            TextColumn("{task.fields[stage]}"), BarColumn(), TextColumn("{task.fields[chunks]} chunks"),
            Rate(), TimeElapsedColumn(), TextColumn("remaining"), TimeRemainingColumn(),
            console=Console(file=sys.stderr), speed_estimate_period=300.0)
        self._bar.__enter__()
        self._task = self._bar.add_task("sweep", total=self.total_work,
                                        completed=self.done_work, chunks=self._chunks(),
                                        stage=self.stage)
        return self

    def _chunks(self) -> str:
        return f"{self.done_chunks}/{self.total_chunks}"

    def advance(self, work: int) -> None:
        self.done_chunks += 1
        self.done_work += work
        self.stage = "sweep"
        if self._bar is not None:
            self._bar.update(self._task, advance=work, chunks=self._chunks(), stage=self.stage)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False


class FigureProgress:
    """Progress of ``adamtheory figures``, one figure at a time: which figure each worker group is
    computing or drawing, how many of the figures are done and the elapsed time.

    Events come from :meth:`event` (in the parent process; the worker processes' events are
    forwarded to it). With ``live`` a rich progress bar on stderr (a terminal), else one plain
    line per event through ``echo`` (CI logs).

    >>> lines = []
    >>> with FigureProgress(["a", "b"], echo=lines.append) as fp:
    ...     fp.event("compute", "a", "g1")
    ...     fp.event("computed", "a", "g1", 1.5)
    ...     fp.event("draw", "a", "g1")
    ...     fp.event("drawn", "a", "g1", 0.5)
    >>> fp.done, fp.seconds["a"]
    (1, 2.0)
    """

    STAGES = {"compute": "computing", "draw": "drawing"}

    def __init__(self, keys, echo=print, live: bool = False, prefix: str = "adamtheory figures"):
        self.keys = list(keys)
        self.echo, self.live, self.prefix = echo, live, prefix
        self.seconds = {k: 0.0 for k in self.keys}
        self.done = 0
        self._running: dict = {}  # (key, group) -> text
        self._t0 = time.perf_counter()
        self._bar = None

    def __enter__(self):
        self._t0 = time.perf_counter()
        if not self.live:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(SpinnerColumn(), TextColumn("figures"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(),
                             TextColumn("{task.fields[now]}"),
                             console=Console(file=sys.stderr), redirect_stderr=False,
                             redirect_stdout=False)
        self._bar.__enter__()
        self._task = self._bar.add_task("figures", total=len(self.keys), now="starting")
        return self

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0

    def event(self, kind: str, key: str, group: str = "", seconds: float | None = None) -> None:
        """Record one event of figure ``key`` in worker group ``group``: ``"compute"`` or
        ``"draw"`` (started), ``"computed"`` or ``"drawn"`` (finished after ``seconds``; a
        figure is done when it is drawn)."""
        where = f" [{group}]" if group else ""
        if kind in self.STAGES:
            text = f"{self.STAGES[kind]} ({key}){where}"
            self._running[(key, group)] = text
            self._show(text + " ...")
            return
        self._running.pop((key, group), None)
        self.seconds[key] = self.seconds.get(key, 0.0) + float(seconds or 0.0)
        if kind == "drawn":
            self.done += 1
            self._show(f"({key}) done in {self.seconds[key]:.1f} s", advance=1)
        elif kind == "computed" and not self.live:
            self._show(f"computed ({key}){where} in {float(seconds or 0.0):.1f} s")

    def _show(self, text: str, advance: int = 0) -> None:
        if self._bar is not None:
            now = "; ".join(self._running.values()) or text
            self._bar.update(self._task, advance=advance, now=now)
            if advance:
                self._bar.console.print(f"{self.prefix}: {text}")
        else:
            self.echo(f"{self.prefix}: [{self.done:>2}/{len(self.keys)}, "
                      f"{self.elapsed():6.1f} s] {text}")

    def summary(self) -> str:
        """One line: the seconds of every figure (compute in each group + draw)."""
        return "seconds per figure: " + ", ".join(f"({k}) {self.seconds[k]:.1f}"
                                                   for k in self.keys)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
