"""Eager (or compiled) PyTorch inference."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..context import RunContext
from ..net import ConditionalInstanceNorm, TransformerNet
from .base import Backend
from .worker import DeviceWorker, SharedRunners

# F.instance_norm's own epsilon, so both norms give the same numbers.
NORM_EPS = 1e-5


class ChannelsLastNorm(ConditionalInstanceNorm):
    """The conditional instance norm computed so that a channels_last input stays channels_last.

    F.instance_norm hands back NCHW whatever it is given, so each of the net's norms would
    turn the layout round twice (NHWC -> NCHW for the norm, back for the next conv). The
    statistics are taken in fp32, as F.instance_norm does for half inputs.
    """

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        gamma = style_weights @ self.weight
        beta = style_weights @ self.bias
        wide = x.float()
        var, mean = torch.var_mean(wide, dim=(2, 3), unbiased=False, keepdim=True)
        normed = ((wide - mean) * torch.rsqrt(var + NORM_EPS)).to(x.dtype)
        return normed * gamma[:, :, None, None] + beta[:, :, None, None]


def private_copy(net: TransformerNet, ctx: RunContext, *, channels_last: bool) -> TransformerNet:
    """The net as this backend runs it, leaving the caller's net untouched: eval mode, on the
    device, and with channels_last its norms swapped for ones that keep that layout."""
    module = copy.deepcopy(net).eval().requires_grad_(False).to(ctx.device)
    if not channels_last:
        return module
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, ConditionalInstanceNorm) and not isinstance(child, ChannelsLastNorm):
                norm = ChannelsLastNorm(child.weight.shape[1], child.weight.shape[0]).to(ctx.device)
                norm.load_state_dict(child.state_dict())
                setattr(parent, name, norm.requires_grad_(False))
    return module.to(memory_format=torch.channels_last)


@dataclass
class CompiledNet:
    """A compiled private copy of a net, and the one thread that calls it."""

    net: TransformerNet
    forward: Callable[..., torch.Tensor]
    worker: DeviceWorker
    ctx: RunContext
    cuda_graphs: bool

    def __call__(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        if self.cuda_graphs:
            # Each call is a new step: the graph's previous outputs may be written over.
            torch.compiler.cudagraph_mark_step_begin()
        with torch.inference_mode(), self.ctx.autocast():
            return self.forward(images, style_weights).float()


_COMPILED = SharedRunners()


def compiled_net(net: TransformerNet, ctx: RunContext, *, channels_last: bool) -> CompiledNet:
    """The compiled copy of `net` for this device and precision, made on first use and kept
    while `net` lives (so a batch of files compiles and records its graphs once)."""

    def make() -> CompiledNet:
        module = private_copy(net, ctx, channels_last=channels_last)
        # "reduce-overhead" captures CUDA graphs for fixed shapes; on CPU it is plain inductor.
        mode = "reduce-overhead" if ctx.is_cuda else "default"
        worker = DeviceWorker("vidstyle-compiled-net")
        forward = worker.call(lambda: torch.compile(module, mode=mode, dynamic=False))
        return CompiledNet(net=module, forward=forward, worker=worker, ctx=ctx, cuda_graphs=ctx.is_cuda)

    # Weights changed in place (a training step, load_state_dict) bump their versions: a new key.
    weights = tuple((id(p), p._version) for p in net.parameters())
    return _COMPILED.get(net, (str(ctx.device), ctx.precision, channels_last, weights), make, lambda c: c.worker.stop())


class TorchBackend(Backend):
    name = "torch"

    def __init__(
        self,
        net: TransformerNet,
        ctx: RunContext,
        *,
        compile: bool = False,
        style_names: Sequence[str] | None = None,
        channels_last: bool | None = None,
    ) -> None:
        self.ctx = ctx
        self.style_names = (
            tuple(style_names) if style_names is not None else tuple(str(i) for i in range(net.style_count))
        )
        # channels_last is what the GPU's convolutions prefer; on CPU oneDNN picks its own layout.
        self.channels_last = ctx.is_cuda if channels_last is None else channels_last
        # A compiled net is specialised to its shapes: a new one (a short last batch) would compile again.
        self.fixed_shapes = compile
        self._compiled: CompiledNet | None = (
            compiled_net(net, ctx, channels_last=self.channels_last) if compile else None
        )
        self.net: nn.Module = (
            self._compiled.net if self._compiled else private_copy(net, ctx, channels_last=self.channels_last)
        )
        self._style_count = net.style_count

    def _prepare(self, shape: tuple[int, int, int, int]) -> None:
        warm = torch.rand(shape, device=self.ctx.device)
        style_count = self._style_count
        self._run(
            warm,
            None
            if style_count == 1
            else torch.full((shape[0], style_count), 1.0 / style_count, device=self.ctx.device),
        )

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        if style_weights is not None:
            style_weights = style_weights.to(self.ctx.device, torch.float32)
        if self._compiled is not None:
            return self._compiled.worker.call(self._compiled, images, style_weights)
        with torch.inference_mode(), self.ctx.autocast():
            return self.net(images, style_weights).float()

    def _release(self) -> None:
        # A compiled net stays with its model for the next backend; this one only lets go of it.
        self._compiled = None
        del self.net
