"""`vidstyle bench` / `python -m benchmarks`: the stage, end-to-end and baseline matrix, as JSON."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
import psutil
import torch

from vidstyle.atomic import atomic_output
from vidstyle.colour import fit_max_side
from vidstyle.context import RunContext, resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.jobs.video import Encoding, Runtime, VideoOptions, stylize_video
from vidstyle.media.options import Trim
from vidstyle.media.probe import probe
from vidstyle.modelfile import default_model_path, load_model
from vidstyle.net import macs_per_pixel
from vidstyle.progress import progress_bar

from . import stages
from .environment import describe
from .options import add_arguments
from .paper import paper_check, roofline
from .runnables import BACKENDS, ModelFiles, choose_backends

SCHEMA = "vidstyle-bench/1"
SIZES = {"180p": (180, 320), "360p": (360, 640), "720p": (720, 1280), "1080p": (1080, 1920), "2160p": (2160, 3840)}
# The exported graphs' largest side, and what the net holds per pixel of one image while it
# runs (a few 32-channel fp32 maps at full size): what a size needs before it is measured.
MAX_SIDE = 16384
ACTIVATION_BYTES_PER_PIXEL = 512


def parse_size(text: str) -> tuple[str, tuple[int, int]]:
    if text in SIZES:
        return text, SIZES[text]
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise VidstyleError(f"sizes are {', '.join(SIZES)} or WxH like 960x540; got {text!r}") from None
    if min(width, height) < 16:
        raise VidstyleError(f"a benchmark size needs at least 16 px a side; got {text!r}")
    if max(width, height) > MAX_SIDE:
        raise VidstyleError(f"a benchmark size is at most {MAX_SIDE} px a side; got {text!r}")
    return text, (height, width)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidstyle bench", description="Measure fps per stage and end to end; write JSON."
    )
    add_arguments(parser)
    return parser


def csv(text: str | None, default: list[str]) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()] if text else default


def batch_sizes(text: str | None, default: list[str]) -> list[int]:
    """--batch-size as a list of positive integers, or one line saying what it takes."""
    try:
        sizes = [int(part) for part in csv(text, default)]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise VidstyleError(f"--batch-size takes positive integers separated by commas, got {text!r}")
    return sizes


def run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = resolve_context(args.device, "fp32")
    cuda = ctx.is_cuda
    source = args.input or str(default_model_path().parent / "sample.mp4")
    probe(source)  # a bad --input fails here with one line
    model = load_model(args.model)
    skipped: list[str] = []
    backends = choose_backends(csv(args.backends, list(BACKENDS)), ctx, skipped)
    precisions = csv(args.precisions, ["fp16", "fp32"] if cuda else ["fp32"])
    for precision in precisions:
        resolve_context(ctx.device.type, precision)  # fp16 on a CPU is one line before any measuring
    repeats = args.repeats or (2 if args.quick else 5)
    n_frames = args.frames or (8 if args.quick else 48)
    batches = batch_sizes(args.batches, ["1", "2"] if args.quick else (["1", "8"] if cuda else ["1", "4"]))
    source_frames = stages.decode_frames(source, n_frames)
    if args.max_side:
        h, w = source_frames[0].shape[:2]
        sizes = [(f"{Path(source).name}@max-side-{args.max_side}", fit_max_side(h, w, args.max_side))]
    else:
        sizes = [
            parse_size(s)
            for s in csv(args.sizes, ["96x64"] if args.quick else (["720p", "1080p"] if cuda else ["360p"]))
        ]
    check_memory(sizes, n_frames, max(batches), ctx)

    result: dict[str, Any] = {
        "schema": SCHEMA,
        "environment": describe(ctx),
        "settings": {
            "quick": args.quick,
            "input": Path(source).name,
            "frames": n_frames,
            "repeats": repeats,
            "backends": backends,
            "precisions": precisions,
            "batches": batches,
            "sizes": [s[0] for s in sizes],
            "max_side": args.max_side,
        },
        "model": {
            "source": Path(model.source).name,
            "width": model.card.width,
            "macs_per_pixel": macs_per_pixel(model.net),
        },
        "stages": [],
        "models": [],
        "end_to_end": [],
        "naive_baseline": [],
        "summary": {},
        "skipped": skipped,
    }
    models_per_size = len(backends) * len(precisions) * len(batches)
    presets = 1 if args.quick else 3
    # decode, upload, download, upload YUV, the encode presets, the models, the naive baseline, each backend end to end
    planned = len(sizes) * (4 + presets + models_per_size + 1 + len(backends)) + (
        0 if args.skip_paper else 1 if args.quick else 2
    )
    bar = progress_bar(total=planned, enabled=not getattr(args, "quiet", False), unit="measurement", desc="bench")
    with bar, tempfile.TemporaryDirectory(prefix="vidstyle-bench-") as tmp:
        files = ModelFiles(model, Path(tmp))
        for name, (height, width) in sizes:
            try:
                result["summary"][name] = bench_size(
                    result,
                    files,
                    ctx,
                    name,
                    height,
                    width,
                    source_frames,
                    source,
                    Path(tmp),
                    backends,
                    precisions,
                    batches,
                    repeats,
                    args,
                    bar,
                )
            except (MemoryError, torch.OutOfMemoryError) as exc:
                raise VidstyleError(
                    f"out of memory at size {name} ({one_line(exc)}); try a smaller --sizes or --batch-size"
                ) from None
        if not args.skip_paper:
            result["paper_check"] = paper_check(model, ctx, quick=args.quick, bar=bar)
    return result


def check_memory(sizes: list[tuple[str, tuple[int, int]]], frames: int, batch: int, ctx: RunContext) -> None:
    """A size that cannot fit is one line before any measuring, not an allocator's error later."""
    for name, (height, width) in sizes:
        need = height * width * (3 * frames + batch * ACTIVATION_BYTES_PER_PIXEL)
        free = torch.cuda.mem_get_info(ctx.device)[0] if ctx.is_cuda else psutil.virtual_memory().available
        if need > free:
            raise VidstyleError(
                f"size {name} needs about {need / 2**30:.1f} GiB at batch {batch}, "
                f"and {free / 2**30:.1f} GiB is free here"
            )


