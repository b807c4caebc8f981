"""The Ray session of `vidstyle batch`: join or start Ray, count frames and workers, and shut
down so that a stopped run leaves no worker process or temp file behind."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import ray

from ..atomic import leftover_temp_files
from ..errors import VidstyleError
from .batch_rows import BatchItem
from .ray_autoinit import disable_auto_init

log = logging.getLogger("vidstyle")

# Ray started here: the rows are file names, never frames (each worker reads and writes its
# files itself), so a small object store is plenty, and the dashboard would only cost memory.
LOCAL_OPTIONS: dict[str, Any] = {"include_dashboard": False, "object_store_memory": 128 * 2**20}
# The signals the CLI stops on besides Ctrl-C (it treats SIGHUP as SIGTERM): ray.init() replaces
# SIGTERM's handler, and each must be the caller's again once Ray is up.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
# In the environment of every process of a Ray started here (see _marked), so that all of them,
# orphans included, can be ended when the run stops.
OWNER_VARIABLE = "VIDSTYLE_RAY_OWNER"
_started_mark: str | None = None  # the mark of the Ray this process started and has not shut down


@ray.remote(num_cpus=0)
class FrameCounter:
    """Frames encoded so far, across all workers: a file can take minutes, so the bar moves by
    frames, not only when a file ends. Workers also register here, so that a stopped run can
    end the ones on this machine (see shut_down)."""

    def __init__(self) -> None:
        self.frames = 0
        self.workers: set[tuple[str, int]] = set()

    def add(self, frames: int) -> None:
        self.frames += frames

    def total(self) -> int:
        return self.frames

    def register(self, host: str, pid: int) -> None:
        self.workers.add((host, pid))

    def worker_processes(self) -> list[tuple[str, int]]:
        return sorted(self.workers)


def shut_down(todo: Sequence[BatchItem], workers: list[tuple[str, int]], *, since: float, completed: bool) -> None:
    """Stop the Ray this run started, and leave no worker or temp file behind when the run was
    stopped or failed. `workers` are those that registered, as last read while Ray was well:
    a Ctrl-C or SIGTERM sent to the whole process group has hit Ray's own processes too, and a
    Ray call now may never return, so the workers and their files go before Ray is asked anything."""
    if not completed:
        for pid in local_pids(workers):  # a worker can outlive its raylet by seconds, still encoding
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        remove_temp_files(todo, since=since, grace_seconds=1.0)
    disable_auto_init()  # the results thread may still be inside Ray Data
    mute_ray_data_console()  # again, in case Ray Data set its loggers up anew since the run began
    # ray.shutdown() ends the processes it knows of; an agent or worker whose raylet died first
    # (by the shutdown itself, or by a SIGTERM to the process group) could outlive the run by a minute.
    global _started_mark
    started = ray_processes(_started_mark)
    ray.shutdown()
    end_processes(started, _started_mark)
    _started_mark = None
    remove_temp_files(todo, since=since, grace_seconds=0.0 if completed else 1.0)


def mute_ray_data_console() -> None:
    """Ray Data prints a traceback on stderr for each call that fails. On a stop, the workers die
    first and the results thread logs "ActorDiedError" and Ray's out-of-memory advice two or
    three times before the "interrupted" line; after a worker crash, the same tracebacks repeat
    what the run's one "Ray failed" line says. Our bar, the rows and that line say what happens,
    so Ray Data's console handlers are raised out of reach for the rest of the process; its log
    files in the Ray session folder keep every record."""
    import ray.data  # noqa: F401  (it sets its handlers up when imported: they must exist first)

    for handler in logging.getLogger("ray.data").handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.CRITICAL + 1)


def local_pids(workers: list[tuple[str, int]]) -> list[int]:
    """The registered workers that run on this machine."""
    return [pid for host, pid in workers if host == socket.gethostname() and pid != os.getpid()]


def remove_temp_files(todo: Sequence[BatchItem], *, since: float, grace_seconds: float = 2.0) -> None:
    """Shutting Ray down (on Ctrl-C, or after a worker died) kills the workers outright, so a file
    in progress keeps its hidden temp file unless it is removed here. A worker can outlive
    ray.shutdown() by a moment and still open one, so the folders are watched a little longer."""
    deadline = time.monotonic() + grace_seconds
    while True:
        for item in todo:
            for leftover in leftover_temp_files(item.output, since=since):
                leftover.unlink(missing_ok=True)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.1)


@contextlib.contextmanager
def native_stderr_muted() -> Iterator[None]:
    """Ray's C++ client writes a line a second to file descriptor 2 while it retries an address
    that does not answer; the one error line after it says the same. Only for ray.init()."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


