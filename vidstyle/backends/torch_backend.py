"""Eager (or compiled) PyTorch inference."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch

from ..context import RunContext
from ..net import TransformerNet
from .base import Backend


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, net: TransformerNet, ctx: RunContext, *, compile: bool = False, style_names: Sequence[str] | None = None) -> None:
        self.ctx = ctx
        self.style_names = tuple(style_names) if style_names is not None else tuple(str(i) for i in range(net.styles))
        # A private copy, so moving it to the GPU or channels_last never surprises the caller.
        module = copy.deepcopy(net).eval().requires_grad_(False).to(ctx.device)
        if ctx.is_cuda:
            module = module.to(memory_format=torch.channels_last)
        self.net = module
        self._forward: Callable[..., torch.Tensor] = self.net
        if compile:
            # "reduce-overhead" captures CUDA graphs for fixed shapes; on CPU it is plain inductor.
            mode = "reduce-overhead" if ctx.is_cuda else "default"
            self._forward = torch.compile(self.net, mode=mode, dynamic=False)

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        warm = torch.rand(shape, device=self.ctx.device)
        styles = self.net.styles
        self._run(warm, None if styles == 1 else torch.full((shape[0], styles), 1.0 / styles, device=self.ctx.device))

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        if self.ctx.is_cuda:
            images = images.contiguous(memory_format=torch.channels_last)
        if style_weights is not None:
            style_weights = style_weights.to(self.ctx.device, torch.float32)
        with torch.inference_mode(), self.ctx.autocast():
            return self._forward(images, style_weights).float()

    def _release(self) -> None:
        del self._forward, self.net
