"""The torch backend: channels_last kept through the whole net, and a compiled net that
compiles once and runs (compile, graphs, every call) on one long-lived thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from clips import make_clip
from conftest import float32_rounding
from vidstyle import load_model
from vidstyle.backends.torch_backend import TorchBackend
from vidstyle.context import resolve_context
from vidstyle.jobs.video import Runtime, VideoOptions, stylize_video


def test_channels_last_stays_channels_last_through_every_layer(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    images = torch.rand(2, 3, 36, 52)
    with TorchBackend(model.net, resolve_context("cpu"), channels_last=True) as backend:
        layouts: list[tuple[str, bool]] = []

        def note(name: str) -> Any:
            def hook(module: torch.nn.Module, args: Any, output: Any) -> None:
                if isinstance(output, torch.Tensor) and output.ndim == 4 and output.shape[1] > 1:
                    layouts.append((name, output.is_contiguous(memory_format=torch.channels_last)))

            return hook

        for name, module in backend.net.named_modules():
            if name and not list(module.children()):
                module.register_forward_hook(note(name))
        got = backend.run(images)
    assert layouts and [name for name, kept in layouts if not kept] == []
    with torch.no_grad():
        expected = model.net.eval()(images)
    # Two layouts add the same sums in other orders: they may differ by float32 rounding only.
    assert float((got - expected).abs().max()) <= 8 * float32_rounding(model.net, images) + 1e-7


class FakeCompile:
    """torch.compile's stand-in: the module itself, with a note of which thread compiled it,
    which threads called it and at which shapes."""

    def __init__(self) -> None:
        self.compiled: list[int] = []
        self.calls: list[tuple[int, tuple[int, ...]]] = []

    def __call__(self, module: torch.nn.Module, **options: Any) -> Any:
        self.compiled.append(threading.get_ident())

        def forward(images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
            self.calls.append((threading.get_ident(), tuple(images.shape)))
            return module(images, style_weights)

        return forward


def test_a_compiled_net_compiles_once_and_runs_on_one_thread_for_every_file(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeCompile()
    monkeypatch.setattr(torch, "compile", fake)
    model = load_model(tiny_model)  # loaded once, as a batch worker does
    clip = make_clip(tmp_path / "in.mp4", frames=5, width=32, height=24)
    for name in ("a.mp4", "b.mp4"):  # each file its own backend and pipeline threads
        result = stylize_video(
            clip,
            tmp_path / name,
            VideoOptions(model=model, runtime=Runtime(device="cpu", batch=2, compile=True)),
            progress=False,
        )
        assert result.frames == 5
    assert len(fake.compiled) == 1
    threads = {thread for thread, _ in fake.calls} | set(fake.compiled)
    assert len(threads) == 1 and threading.get_ident() not in threads
    # The last batch of each file (one frame) is filled up to the prepared two, so no new shape.
    assert {shape for _, shape in fake.calls} == {(2, 3, 24, 32)}
    assert len(fake.calls) == 2 * (1 + 3)  # per file: the warm-up, then three batches


def test_a_compiled_net_follows_its_weights(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch, "compile", FakeCompile())
    model = load_model(tiny_model)
    ctx = resolve_context("cpu")
    images = torch.rand(1, 3, 16, 16)
    with TorchBackend(model.net, ctx, compile=True) as backend:
        before = backend.run(images)
    with torch.no_grad():
        for p in model.net.parameters():
            p.mul_(0.5)  # weights changed in place: the old compiled copy is stale
    with TorchBackend(model.net, ctx, compile=True) as backend:
        after = backend.run(images)
    with torch.no_grad():
        assert float((after - model.net.eval()(images)).abs().max()) <= 8 * float32_rounding(model.net, images) + 1e-7
        assert not torch.allclose(before, after)