REACH_SECONDS = 10.0  # to open a TCP connection to a cluster's address, before Ray is asked


def check_reachable(address: str) -> None:
    """One line, within seconds, when nothing listens at a cluster address: Ray's client retries
    such an address for minutes (it was still trying after 400 s) before it gives up."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # not host:port; Ray says what is wrong with it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=REACH_SECONDS).close()
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or type(exc).__name__
        raise VidstyleError(
            f"cannot join Ray at {address!r}: nothing answers there ({reason}); "
            "start the cluster, or leave out --ray to run Ray on this machine"
        ) from None


def connect(address: str) -> bool:
    """Join or start Ray; True when this call started it (and so must shut it down). A program
    that already called ray.init() keeps its session."""
    global _started_mark
    if ray.is_initialized():
        return False
    # Our own bar and table say what happens; Ray's driver logs and notices and the workers'
    # output would bury them (a file's failure comes back in its row).
    quiet: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    # ray.init() puts its own SIGTERM handlers in (one aborts the process with a stack dump),
    # which would skip every clean-up; the caller's handlers go back once Ray is up.
    on_main = threading.current_thread() is threading.main_thread()
    handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS} if on_main else {}
    mark = f"{os.getpid()}-{time.time_ns()}"
    if address not in ("auto", "local") or os.environ.get("RAY_ADDRESS"):
        log.info("joining the Ray cluster at %s", address if address != "auto" else os.environ["RAY_ADDRESS"])
    try:
        with native_stderr_muted(), _marked(mark):
            if address == "auto" and not os.environ.get("RAY_ADDRESS"):
                try:
                    ray.init(address="auto", **quiet)
                except ConnectionError:  # no cluster running on this machine
                    ray.init(address="local", **LOCAL_OPTIONS, **quiet)
            elif address == "local":
                ray.init(address="local", **LOCAL_OPTIONS, **quiet)
            else:
                if address != "auto":
                    check_reachable(address)
                ray.init(address=None if address == "auto" else address, **quiet)
    except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
        _abandon(mark)
        where = os.environ.get("RAY_ADDRESS", "") if address == "auto" else address
        raise VidstyleError(f"cannot start or join Ray at {where!r}: {' '.join(str(exc).split())[:300]}") from None
    except BaseException as exc:
        # A Ctrl-C or SIGTERM while Ray starts: nobody would shut down what it has started so
        # far, and its agents would wait a minute for the GCS before they gave up.
        _abandon(mark)
        ours = handlers.get(signal.SIGTERM)
        if isinstance(exc, SystemExit) and exc.code == signal.SIGTERM and callable(ours):
            ours(signal.SIGTERM, None)  # Ray's handler (sys.exit) had the caller's SIGTERM
        raise
    finally:
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)
    _started_mark = mark
    return True


@contextlib.contextmanager
def _marked(mark: str) -> Iterator[None]:
    """The processes ray.init() starts inherit the driver's environment, and the raylet passes
    its own on to the agents and workers it starts: all of them carry `mark`."""
    before = os.environ.get(OWNER_VARIABLE)
    os.environ[OWNER_VARIABLE] = mark
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(OWNER_VARIABLE, None)
        else:
            os.environ[OWNER_VARIABLE] = before


def _abandon(mark: str) -> None:
    """After a failed or interrupted start: let go of whatever part of Ray came up."""
    started = ray_processes(mark)
    if ray.is_initialized():
        with contextlib.suppress(Exception):
            ray.shutdown()
    end_processes(started, mark)


def ray_processes(mark: str | None) -> list[Any]:
    """The processes on this machine that carry `mark` (see _marked), with their children: the
    raylet's agents hide their environment once they have set their process titles, so they are
    found as its children, which they are only while it lives. List them before Ray is shut
    down: ray.shutdown() ends the raylet, and agents still starting then live on as orphans for
    a minute (they wait that long for the GCS before they give up)."""
    if mark is None:
        return []
    import psutil

    family: dict[int, psutil.Process] = {}
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.pid != os.getpid() and process.environ().get(OWNER_VARIABLE) == mark:
                family.update({p.pid: p for p in (process, *process.children(recursive=True))})
    return list(family.values())


def end_processes(processes: list[Any], mark: str | None) -> None:
    """Kill `processes` and every process that carries `mark`, until none is left: a raylet
    killed as it starts an agent leaves one more orphan (psutil checks that a pid was not reused)."""
    import psutil

    for _ in range(20):
        alive = []
        for process in processes + ray_processes(mark):
            with contextlib.suppress(psutil.Error):
                if process.status() != psutil.STATUS_ZOMBIE:  # a zombie is dead, waiting for its parent
                    alive.append(process)
                    process.kill()
        if not alive:
            return
        time.sleep(0.1)
