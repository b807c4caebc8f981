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
import torch

from vidstyle.backends.tensorrt_backend import tensorrt_available
from vidstyle.atomic import atomic_output
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.colour import fit_max_side
from vidstyle.media.probe import probe
from vidstyle.modelfile import default_model_path, load_model
from vidstyle.net import macs_per_pixel
from vidstyle.jobs.video import stylize_video
from vidstyle.progress import progress_bar

from . import stages
from .environment import describe
from .options import add_arguments

SCHEMA = "vidstyle-bench/1"
SIZES = {"180p": (180, 320), "360p": (360, 640), "720p": (720, 1280), "1080p": (1080, 1920), "2160p": (2160, 3840)}
# Vendor dense-math peaks (TFLOP/s, no sparsity) for the roofline line, next to the measured one.
STATED_PEAKS = {"H100": {"fp16": 989.4, "bf16": 989.4, "fp32": 66.9}, "H200": {"fp16": 989.4, "bf16": 989.4, "fp32": 66.9}}


def parse_size(text: str) -> tuple[str, tuple[int, int]]:
    if text in SIZES:
        return text, SIZES[text]
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise VidstyleError(f"sizes are {', '.join(SIZES)} or WxH like 960x540; got {text!r}") from None
    if min(width, height) < 16:
        raise VidstyleError(f"a benchmark size needs at least 16 px a side; got {text!r}")
    return text, (height, width)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vidstyle bench", description="Measure fps per stage and end to end; write JSON.")
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
    usable = ["torch", "onnxruntime"] + (["tensorrt"] if tensorrt_available() else [])
    if not tensorrt_available():
        skipped.append("tensorrt: not installed here (needs TensorRT and a CUDA GPU)")
    wanted = csv(args.backends, usable)
    unknown = [b for b in wanted if b not in ("torch", "onnxruntime", "tensorrt")]
    if unknown or not wanted:
        raise VidstyleError(f"unknown backend {', '.join(unknown) or '(none)'}; choose from torch, onnxruntime, tensorrt")
    backends = [b for b in wanted if b in usable]
    skipped += [f"{b}: not usable here" for b in wanted if b not in usable]
    precisions = csv(args.precisions, ["fp16", "fp32"] if cuda else ["fp32"])
    repeats = args.repeats or (2 if args.quick else 5)
    n_frames = args.frames or (8 if args.quick else 48)
    batches = batch_sizes(args.batches, ["1", "2"] if args.quick else (["1", "8"] if cuda else ["1", "4"]))
    source_frames = stages.decode_frames(source, n_frames)
    if args.max_side:
        h, w = source_frames[0].shape[:2]
        sizes = [(f"{Path(source).name}@max-side-{args.max_side}", fit_max_side(h, w, args.max_side))]
    else:
        sizes = [parse_size(s) for s in csv(args.sizes, ["96x64"] if args.quick else (["720p", "1080p"] if cuda else ["360p"]))]

    result: dict[str, Any] = {
        "schema": SCHEMA,
        "environment": describe(ctx),
        "settings": {"quick": args.quick, "input": Path(source).name, "frames": n_frames, "repeats": repeats, "backends": backends, "precisions": precisions, "batches": batches, "sizes": [s[0] for s in sizes], "max_side": args.max_side},
        "model": {"source": Path(model.source).name, "width": model.card.width, "macs_per_pixel": macs_per_pixel(model.net)},
        "stages": [], "models": [], "end_to_end": [], "naive_baseline": [], "summary": {}, "skipped": skipped,
    }
    models_per_size = sum(len(batches) for b in backends for p in precisions if b != "onnxruntime" or p == "fp32")
    presets = 1 if args.quick else 3
    # decode, upload, download, upload YUV, the encode presets, the models, the naive baseline, each backend end to end
    planned = len(sizes) * (4 + presets + models_per_size + 1 + len(backends)) + (0 if args.skip_paper else 1 if args.quick else 2)
    bar = progress_bar(total=planned, enabled=not getattr(args, "quiet", False), unit="measurement", desc="bench")
    with bar, tempfile.TemporaryDirectory(prefix="vidstyle-bench-") as tmp:
        for name, (height, width) in sizes:
            result["summary"][name] = bench_size(result, model, ctx, name, height, width, source_frames, source, Path(tmp), backends, precisions, batches, repeats, args, bar)
        if not args.skip_paper:
            result["paper_check"] = paper_check(model, ctx, quick=args.quick, bar=bar)
    return result