def one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def bench_size(
    result: dict[str, Any],
    files: ModelFiles,
    ctx: RunContext,
    name: str,
    height: int,
    width: int,
    source_frames: list[Any],
    source: str,
    tmp: Path,
    backends: list[str],
    precisions: list[str],
    batches: list[int],
    repeats: int,
    args: argparse.Namespace,
    bar: Any,
) -> dict[str, Any]:
    model = files.model
    skipped: list[str] = result["skipped"]
    frames = stages.scaled_frames(source_frames, height, width)
    clip = Path(source) if args.max_side else write_clip(frames, tmp / f"{name}.mp4")
    tag = {"size": name}
    stage_rows = [stages.decode_only(clip, ctx, repeats=max(1, repeats // 2))]
    stage_rows += [
        stages.upload_only(frames, ctx, batch=max(batches), repeats=repeats),
        stages.download_only(frames, ctx, batch=max(batches), repeats=repeats),
    ]
    stage_rows.append(stages.upload_yuv_only(frames, ctx, batch=max(batches), repeats=repeats))
    for preset in ["ultrafast"] if args.quick else ["ultrafast", "veryfast", "medium"]:
        stage_rows.append(stages.encode_only(frames, ctx, preset=preset, repeats=max(1, repeats // 2)))
    if ctx.is_cuda and "h264_cuvid" in av.codecs_available:
        try:
            stage_rows.append(stages.decode_only(clip, ctx, repeats=max(1, repeats // 2), decoder="h264_cuvid"))
        except Exception as exc:  # noqa: BLE001 - record why NVDEC did not work, keep going
            skipped.append(f"NVDEC h264_cuvid: {type(exc).__name__}: {one_line(exc)}")
    bar.update(4 + (1 if args.quick else 3))
    model_rows, runs_from = [], {}
    for backend in backends:
        for precision in precisions:
            run_ctx = resolve_context(ctx.device.type, precision)
            try:
                runs_from[backend, precision] = files.runs_from(backend, precision, height, width, max(batches))
            except (VidstyleError, RuntimeError) as exc:  # no graph or engine for it: a note, the rest goes on
                skipped.append(f"{backend} {precision} at {name}: {one_line(exc)}")
                bar.update(len(batches))
                continue
            for batch in batches:
                try:
                    model_rows.append(
                        stages.model_only(
                            model,
                            frames,
                            run_ctx,
                            backend=backend,
                            batch=batch,
                            repeats=repeats,
                            engine=runs_from[backend, precision],
                        )
                    )
                except (VidstyleError, RuntimeError) as exc:
                    skipped.append(f"{backend} {precision} batch {batch} at {name}: {one_line(exc)}")
                bar.update(1)
    if not model_rows:
        raise VidstyleError(f"no model row could run at {name}: " + "; ".join(skipped))
    naive = stages.naive_baseline(model, frames, ctx, repeats=repeats)
    bar.update(1)
    best = max(model_rows, key=lambda t: t.fps)
    preset = "ultrafast" if args.quick else "veryfast"
    e2e_rows = []
    for backend in backends:  # each backend end to end at its own best precision and batch
        mine = max((t for t in model_rows if t.config["backend"] == backend), key=lambda t: t.fps, default=None)
        if mine is not None:
            e2e_ctx = resolve_context(ctx.device.type, mine.config["precision"])
            runs = runs_from[backend, mine.config["precision"]] or model
            try:
                row = end_to_end(
                    clip,
                    tmp / f"{name}-out.mp4",
                    runs,
                    e2e_ctx,
                    batch=mine.config["batch"],
                    max_side=args.max_side,
                    preset=preset,
                    backend=backend,
                    frames=len(source_frames),
                )
            except (VidstyleError, RuntimeError) as exc:
                skipped.append(f"{backend} end to end at {name}: {one_line(exc)}")
            else:
                row.config["model_fps_same_config"] = mine.fps
                row.config["end_to_end_vs_model"] = row.fps / mine.fps if mine.fps else None
                e2e_rows.append(row)
        bar.update(1)
    if not e2e_rows:
        raise VidstyleError(f"no end-to-end run could run at {name}: " + "; ".join(skipped))
    e2e = next((r for r in e2e_rows if r.config["backend"] == best.config["backend"]), e2e_rows[0])
    for row in [*stage_rows, *model_rows, naive, *e2e_rows]:
        row.config.update(tag)
    result["stages"] += [t.as_dict() for t in stage_rows]
    result["models"] += [t.as_dict() for t in model_rows]
    result["naive_baseline"].append(naive.as_dict())
    result["end_to_end"] += [t.as_dict() for t in e2e_rows]
    encode_for_e2e = next(t for t in stage_rows if t.stage == "encode" and t.config["preset"] == preset)
    pipeline_stages = [stage_rows[0], stage_rows[1], best, stage_rows[2], encode_for_e2e]
    slowest = min(pipeline_stages, key=lambda t: t.fps)
    peak = roofline(
        best.config["tflops"],
        resolve_context(ctx.device.type, best.config["precision"]),
        result["environment"]["device"].get("name", ""),
        skipped,
    )
    torch_fp32 = {
        t.config["batch"]: t.fps
        for t in model_rows
        if t.config["backend"] == "torch" and t.config["precision"] == "fp32"
    }
    ort = {
        t.config["batch"]: t.fps
        for t in model_rows
        if t.config["backend"] == "onnxruntime" and t.config["precision"] == "fp32"
    }
    return {
        "height": height,
        "width": width,
        "best_model": {
            "backend": best.config["backend"],
            "precision": best.config["precision"],
            "batch": best.config["batch"],
            "fps": best.fps,
        },
        "end_to_end_fps": e2e.fps,
        "slowest_stage": slowest.stage if slowest is not best else "model",
        "slowest_stage_fps": slowest.fps,
        "bottleneck_ratio": e2e.fps / slowest.fps if slowest.fps else None,
        "end_to_end_vs_model": e2e.fps / best.fps if best.fps else None,
        "speedup_vs_naive": best.fps / naive.fps if naive.fps else None,
        "end_to_end_speedup_vs_naive": e2e.fps / naive.fps if naive.fps else None,
        "achieved_tflops": best.config["tflops"],
        **peak,
        "onnxruntime_vs_torch": {str(b): ort[b] / torch_fp32[b] for b in ort if b in torch_fp32},
    }


def write_clip(frames: list[torch.Tensor], path: Path) -> Path:
    """A near-lossless H.264 clip at the benchmark size, so decode and e2e see real video."""
    stages.encode_frames(frames, str(path), preset="ultrafast", crf=12)
    return path


def end_to_end(
    clip: Path,
    out: Path,
    runs: Any,
    ctx: RunContext,
    *,
    batch: int,
    max_side: int | None,
    preset: str,
    backend: str,
    frames: int,
) -> stages.Timing:
    """`stylize` on `frames` frames of the clip, after a warm-up run (the backend's opening,
    compiling and first allocations): the steady rate is the extra frames of a full run over a
    short one, divided by the extra time, so the opening each run still pays is left out."""

    def seconds(limit: int) -> tuple[float, int]:
        started = time.perf_counter()
        done = stylize_video(
            clip,
            out,
            VideoOptions(
                model=runs,
                runtime=Runtime(
                    backend=backend, device=ctx.device.type, precision=ctx.precision, batch=batch, max_side=max_side
                ),
                encode=Encoding(preset=preset),
                trim=Trim(max_frames=limit),
            ),
            progress=False,
        ).frames
        return time.perf_counter() - started, done

    seconds(frames)  # warm-up
    process = psutil.Process()
    cpu_before, wall_before = process.cpu_times(), time.perf_counter()
    short_seconds, short = seconds(max(1, min(batch, frames // 4)))
    full_seconds, full = seconds(frames)
    cpu_after = process.cpu_times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    steady = full > short and full_seconds > short_seconds
    fps = (full - short) / (full_seconds - short_seconds) if steady else full / full_seconds
    config = {
        "backend": backend,
        "precision": ctx.precision,
        "batch": batch,
        "preset": preset,
        "frames_in_clip": full,
        "frames_short_run": short,
        "fps_with_opening": full / full_seconds,
        "steady": steady,
    }
    return stages.Timing(
        stage="end-to-end",
        fps=fps,
        ms_p50=1000.0 / fps,
        ms_p95=1000.0 / fps,
        frames=full + short,
        config=config,
        cpu_percent=100.0 * cpu / (time.perf_counter() - wall_before),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return write(run(args), args.out)


def default_output(result: dict[str, Any]) -> Path:
    """benchmarks/results/ when run from a clone (the folder is there), else the current folder:
    a bench never makes folders of its own."""
    name = f"{result['environment']['device']['type']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    results = Path("benchmarks/results")
    return results / name if results.is_dir() else Path(f"bench-{name}")


def write(
    result: dict[str, Any], out: str | None, *, summary: Callable[[dict[str, Any]], list[str]] | None = None
) -> int:
    path = Path(out) if out else default_output(result)
    with atomic_output(path) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {path}")
    from .report import summary_lines

    for line in (summary or summary_lines)(result):
        print(line)
    return 0
