"""Progress of long work: units done, time spent and time left.

Two readers, two outlets. A notebook gets a line on stderr per tenth of the work,
so rendered notebooks stay short. A person watching `make all` gets a line at
most every `every` seconds appended to the file named by $COMMUNITY_SCALING_PROGRESS
(the Makefile sets it and shows the file on the terminal while papermill runs,
because papermill keeps the kernel's output away from the terminal).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

PROGRESS_ENV = "COMMUNITY_SCALING_PROGRESS"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Report `done` of `total` items of `label` work, with an estimate of the time left."""

    def __init__(self, total: int, label: str = "sweep", every: float = 10.0, clock=time.perf_counter):
        self.total, self.label, self.every, self.clock = total, label, every, clock
        self.started = clock()
        self.last_file_line = -float("inf")
        self.step = max(1, total // 10)
        target = os.environ.get(PROGRESS_ENV)
        self.file = Path(target) if target else None

    def line(self, done: int) -> str:
        elapsed = self.clock() - self.started
        left = elapsed / done * (self.total - done) if done else float("nan")
        remaining = f", about {_duration(left)} left" if done and done < self.total else ""
        return f"{self.label}: {done}/{self.total} units done, {_duration(elapsed)}{remaining}"

    def update(self, done: int) -> None:
        text = None
        if done % self.step == 0 or done == self.total:
            text = self.line(done)
            print(text, file=sys.stderr, flush=True)
        now = self.clock()
        if self.file and (done == self.total or done == 1 or now - self.last_file_line >= self.every):
            self.last_file_line = now
            self._append(text or self.line(done))

    def _append(self, text: str) -> None:
        try:
            with open(self.file, "a") as handle:
                handle.write(text + "\n")
        except OSError:  # progress is a courtesy: a missing folder never stops the work
            pass
