"""Eager (or compiled) PyTorch inference."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch

from ..context import RunContext
from ..net import TransformerNet
from .base import Backend


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, net: TransformerNet, ctx: RunContext, *, compile: bool = False) -> None:
        self.ctx = ctx
        # A private copy, so moving it to the GPU or channels_last never surprises the caller.
        module = copy.deepcopy(net).eval().requires_grad_(False).to(ctx.device)
        if ctx.is_cuda:
            module = module.to(memory_format=torch.channels_last)
        self.net = module
        self._forward: Callable[[torch.Tensor], torch.Tensor] = self.net
        if compile:
            # "reduce-overhead" captures CUDA graphs for fixed shapes; on CPU it is plain inductor.
            mode = "reduce-overhead" if ctx.is_cuda else "default"
            self._forward = torch.compile(self.net, mode=mode, dynamic=False)

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        warm = torch.rand(shape, device=self.ctx.device)
        self._run(warm)

    def _run(self, images: torch.Tensor) -> torch.Tensor:
        if self.ctx.is_cuda:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), self.ctx.autocast():
            return self._forward(images).float()

    def _release(self) -> None:
        del self._forward, self.net
