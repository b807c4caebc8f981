"""gpu_check's checks on torch alone: the net on CUDA against the CPU in each precision,
channels_last kept through the net, and torch.compile owned by the compiled net's worker thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import torch

from gpu_check_common import Fail, frames, ms_per_batch, needs_cuda, psnr_db, the_net
from vidstyle.context import resolve_context

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


TORCH_CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "parity_fp32": check_parity("fp32"),
    "parity_fp16": check_parity("fp16"),
    "parity_bf16": check_parity("bf16"),
    "channels_last_cpu": check_channels_last("cpu"),
    "channels_last_cuda": check_channels_last("cuda"),
    "compile_cuda_graphs_worker": check_compile_worker,
}
