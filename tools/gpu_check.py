"""The GPU path in one call: each check PASS, FAIL or SKIP with its reason, as one JSON file.

    python tools/gpu_check.py [-o PATH]      (make gpu-check)

Checks: the torch net on CUDA against the CPU in fp32, fp16 and bf16; channels_last kept
through the net; torch.compile with CUDA graphs owned by the compiled net's worker thread;
the staging's overlap; decode, model and encode fps and end to end with the overlap on and
off; NVDEC (h264_cuvid); onnxruntime on CUDA; a TensorRT build, its parity and its cache;
1080p fp16 model-only fps (the goal is 600 on an H100).

It needs torch and nothing else: without CUDA the CUDA checks say so; without PyAV, numpy,
onnxruntime's CUDA build, onnx or TensorRT the checks that need them are skipped with the
reason, so it runs on a bare CUDA machine with no network. It exits 1 when a check fails.
The JSON goes to benchmarks/results/gpu-check-DEVICE.json unless -o says where.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]  # the source tree's vidstyle, installed or not; gpu_check_media

import torch  # noqa: E402

if __name__ == "__main__":  # one module, whether run or imported (gpu_check_media imports it)
    sys.modules.setdefault("gpu_check", sys.modules[__name__])

from vidstyle.context import RunContext, resolve_context  # noqa: E402
from vidstyle.net import TransformerNet  # noqa: E402


class Skip(Exception):
    """A check that cannot run here, and why."""


class Fail(Exception):
    """A check that ran and found the GPU path wrong."""


def needs_cuda() -> None:
    if not torch.cuda.is_available():
        raise Skip("needs CUDA (torch sees no CUDA GPU here)")


def needs(module: str, why: str = "") -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        raise Skip(f"needs {module}{why} ({exc})") from None


def psnr_db(reference: torch.Tensor, test: torch.Tensor) -> float:
    mse = float(((reference.double().cpu() - test.double().cpu()) ** 2).mean())
    return float("inf") if mse == 0 else 10.0 * torch.log10(torch.tensor(1.0 / mse)).item()


def the_net(width: float = 1.0) -> TransformerNet:
    """The bundled model's weights when safetensors is there, else the same net seeded at random
    with random norms (speed does not depend on the weights; parity is checked either way)."""
    try:
        from vidstyle.modelfile import load_model

        return load_model(None).net.eval()
    except ImportError:
        torch.manual_seed(0)
        net = TransformerNet(width=width).eval()
        for name, param in net.named_parameters():
            if param.dim() == 2:  # the norms' gamma/beta rows
                torch.nn.init.normal_(param, 1.0 if name.endswith("weight") else 0.0, 0.3)
        return net


def frames(count: int, height: int, width: int, seed: int = 0) -> torch.Tensor:
    """Smooth moving gradients, uint8 NHWC: picture-like content, not noise."""
    y = torch.linspace(0, 1, height)[:, None]
    x = torch.linspace(0, 1, width)[None, :]
    shots = [
        torch.stack(
            [(x + 0.1 * i + seed) % 1 * y.new_ones(height, 1), y * x.new_ones(1, width), (x * y + 0.05 * i) % 1], dim=-1
        )
        for i in range(count)
    ]
    return (torch.stack(shots) * 255).round().to(torch.uint8)


# --- checks that need torch only --------------------------------------------------------

PARITY_FLOOR_DB = {"fp32": 40.0, "fp16": 35.0, "bf16": 28.0}


def check_parity(precision: str) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        needs_cuda()
        from vidstyle.backends.torch_backend import TorchBackend

        net = the_net()
        images = frames(2, 272, 480).permute(0, 3, 1, 2).float() / 255
        with torch.no_grad():
            expected = net(images)
        with TorchBackend(net, resolve_context("cuda", precision)) as backend:
            got = backend.run(images.cuda()).cpu()
        db = psnr_db(expected, got)
        if db < PARITY_FLOOR_DB[precision]:
            raise Fail(f"PSNR {db:.1f} dB against the CPU in fp32, below {PARITY_FLOOR_DB[precision]} dB")
        return {
            "psnr_db": db,
            "max_abs_error": float((expected - got).abs().max()),
            "floor_db": PARITY_FLOOR_DB[precision],
        }

    return run


def check_channels_last(device: str) -> Callable[[], dict[str, Any]]:
    def run() -> dict[str, Any]:
        if device == "cuda":
            needs_cuda()
        from vidstyle.backends.torch_backend import TorchBackend

        net = the_net()
        ctx = resolve_context(device, "fp32")
        images = frames(2, 144, 256).permute(0, 3, 1, 2).float().div(255).to(ctx.device)
        lost: list[str] = []
        with TorchBackend(net, ctx, channels_last=True) as last, TorchBackend(net, ctx, channels_last=False) as first:
            for name, module in last.net.named_modules():
                if name and not list(module.children()):
                    module.register_forward_hook(
                        lambda m, a, out, name=name: (
                            lost.append(name)
                            if out.ndim == 4
                            and out.shape[1] > 1
                            and not out.is_contiguous(memory_format=torch.channels_last)
                            else None
                        )
                    )
            got, expected = last.run(images), first.run(images)
            timings = (
                {
                    layout: ms_per_batch(backend, images)
                    for layout, backend in (("channels_last", last), ("nchw", first))
                }
                if device == "cuda"
                else {}
            )
        if lost:
            raise Fail(f"layers that handed back NCHW: {', '.join(lost[:5])}")
        error = float((got - expected).abs().max())
        if error > 2e-3:
            raise Fail(f"channels_last output differs from NCHW by {error:.2e}")
        return {"max_abs_error": error, "ms_per_batch": timings}

    return run


def ms_per_batch(backend: Any, images: torch.Tensor, repeats: int = 20) -> float:
    backend.run(images)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(repeats):
        backend.run(images)
    torch.cuda.synchronize()
    return 1000 * (time.perf_counter() - started) / repeats


def check_compile_worker() -> dict[str, Any]:
    """torch.compile and every call of the compiled net on its one worker thread, compiled once
    for two backends (two files of a batch), the short last batch filled up, output as eager."""
    from vidstyle.backends import torch_backend
    from vidstyle.backends.torch_backend import TorchBackend

    cuda = torch.cuda.is_available()
    ctx = resolve_context("cuda" if cuda else "cpu", "fp16" if cuda else "fp32")
    real_compile = torch.compile
    compiled_on: list[int] = []
    called_on: set[int] = set()

    def watched(module: Any, **options: Any) -> Any:
        compiled_on.append(threading.get_ident())
        # On a CPU inductor takes minutes to compile this net: the eager backend keeps the
        # check of who compiles and who calls it to seconds.
        compiled = real_compile(module, **(options if cuda else {"backend": "eager"}))

        def call(*args: Any) -> Any:
            called_on.add(threading.get_ident())
            return compiled(*args)

        return call

    torch_backend.torch.compile = watched  # type: ignore[assignment]
    try:
        net = the_net()
        batch = frames(4, 144, 256).permute(0, 3, 1, 2).float().div(255).to(ctx.device)
        outputs: list[torch.Tensor] = []
        errors: list[BaseException] = []
        for _ in range(2):  # two files of a batch, each its own backend and thread

            def one_file() -> None:
                try:
                    with TorchBackend(net, ctx, compile=True) as backend:
                        backend.prepare(tuple(batch.shape))  # type: ignore[arg-type]
                        outputs.append(backend.run(batch).float().cpu())
                except BaseException as exc:  # noqa: BLE001 - raised again on this thread
                    errors.append(exc)

            worker = threading.Thread(target=one_file)
            worker.start()
            worker.join()
            if errors:
                raise errors[0]
    finally:
        torch_backend.torch.compile = real_compile  # type: ignore[assignment]
    if len(compiled_on) != 1:
        raise Fail(f"compiled {len(compiled_on)} times for two backends of one net")
    threads = called_on | set(compiled_on)
    if len(threads) != 1:
        raise Fail(f"the compiled net ran on {len(threads)} threads")
    with TorchBackend(net, ctx) as eager:
        reference = eager.run(batch).float().cpu()
    db = psnr_db(reference, outputs[-1])
    if db < 35:
        raise Fail(f"compiled output PSNR {db:.1f} dB against eager")
    return {
        "cuda_graphs": cuda,
        "mode": "reduce-overhead" if cuda else "eager (CPU: the thread logic only)",
        "psnr_vs_eager_db": db,
        "same_output_both_files": bool(torch.equal(outputs[0], outputs[1])),
    }


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "parity_fp32": check_parity("fp32"),
    "parity_fp16": check_parity("fp16"),
    "parity_bf16": check_parity("bf16"),
    "channels_last_cpu": check_channels_last("cpu"),
    "channels_last_cuda": check_channels_last("cuda"),
    "compile_cuda_graphs_worker": check_compile_worker,
}


def run_checks(names: list[str]) -> list[dict[str, Any]]:
    from gpu_check_media import MEDIA_CHECKS
    from gpu_check_speed import SPEED_CHECKS

    every = CHECKS | SPEED_CHECKS | MEDIA_CHECKS
    rows = []
    for name in names or list(every):
        started = time.perf_counter()
        row: dict[str, Any]
        try:
            row = {"status": "PASS", "reason": "", "data": every[name]()}
        except Skip as exc:
            row = {"status": "SKIP", "reason": str(exc)}
        except Fail as exc:
            row = {"status": "FAIL", "reason": str(exc)}
        except Exception as exc:  # noqa: BLE001 - an unexpected error is this check's failure, not the run's
            row = {
                "status": "FAIL",
                "reason": f"{type(exc).__name__}: {str(exc).strip()[:300]}",
                "traceback": traceback.format_exc()[-2000:],
            }
        row = {"check": name, **row, "seconds": round(time.perf_counter() - started, 2)}
        print(f"{row['status']:4}  {name}  {row['reason']}".rstrip(), flush=True)
        rows.append(row)
    return rows


def environment() -> dict[str, Any]:
    versions = {}
    for module in ("torch", "numpy", "av", "onnx", "onnxruntime", "tensorrt", "safetensors"):
        try:
            versions[module] = getattr(__import__(module), "__version__", "?")
        except ImportError:
            versions[module] = None
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else platform.processor() or platform.machine()
    cuda = (
        {"cuda": torch.version.cuda, "capability": ".".join(map(str, torch.cuda.get_device_capability()))}
        if torch.cuda.is_available()
        else {}
    )
    return {
        "device": device,
        **cuda,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/gpu_check.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-o", "--output", help="JSON path (default: benchmarks/results/gpu-check-DEVICE.json)")
    parser.add_argument("--only", default="", help="comma list of checks to run (default: all)")
    args = parser.parse_args(argv)
    env = environment()
    rows = run_checks([n for n in args.only.split(",") if n])
    slug = re.sub(r"[^a-z0-9]+", "-", env["device"].lower()).strip("-") if torch.cuda.is_available() else "cpu"
    out = Path(args.output) if args.output else ROOT / "benchmarks" / "results" / f"gpu-check-{slug}.json"
    counts = {status: sum(r["status"] == status for r in rows) for status in ("PASS", "FAIL", "SKIP")}
    text = json.dumps(
        {"schema": "vidstyle-gpu-check/1", "environment": env, "counts": counts, "checks": rows}, indent=2, default=str
    )
    with tempfile.NamedTemporaryFile("w", dir=out.parent, prefix=f".{out.name}.", delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, out)  # whole or not at all
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped; wrote {out}")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
