"""`vidstyle batch` as a library call: many video files, one row each, stylized by workers that
Ray schedules (on a cluster, or on this machine), each file through the ordinary stylize_video
with the same VideoOptions.

This module finds the files, plans their outputs, and writes the report; the Ray part is in
batch_ray (imported only when there is work for it), the worker in batch_worker and the rows
they pass in batch_rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ..atomic import atomic_output, check_not_an_input, made_outputs
from ..backends import runnable_model
from ..errors import VidstyleError
from ..media.codecs import CONTAINERS
from .batch_rows import BatchItem, BatchRow
from .video_options import VideoOptions

# What a folder or a pattern is searched for: the containers FFmpeg reads that people keep video in.
VIDEO_SUFFIXES = tuple(CONTAINERS) + (".avi", ".ts", ".mts", ".m2ts", ".flv", ".wmv", ".mpg", ".mpeg", ".3gp", ".ogv")
# An input whose container vidstyle cannot write keeps its name with this suffix instead.
FALLBACK_SUFFIX = ".mp4"
REPORT_NAME = "batch-report.json"
INSTALL_HINT = "pip install 'vidstyle[scale]'"


def stylize_batch(
    inputs: Sequence[str | os.PathLike[str]],
    output_dir: str | os.PathLike[str],
    options: VideoOptions | None = None,
    *,
    ray: str = "auto",
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    overwrite: bool = False,
    progress: bool = True,
    report: bool = True,
) -> list[BatchRow]:
    """Stylize every video found in `inputs` (files, folders searched recursively, glob patterns)
    into `output_dir`, mirroring the input tree, one Ray worker per `gpus_per_worker` GPUs.

    `ray`: "auto" joins the cluster in RAY_ADDRESS or one running on this machine, else starts
    Ray here; "local" always starts it here; anything else is a cluster address. A program that
    has already called ray.init() keeps its own session, whatever `ray` says.
    An output that exists is skipped unless `overwrite`, so running again resumes. A file that
    fails is a row with its error; the others go on. Every file is stylized as `options` say
    (stylize_video's). With `report`, batch-report.json is written into `output_dir`.
    Returns one row per file, in input order.
    """
    out_dir = _output_folder(output_dir)
    items = find_videos(inputs, out_dir)
    options = options or VideoOptions()
    _check(options, items)
    try:
        import ray as _  # noqa: F401  (only to say how to install it before any work)
    except ImportError:
        raise VidstyleError(f"`vidstyle batch` runs on Ray, which is not installed: {INSTALL_HINT}") from None
    todo = [item for item in items if overwrite or not item.output.exists()]
    rows = {item.input: BatchRow(str(item.input), str(item.output), "skipped") for item in items if item not in todo}
    # A folder this run makes goes again if the run fails before anything is in it.
    with made_outputs() as made:
        made.folder(out_dir)
        if todo:
            from .batch_ray import run_on_ray

            # closing(): a stop that lands here, between two rows, still shuts Ray down and removes
            # the workers' temp files before the folder is looked at, not whenever Python collects it.
            with contextlib.closing(
                run_on_ray(
                    todo,
                    options,
                    address=ray,
                    workers=workers,
                    gpus_per_worker=gpus_per_worker,
                    overwrite=overwrite,
                    progress=progress,
                )
            ) as finished:
                for row in finished:
                    rows[Path(row.input)] = row
    ordered = [rows[item.input] for item in items]
    if report:
        write_report(ordered, out_dir / REPORT_NAME)
    return ordered


def find_videos(inputs: Sequence[str | os.PathLike[str]], output_dir: Path) -> list[BatchItem]:
    """Each input file with its output: folders keep their tree below them, a pattern its tree
    below the part without wildcards, a named file its name. Hidden files (other runs' temp
    files) are left out. An output folder inside a folder that is searched is refused, as
    `vidstyle image` refuses it: a later run would take its results as inputs."""
    if not inputs:
        raise VidstyleError("no inputs given")
    found: dict[Path, tuple[Path, Path]] = {}  # resolved input -> (as spelled, path relative to the output folder)
    for spec in map(str, inputs):
        for file, relative in _expand(spec, output_dir):
            found.setdefault(file.resolve(), (file, relative))
    if not found:
        raise VidstyleError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) found in {' '.join(map(str, inputs))}")
    items: list[BatchItem] = []
    taken: dict[Path, Path] = {}
    for file, relative in found.values():
        suffix = relative.suffix if relative.suffix.lower() in CONTAINERS else FALLBACK_SUFFIX
        target = output_dir / relative.with_suffix(suffix)
        if target in taken:
            raise VidstyleError(f"{taken[target]} and {file} would both be written to {target}")
        taken[target] = file
        check_not_an_input(target, found)
        items.append(BatchItem(file, target))
    return items


def _expand(spec: str, output_dir: Path) -> list[tuple[Path, Path]]:
    if not spec.strip():  # Path("") is the working folder: everything below it would be stylized
        raise VidstyleError("an empty input path; name a file, a folder or a pattern")
    path = Path(spec)
    if path.is_file():
        return [(path, Path(path.name))]
    if path.is_dir():
        _check_outside(output_dir, path)
        return _videos_below(path, sorted(path.rglob("*")))
    if not glob.has_magic(spec):
        raise VidstyleError(f"input not found: {spec}")
    root = Path(*_literal_prefix(path.parts))
    if "**" in spec:  # searched to any depth below the part without wildcards
        _check_outside(output_dir, root)
    matches: list[Path] = []
    for match in sorted(Path(m) for m in glob.glob(spec, recursive=True)):
        if match.is_dir():
            _check_outside(output_dir, match)
        matches += sorted(match.rglob("*")) if match.is_dir() else [match]
    return _videos_below(root, matches)


def _check_outside(output_dir: Path, searched: Path) -> None:
    if output_dir.resolve().is_relative_to(searched.resolve()):
        raise VidstyleError(
            f"output folder {output_dir} is inside the input folder {searched}: "
            "a later run would take its results as inputs"
        )


def _literal_prefix(parts: tuple[str, ...]) -> list[str]:
    """The folders of a pattern before its first wildcard: `clips/**/*.mp4` -> clips."""
    prefix = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        prefix.append(part)
    return prefix or ["."]


def _videos_below(root: Path, candidates: list[Path]) -> list[tuple[Path, Path]]:
    videos = []
    for file in candidates:
        relative = file.relative_to(root)
        if (
            file.suffix.lower() not in VIDEO_SUFFIXES
            or not file.is_file()
            or any(p.startswith(".") and p not in (".", "..") for p in relative.parts)
        ):
            continue
        videos.append((file, relative))
    return videos


def _output_folder(path: str | os.PathLike[str]) -> Path:
    """The output folder, checked; it is made only once there is work (see stylize_batch)."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise VidstyleError(f"--output-dir is a file, not a folder: {folder}")
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise VidstyleError(f"output folder is not writable: {existing}")
    return folder


def _check(options: VideoOptions, items: Sequence[BatchItem]) -> None:
    """A bad model, style name or encoder for an output's container fails here, once, not in
    every worker after Ray starts. The workers get the model as it was given (a file name
    travels to them, not its weights) and load it once each."""
    for example in {item.output.suffix.lower(): item.output for item in items}.values():
        options.encode.for_output(example)
    model = runnable_model(options.model, options.runtime.backend)
    if model.style_names is not None:  # an exported model's styles are checked by its backend, in the worker
        options.choice.resolve(model.style_names)


def write_report(rows: Sequence[BatchRow], path: Path) -> Path:
    """batch-report.json, moved into place only when complete (a reader never sees half of it)."""
    counts = {status: sum(row.status == status for row in rows) for status in ("done", "failed", "skipped")}
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps({**counts, "files": [dataclasses.asdict(row) for row in rows]}, indent=2) + "\n")
    return path


def format_table(rows: Sequence[BatchRow]) -> str:
    """The end-of-run table: file, frames, fps, status (a failure's reason on its own line)."""
    names = [row.input for row in rows]
    width = max([len("file"), *map(len, names)])
    lines = [f"{'file':<{width}}  {'frames':>6}  {'fps':>6}  status"]
    for row in rows:
        frames, fps = (str(row.frames), f"{row.fps:.1f}") if row.status == "done" else ("-", "-")
        lines.append(f"{row.input:<{width}}  {frames:>6}  {fps:>6}  {row.status}")
        if row.error:
            lines.append(f"{'':<{width}}  {'':>6}  {'':>6}    {row.error}")
    return "\n".join(lines)
