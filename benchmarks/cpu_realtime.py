"""Model-only speed on a CPU, the way stylize, camera and serve run the net: fps at one size,
batch 1, for each net, backend, precision and layout.

    python -m vidstyle.benchmarks.cpu_realtime --calibrate PHOTOS -o benchmarks/results/cpu-realtime-DATE.json

The torch rows run through TorchBackend and the onnxruntime rows through OnnxRuntimeBackend,
so they time exactly what a run does (the channels_last norms, the autocast), on a thread of
their own as stylize runs its net. int8 rows are the QDQ form of the same net, calibrated on
--calibrate's first photos, with its parity against fp32 on the next ones (a file that
fails it is timed here but `vidstyle export --int8` would refuse to write it); without
--calibrate they are left out. The configurations take turns call by call, so a machine
whose load changes over the minutes still compares them under the same load; each row
reports the median and the best of its calls, and the cores this process kept busy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vidstyle.atomic import atomic_output
from vidstyle.backends.base import Backend
from vidstyle.context import resolve_context
from vidstyle.modelfile import ModelCard, StyleModel, load_model
from vidstyle.net import TransformerNet
from vidstyle.precision import choose_precision, cpu_flags, native_bf16

from .environment import describe

# The flags that decide the CPU path: native bf16 (AMX, AVX512-BF16) and int8 dot products (VNNI).
REPORTED_FLAGS = ("amx_bf16", "amx_int8", "amx_tile", "avx512_bf16", "avx512_vnni", "avx_vnni", "avx512f", "avx2")


@dataclass
class Config:
    net: str
    backend: str
    precision: str
    channels_last: bool
    run: Callable[[], torch.Tensor]
    details: dict[str, Any]
    seconds: list[float]
    busy: list[float] = field(default_factory=list)  # cores this process kept busy over each call


def nets(names: list[str]) -> list[tuple[str, StyleModel]]:
    """The bundled default (or any model file), and `widthW[-separable]`: an untrained net of that
    width, its residual convs depthwise-separable with the suffix (speed does not depend on weights)."""
    chosen = []
    for name in names:
        if name.startswith("width"):
            torch.manual_seed(0)
            width, _, kind = name[5:].partition("-")
            net = TransformerNet(width=float(width), separable=kind == "separable").eval().requires_grad_(False)
            card = ModelCard(width=net.width, separable=net.separable)
            chosen.append((name, StyleModel(net=net, card=card, source=name)))
        else:
            model = load_model(None if name == "default" else name)
            chosen.append((Path(model.source).stem, model))
    return chosen


def configs(args: argparse.Namespace, x: torch.Tensor, tmp: Path, backends: list[Backend]) -> list[Config]:
    from vidstyle.backends.torch_backend import TorchBackend

    made: list[Config] = []
    for label, model in nets(args.nets):
        info = {
            "width": model.card.width,
            "residual_blocks": model.card.residual_blocks,
            "separable": model.card.separable,
            "parameters": sum(p.numel() for p in model.net.parameters()),
        }
        for precision in args.precisions:
            for channels_last in (False, True):
                backend = TorchBackend(model.net, resolve_context("cpu", precision), channels_last=channels_last)
                backends.append(backend)
                made.append(Config(label, "torch", precision, channels_last, _bound(backend, x), info, []))
        made += onnx_configs(args, label, model, x, tmp, backends, info)
    return made


def onnx_configs(
    args: argparse.Namespace,
    label: str,
    model: StyleModel,
    x: torch.Tensor,
    tmp: Path,
    backends: list[Backend],
    info: dict[str, Any],
) -> list[Config]:
    try:
        from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend
        from vidstyle.export.onnx import export_onnx
    except Exception as exc:  # noqa: BLE001 - onnx/onnxruntime absent: the torch rows still count
        print(f"onnxruntime rows skipped: {exc}", file=sys.stderr)
        return []
    from vidstyle.export.quantize import MAX_MEAN_ABS_DIFF, parity_on_photos, quantize, split_photos

    ctx = resolve_context("cpu", "fp32")
    fp32 = tmp / f"{label}.onnx"
    export_onnx(model, fp32)
    files: list[tuple[str, Path, dict[str, Any]]] = [("fp32", fp32, {})]
    if args.calibrate:
        calibration, parity = split_photos(args.calibrate)
        int8 = tmp / f"{label}-int8.onnx"
        quantize(fp32, int8, calibration, model.net.style_count)
        mean, worst = parity_on_photos(model, int8, parity)
        files.append(
            (
                "int8",
                int8,
                {
                    "calibration_images": len(calibration),
                    "parity_images": len(parity),
                    "mean_abs_diff_255": round(mean * 255, 3),
                    "max_abs_diff_255": round(worst * 255, 1),
                    "passes_parity": mean <= MAX_MEAN_ABS_DIFF,
                },
            )
        )
    made = []
    for precision, path, extra in files:
        backend = OnnxRuntimeBackend(path, ctx)
        backends.append(backend)
        made.append(Config(label, "onnxruntime", precision, False, _bound(backend, x), info | extra, []))
    return made


def _bound(backend: Backend, x: torch.Tensor) -> Callable[[], torch.Tensor]:
    return lambda: backend.run(x)


def timed_calls(made: list[Config], repeats: int) -> None:
    """Warm-up, then `repeats` timed calls of each config in turn; each call's time and the
    process's CPU time over it (cores busy = CPU seconds / wall seconds: under 1 on a shared CPU)."""
    for config in made:  # oneDNN and onnxruntime pick their kernels on the first calls
        for _ in range(2):
            config.run()
    for _ in range(repeats):
        for config in made:
            cpu, tic = time.process_time(), time.perf_counter()
            config.run()
            wall = time.perf_counter() - tic
            config.seconds.append(wall)
            config.busy.append((time.process_time() - cpu) / wall)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    width, height = (int(v) for v in args.size.split("x"))
    if args.threads:
        torch.set_num_threads(args.threads)
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    backends: list[Backend] = []
    errors: list[BaseException] = []

    def body() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="vidstyle-cpu-realtime-") as tmp:
                made.extend(configs(args, x, Path(tmp), backends))
                timed_calls(made, args.repeats)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            errors.append(exc)
        finally:
            for backend in backends:
                backend.close()

    made: list[Config] = []
    # Timed on a thread of its own, as stylize runs its net: torch's OpenMP team on the main
    # thread spin-waits at every barrier, which on a shared CPU made the same net slower there.
    worker = threading.Thread(target=body, name="vidstyle-cpu-realtime")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    rows = []
    for c in made:
        row = {
            "net": c.net,
            **c.details,
            "backend": c.backend,
            "precision": c.precision,
            "channels_last": c.channels_last,
            "fps_median": round(1 / statistics.median(c.seconds), 2),
            "fps_best": round(1 / min(c.seconds), 2),
            "cores_busy_median": round(statistics.median(c.busy), 2),
        }
        rows.append(row)
        print(
            f"{c.net} {c.backend} {c.precision}{' channels_last' if c.channels_last else ''}: "
            f"{row['fps_median']} fps (best {row['fps_best']})",
            file=sys.stderr,
        )
    flags = cpu_flags()
    auto = choose_precision("cpu", "auto")
    return {
        "schema": "vidstyle-cpu-realtime/1",
        "environment": describe(resolve_context("cpu", "fp32")),
        "cpu": {
            "flags": [f for f in REPORTED_FLAGS if f in flags],
            "native_bf16": native_bf16(flags),
            "torch_capability": torch.backends.cpu.get_cpu_capability(),
        },
        "precision_auto": {"chose": auto.ctx.precision, "reason": auto.reason},
        "settings": {
            "size": [width, height],
            "batch": 1,
            "torch_threads": torch.get_num_threads(),
            "repeats": args.repeats,
            "calibration": Path(args.calibrate).name if args.calibrate else None,
            "timing": "configurations interleaved call by call on one thread; median and best of each one's calls",
            "note": args.note,
        },
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vidstyle.benchmarks.cpu_realtime", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own, one per core)")
    parser.add_argument(
        "--nets",
        nargs="+",
        default=["default", "width0.5-separable"],
        help="model files, `default` (the bundled one), or widthW[-separable], "
        "an untrained net of that width (default: default width0.5-separable)",
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["fp32", "bf16"],
        choices=["fp32", "bf16"],
        help="torch precisions (default fp32 bf16)",
    )
    parser.add_argument("--calibrate", help="a folder of photos: adds the int8 onnxruntime rows, calibrated on them")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per row (default 20)")
    parser.add_argument("--note", help="what else ran on the machine meanwhile, for the report (default: none)")
    parser.add_argument("-o", "--output", help="the JSON report (default: print only)")
    args = parser.parse_args(argv)
    report = measure(args)
    if args.output:
        with atomic_output(args.output) as tmp:
            tmp.write_text(json.dumps(report, indent=2) + "\n")
    else:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
