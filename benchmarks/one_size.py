"""Every measurement at one size: the stages, each backend's model rows, the naive baseline and
end to end, and the size's summary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import av
import torch

from vidstyle.context import RunContext, resolve_context
from vidstyle.errors import VidstyleError

from . import stages
from .end_to_end import end_to_end
from .paper import roofline
from .runnables import ModelFiles


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
                            exported=runs_from[backend, precision],
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