def bench_size(result: dict[str, Any], model: Any, ctx: Any, name: str, height: int, width: int, source_frames: list[Any], source: str, tmp: Path, backends: list[str], precisions: list[str], batches: list[int], repeats: int, args: argparse.Namespace, bar: Any) -> dict[str, Any]:
    frames = stages.scaled_frames(source_frames, height, width)
    clip = Path(source) if args.max_side else write_clip(frames, tmp / f"{name}.mp4")
    tag = {"size": name}
    stage_rows = [stages.decode_only(clip, ctx, repeats=max(1, repeats // 2))]
    stage_rows += [stages.upload_only(frames, ctx, batch=max(batches), repeats=repeats), stages.download_only(frames, ctx, batch=max(batches), repeats=repeats)]
    stage_rows.append(stages.upload_yuv_only(frames, ctx, batch=max(batches), repeats=repeats))
    for preset in (["ultrafast"] if args.quick else ["ultrafast", "veryfast", "medium"]):
        stage_rows.append(stages.encode_only(frames, ctx, preset=preset, repeats=max(1, repeats // 2)))
    if ctx.is_cuda and "h264_cuvid" in av.codecs_available:
        try:
            stage_rows.append(stages.decode_only(clip, ctx, repeats=max(1, repeats // 2), decoder="h264_cuvid"))
        except Exception as exc:  # noqa: BLE001 - record why NVDEC did not work, keep going
            result["skipped"].append(f"NVDEC h264_cuvid: {type(exc).__name__}: {str(exc)[:120]}")
    bar.update(4 + (1 if args.quick else 3))
    model_rows = []
    onnx_path = export_for_bench(model, tmp) if "onnxruntime" in backends else None
    for backend in backends:
        for precision in precisions:
            if backend == "onnxruntime" and precision != "fp32":
                continue  # onnxruntime's precision lives in the graph; the fp16 graph is exported separately
            run_ctx = resolve_context(ctx.device.type, precision)
            for batch in batches:
                engine = onnx_path if backend == "onnxruntime" else None
                model_rows.append(stages.model_only(model, frames, run_ctx, backend=backend, batch=batch, repeats=repeats, engine=engine))
                bar.update(1)
    naive = stages.naive_baseline(model, frames, ctx, repeats=repeats)
    bar.update(1)
    best = max(model_rows, key=lambda t: t.fps)
    preset = "ultrafast" if args.quick else "veryfast"
    e2e_rows = []
    for backend in backends:  # each backend end to end at its own best precision and batch
        mine = max((t for t in model_rows if t.config["backend"] == backend), key=lambda t: t.fps)
        e2e_ctx = resolve_context(ctx.device.type, mine.config["precision"])
        row = end_to_end(clip, tmp / f"{name}-out.mp4", model, e2e_ctx, batch=mine.config["batch"], max_side=args.max_side, preset=preset, engine=onnx_path if backend == "onnxruntime" else None, backend=backend)
        row.config["model_fps_same_config"] = mine.fps
        row.config["end_to_end_vs_model"] = row.fps / mine.fps if mine.fps else None
        e2e_rows.append(row)
        bar.update(1)
    e2e = next(r for r in e2e_rows if r.config["backend"] == best.config["backend"])
    for row in [*stage_rows, *model_rows, naive, *e2e_rows]:
        row.config.update(tag)
    result["stages"] += [t.as_dict() for t in stage_rows]
    result["models"] += [t.as_dict() for t in model_rows]
    result["naive_baseline"].append(naive.as_dict())
    result["end_to_end"] += [t.as_dict() for t in e2e_rows]
    encode_for_e2e = next(t for t in stage_rows if t.stage == "encode" and t.config["preset"] == preset)
    pipeline_stages = [stage_rows[0], stage_rows[1], best, stage_rows[2], encode_for_e2e]
    slowest = min(pipeline_stages, key=lambda t: t.fps)
    peak_measured = stages.matmul_peak_tflops(resolve_context(ctx.device.type, best.config["precision"]))
    stated = next((v.get(best.config["precision"]) for k, v in STATED_PEAKS.items() if k in result["environment"]["device"].get("name", "")), None)
    torch_fp32 = {t.config["batch"]: t.fps for t in model_rows if t.config["backend"] == "torch" and t.config["precision"] == "fp32"}
    ort = {t.config["batch"]: t.fps for t in model_rows if t.config["backend"] == "onnxruntime"}
    return {
        "height": height, "width": width,
        "best_model": {"backend": best.config["backend"], "precision": best.config["precision"], "batch": best.config["batch"], "fps": best.fps},
        "end_to_end_fps": e2e.fps,
        "slowest_stage": slowest.stage if slowest is not best else "model",
        "slowest_stage_fps": slowest.fps,
        "bottleneck_ratio": e2e.fps / slowest.fps if slowest.fps else None,
        "end_to_end_vs_model": e2e.fps / best.fps if best.fps else None,
        "speedup_vs_naive": best.fps / naive.fps if naive.fps else None,
        "end_to_end_speedup_vs_naive": e2e.fps / naive.fps if naive.fps else None,
        "achieved_tflops": best.config["tflops"],
        "measured_peak_tflops": peak_measured,
        "stated_peak_tflops": stated,
        "roofline_fraction": best.config["tflops"] / (stated or peak_measured),
        "onnxruntime_vs_torch": {str(b): ort[b] / torch_fp32[b] for b in ort if b in torch_fp32},
    }


def export_for_bench(model: Any, tmp: Path) -> str:
    from vidstyle.export.onnx import export_onnx

    path = tmp / "model.onnx"
    if not path.exists():
        export_onnx(model, path)
    return str(path)


def write_clip(frames: list[torch.Tensor], path: Path) -> Path:
    """A near-lossless H.264 clip at the benchmark size, so decode and e2e see real video."""
    stages.encode_frames(frames, str(path), preset="ultrafast", crf=12)
    return path


def end_to_end(clip: Path, out: Path, model: Any, ctx: Any, *, batch: int, max_side: int | None, preset: str, backend: str, engine: str | None) -> stages.Timing:
    total = probe(clip).frame_count or 0

    def call(_: int) -> int:
        return stylize_video(clip, out, model=model, backend=backend, engine=engine, device=ctx.device.type, precision=ctx.precision, batch=batch, max_side=max_side, preset=preset, progress=False).frames

    timing = stages.measure("end-to-end", call, ctx, repeats=1, warmup=0, config={"backend": backend, "precision": ctx.precision, "batch": batch, "preset": preset, "frames_in_clip": total})
    return timing


def paper_check(model: Any, ctx: Any, *, quick: bool, bar: Any = None) -> dict[str, Any]:
    """Johnson et al. report ~1000x: feed-forward time vs Gatys with 500 L-BFGS steps."""
    from vidstyle.training.gatys import GatysConfig, run_gatys

    sample = str(default_model_path().parent / "sample.jpg")
    rows = {}
    measured_steps = 500 if ctx.is_cuda else (2 if quick else 10)
    for size in ([64] if quick else [256, 512]):
        frames = [torch.rand(size, size, 3).mul(255).byte() for _ in range(4)]
        ff = stages.model_only(model, frames, resolve_context(ctx.device.type, "fp32"), backend="torch", batch=1, repeats=3 if quick else 10)

        def gatys_seconds(steps: int) -> float:
            started = time.perf_counter()
            run_gatys(GatysConfig(content=sample, styles=[sample], steps=steps, size=size, loss_net="vgg19-random", device=ctx.device.type, progress=False))
            return time.perf_counter() - started

        # A 1-step run holds the start-up (loss net, Gram targets, first-call warm-up), which
        # 500 real steps would spread thin: only the steps after it count.
        startup_and_one = gatys_seconds(1)
        per_step = (gatys_seconds(measured_steps) - startup_and_one) / (measured_steps - 1)
        gatys_500 = per_step * 500
        rows[str(size)] = {
            "feed_forward_ms": ff.ms_p50, "gatys_500_steps_s": gatys_500, "gatys_steps_measured": measured_steps,
            "gatys_startup_and_first_step_s": startup_and_one, "ratio": gatys_500 * 1000 / ff.ms_p50,
        }
        if bar is not None:
            bar.update(1)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return write(run(args), args.out)


def write(result: dict[str, Any], out: str | None, *, summary: Callable[[dict[str, Any]], list[str]] | None = None) -> int:
    path = Path(out) if out else Path("benchmarks/results") / f"{result['environment']['device']['type']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as tmp:
        Path(tmp).write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {path}")
    from .report import summary_lines

    for line in (summary or summary_lines)(result):
        print(line)
    return 0
