"""losses.csv for a training run: one row per step, flushed as it goes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from vidstyle.atomic import atomic_output


class LossLog:
    """Appended and flushed each step, so a killed run keeps its curve; a resumed run continues the same file."""

    def __init__(self, path: Path, *, after_step: int = 0) -> None:
        self.path = path
        self.after_step = after_step
        # Step 1's total, from this run or the one it resumes: the model card's first_total.
        self.first_total: float | None = None
        self.handle: TextIO | None = None
        self.writer: csv.DictWriter[str] | None = None

    def write(self, record: dict[str, float]) -> None:
        if self.writer is None:
            fields = list(record)
            old = self._read() if self.path.exists() else None
            if old is not None:
                # A resumed run may add terms (stability switched on), and a run killed after its
                # last checkpoint logged steps it will now redo: rewrite once, with the union of
                # columns and only the rows up to the resumed step.
                fields = list(dict.fromkeys(old[0] + fields))
                kept = [row for row in old[1] if float(row.get("step") or 0) <= self.after_step]
                if kept and kept[0].get("total"):
                    self.first_total = float(kept[0]["total"])
                with atomic_output(self.path) as tmp, open(tmp, "w", newline="") as handle:
                    rewriter = csv.DictWriter(handle, fieldnames=fields)
                    rewriter.writeheader()
                    rewriter.writerows(kept)
            handle = self.path.open("a", newline="")
            self.handle = handle
            self.writer = csv.DictWriter(handle, fieldnames=fields, restval="")
            if old is None:
                self.writer.writeheader()
        if self.first_total is None and "total" in record:
            self.first_total = float(record["total"])
        self.writer.writerow(record)
        assert self.handle is not None
        self.handle.flush()

    def _read(self) -> tuple[list[str], list[dict[str, str]]] | None:
        with self.path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return (list(reader.fieldnames), rows) if reader.fieldnames else None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
