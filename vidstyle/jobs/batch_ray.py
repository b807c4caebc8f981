"""The Ray side of `vidstyle batch`: connect (or start Ray here), size the workers, run one row
per file through BatchWorker actors with Ray Data, and keep one progress bar over files and
frames. Only stylize_batch imports this module, so nothing else in vidstyle loads Ray."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ray

from ..errors import MediaError, VidstyleError
from ..media.options import Trim
from ..media.probe import probe
from ..progress import progress_bar
from .batch_rows import BatchItem, BatchRow
from .batch_worker import NOTE_SEPARATOR, BatchWorker
from .ray_session import FrameCounter, connect, mute_ray_data_console, shut_down
from .video_options import VideoOptions

log = logging.getLogger("vidstyle")

POLL_SECONDS = 1.0  # how often the frame count is read for the bar
# Ray Data would restart a dead worker and retry its file forever, so one file that kills its
# worker (out of memory, a crash in a decoder) would never let the run end. Instead the run
# stops, the files without a row are reported as failed, and running again resumes. Ray 2.60
# takes this only as a deprecated extra keyword (gone in 2.64: the [scale] extra stops before it).
_NO_RESTARTS: dict[str, Any] = {"max_restarts": 0}


@dataclass(frozen=True)
class Workers:
    count: int
    gpus: float  # per worker
    cpus: float  # per worker, as Ray reserves them; torch gets as many threads


def run_on_ray(
    todo: Sequence[BatchItem],
    options: VideoOptions,
    *,
    address: str,
    workers: int | None,
    gpus_per_worker: float | None,
    overwrite: bool,
    progress: bool,
) -> Generator[BatchRow, None, None]:
    """Yield one row per file as the workers finish them (in any order). If Ray itself fails
    (a worker process dies, the cluster goes away), the files without a row yet fail with that."""
    started_here = connect(address)
    since = time.time() - 1.0  # a second's slack for file systems with coarse timestamps
    completed = False
    workers_seen: list[tuple[str, int]] = []
    try:
        plan = size_workers(workers, gpus_per_worker, files=len(todo))
        log.info("ray: %d worker(s), %g GPU and %g CPU each", plan.count, plan.gpus, plan.cpus)
        counter = FrameCounter.remote()  # type: ignore[attr-defined]
        yield from _run(todo, plan, counter, workers_seen, options, overwrite=overwrite, progress=progress, since=since)
        completed = True
    finally:
        if started_here:
            shut_down(todo, workers_seen, since=since, completed=completed)


def size_workers(workers: int | None, gpus_per_worker: float | None, *, files: int | None = None) -> Workers:
    """By default one worker per GPU when the cluster has GPUs, else one worker using a whole node;
    never more workers than `files` (each would load the model for nothing)."""
    total = ray.cluster_resources()
    gpus = float(total.get("GPU", 0))
    per_gpu = (1.0 if gpus else 0.0) if gpus_per_worker is None else float(gpus_per_worker)
    if per_gpu > 0 and gpus == 0:
        raise VidstyleError("the Ray cluster has no GPUs; pass --gpus-per-worker 0 to run on CPUs")
    count = workers if workers is not None else (max(1, int(gpus // per_gpu)) if per_gpu else 1)
    count = min(count, files) if files else count
    if per_gpu * count > gpus:
        raise VidstyleError(
            f"{count} worker(s) x {per_gpu:g} GPU need more than the cluster's {gpus:g} GPU(s); lower --workers"
        )
    if per_gpu:
        return Workers(count, per_gpu, 1.0)  # the net runs on the GPU; the CPU decodes and encodes
    node_cpus = max((float(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")), default=1.0)
    share = min(node_cpus, float(total.get("CPU", 1)) / count)
    # Ray takes fractions of a CPU only below one; above, whole CPUs.
    return Workers(count, 0.0, float(int(share)) if share >= 1 else share)


def _run(
    todo: Sequence[BatchItem],
    plan: Workers,
    counter: Any,
    workers_seen: list[tuple[str, int]],
    options: VideoOptions,
    *,
    overwrite: bool,
    progress: bool,
    since: float,
) -> Iterator[BatchRow]:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # one bar for the whole run, ours
    # Nor Ray Data's lines per stage and tracebacks: failures come back in rows, or as one line.
    mute_ray_data_console()
    # Workers run in folders of their own (on other machines, too): they get absolute paths.
    pending = {os.path.abspath(item.input): item for item in todo}
    rows = ray.data.from_items(
        [{"input": path, "output": os.path.abspath(item.output)} for path, item in pending.items()],
        override_num_blocks=len(todo),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        results = _map(rows, plan, options, overwrite=overwrite, counter=counter)
    finished: queue.Queue[dict[str, Any] | BaseException | None] = queue.Queue()

    def collect() -> None:
        try:
            for row in results.iter_rows():
                finished.put(row)
        except BaseException as exc:  # noqa: BLE001  handed to the caller's thread
            finished.put(exc)
        finally:
            finished.put(None)

    # A trim keeps only part of each file, so the headers' frame counts would overstate the work.
    known = progress and options.trim == Trim()
    bar = progress_bar(total=_frame_total(todo) if known else None, enabled=progress, unit="frame", desc="batch")
    counted = 0
    threading.Thread(target=collect, name="vidstyle-batch-results", daemon=True).start()
    try:
        while True:
            got = _next_result(finished)
            with contextlib.suppress(Exception):  # kept for a stop, when Ray may no longer answer
                workers_seen[:] = ray.get(counter.worker_processes.remote(), timeout=5)
            if progress:
                now = ray.get(counter.total.remote())
                bar.update(now - counted)
                counted = now
            if got is _NOTHING:
                continue
            if got is None:
                break
            if isinstance(got, BaseException):
                reason = f"not finished: Ray failed: {' '.join(str(got).split())[:300]}"
                log.error("%s", reason)
                for item in pending.values():
                    yield row_without_result(item, reason, since=since)
                return
            item = pending.pop(str(got["input"]))
            row = _row(got, item)
            bar.set_postfix_str(f"{len(todo) - len(pending)}/{len(todo)} files", refresh=False)
            if row.status == "failed":
                log.warning("%s failed: %s", row.input, row.error)
            yield row
    finally:
        bar.close()


_NOTHING: Any = object()


def _next_result(finished: queue.Queue[Any]) -> Any:
    """The next result, or _NOTHING after POLL_SECONDS. It polls and sleeps rather than blocking
    in Queue.get: a Ctrl-C or SIGTERM that lands inside Queue.get's condition wait can surface
    as "RuntimeError: release unlocked lock" instead of the interrupt."""
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        try:
            return finished.get_nowait()
        except queue.Empty:
            if time.monotonic() >= deadline:
                return _NOTHING
            time.sleep(0.05)


def _map(rows: Any, plan: Workers, options: VideoOptions, *, overwrite: bool, counter: Any) -> Any:
    return rows.map_batches(
        BatchWorker,
        batch_size=1,
        fn_constructor_args=(options,),
        fn_constructor_kwargs={"overwrite": overwrite, "threads": max(1, int(plan.cpus)), "progress": counter},
        # A file waits for a free worker rather than in a busy worker's queue: files take
        # seconds to hours, and a queue would leave workers idle at the end.
        compute=ray.data.ActorPoolStrategy(size=plan.count, max_tasks_in_flight_per_actor=1),
        num_gpus=plan.gpus,
        num_cpus=plan.cpus,
        **_NO_RESTARTS,
    )


def row_without_result(item: BatchItem, reason: str, *, since: float) -> BatchRow:
    """The row of a file whose result Ray lost when it failed. Outputs are renamed into place
    only once complete, so one written since the run began is a finished file, not a failure."""
    try:
        written = item.output.stat().st_mtime >= since
    except OSError:
        written = False
    if written:
        return BatchRow(
            str(item.input),
            str(item.output),
            "done",
            notes=["finished, but its frame count and fps were lost when Ray failed"],
        )
    return BatchRow(str(item.input), str(item.output), "failed", error=reason)


def _row(raw: dict[str, Any], item: BatchItem) -> BatchRow:
    """A worker's row, with the paths spelled as the caller gave them."""
    return BatchRow(
        input=str(item.input),
        output=str(item.output),
        status=raw["status"],
        frames=int(raw["frames"]),
        fps=float(raw["fps"]),
        seconds=float(raw["seconds"]),
        notes=[n for n in str(raw["notes"]).split(NOTE_SEPARATOR) if n],
        error=str(raw["error"]) or None,
        worker_peak_rss_mb=float(raw["worker_peak_rss_mb"]),
    )


def _frame_total(todo: Sequence[BatchItem]) -> int | None:
    """The bar's length: each file's frame count from its header (a file that cannot be read
    adds nothing here; its worker reports why)."""
    total = 0
    for item in todo:
        try:
            total += probe(item.input).frame_count or 0
        except MediaError:
            pass
    return total or None
