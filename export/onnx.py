"""ONNX export that checks itself: onnx.checker (full), then onnxruntime against torch.

The graph takes `images`, float32 RGB in [0, 1], NCHW, with dynamic batch, height and
width, and returns `stylized` in the same layout. With fp16=True the precision lives in
the graph: convolutions run in fp16 between explicit Casts, while instance norm stays in
fp32 (it overflows in fp16: TensorRT #2691, onnxruntime #10079) and so do input/output.
TensorRT 10+/11 networks are strongly typed, so this graph is what sets an engine's precision.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vidstyle.atomic import atomic_output, file_sha256
from vidstyle.errors import VidstyleError

try:
    import onnx
except ImportError:  # not a core dependency: the onnx extra brings it
    raise VidstyleError("ONNX export needs the onnx package: pip install 'vidstyle[onnx]'") from None
from vidstyle.backends.base import INPUT_NAME, OUTPUT_NAME, STYLE_INPUT_NAME
from vidstyle.backends.onnxruntime_backend import OnnxRuntimeBackend
from vidstyle.backends.torch_backend import TorchBackend
from vidstyle.context import resolve_context
from vidstyle.modelfile import StyleModel
from vidstyle.net import TransformerNet

from .parity import ParityCheck, compare

DEFAULT_OPSET = 18
IO_DOC = "float32 RGB in [0, 1], NCHW, any batch/height/width; output has the input's shape"


class HalfConv(nn.Module):
    """A conv computed in fp16 between explicit casts; its neighbours stay fp32."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = copy.deepcopy(conv).half()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.half()).float()


def mixed_precision_copy(net: TransformerNet) -> TransformerNet:
    """A copy of `net` whose convs run in fp16; the original is left untouched."""
    mixed = copy.deepcopy(net).cpu().float().eval()
    for parent in list(mixed.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Conv2d):
                setattr(parent, name, HalfConv(child))
    return mixed


@dataclass
class OnnxReport:
    path: Path
    opset: int
    fp16: bool
    checker: str
    parity: list[ParityCheck] = field(default_factory=list)
    skipped: str = ""


def export_onnx_proto(model: StyleModel, *, opset: int = DEFAULT_OPSET, fp16: bool = False) -> onnx.ModelProto:
    net = mixed_precision_copy(model.net) if fp16 else copy.deepcopy(model.net).cpu().float().eval()
    batch = torch.export.Dim("batch", min=1, max=1024)
    dims = {0: batch, 2: torch.export.Dim("height", min=4, max=16384), 3: torch.export.Dim("width", min=4, max=16384)}
    style_count = model.net.style_count
    # A single-style graph keeps its one input; a multi-style one takes [B, N] style weights too.
    example: tuple[torch.Tensor, ...] = (torch.rand(2, 3, 64, 64),) + (
        (torch.full((2, style_count), 1.0 / style_count),) if style_count > 1 else ()
    )
    names = [INPUT_NAME] + ([STYLE_INPUT_NAME] if style_count > 1 else [])
    shapes: dict[str, Any] = {"x": dims} | ({"style_weights": {0: batch}} if style_count > 1 else {})
    # The torch.export-based exporter keeps pad-to-4 as shape arithmetic in the graph, so
    # the file works for any H and W; it chats on stdout, which is not ours to fill. Its
    # warnings are left alone: they may be the only sign that an export went wrong. The one
    # exception is its note that the style weights share the image's batch axis, as meant.
    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*axis name: batch will not be used, since it shares the same shape constraints"
        )
        program = torch.onnx.export(
            net,
            example,
            input_names=names,
            output_names=[OUTPUT_NAME],
            dynamic_shapes=shapes,
            opset_version=opset,
            dynamo=True,
            verbose=False,
        )
    if program is None:
        raise VidstyleError("torch.onnx.export returned no program")
    proto = program.model_proto
    card = json.loads(model.card.to_json())
    card["precision"] = "fp16-convs" if fp16 else "fp32"
    onnx.helper.set_model_props(
        proto,
        {
            "vidstyle.card": json.dumps(card, sort_keys=True),
            "vidstyle.io": IO_DOC,
            "vidstyle.precision": card["precision"],
        },
    )
    proto.doc_string = f"vidstyle TransformerNet ({card['precision']}); {IO_DOC}"
    proto.graph.input[0].doc_string = IO_DOC
    proto.graph.output[0].doc_string = IO_DOC
    return proto


def written_opset(proto: onnx.ModelProto) -> int:
    """The default-domain opset a graph was written with: what the file really is."""
    return next(int(entry.version) for entry in proto.opset_import if entry.domain in ("", "ai.onnx"))


PARITY_SIZES = [(1, 3, 64, 96), (2, 3, 67, 45)]  # the second is odd on both axes


def parity_style_weights(batch: int, style_count: int) -> list[torch.Tensor | None]:
    """None for a single-style net; else a one-hot row (the last style) and a mix of all styles."""
    if style_count == 1:
        return [None]
    one_hot = torch.zeros(batch, style_count)
    one_hot[:, -1] = 1.0
    mix = torch.linspace(1.0, 2.0, style_count).expand(batch, style_count)
    return [one_hot, mix / mix.sum(dim=1, keepdim=True)]


def check_parity(onnx_path: str | os.PathLike[str], model: StyleModel, *, seed: int = 0) -> list[ParityCheck]:
    """onnxruntime (CPU) vs torch fp32, each through its backend, on random inputs of PARITY_SIZES
    (with a one-hot and a mixed style vector each, for a multi-style net)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = [
        (images, weights)
        for images in (torch.rand(size, generator=generator) for size in PARITY_SIZES)
        for weights in parity_style_weights(images.shape[0], model.net.style_count)
    ]
    ctx = resolve_context("cpu", "fp32")
    with TorchBackend(model.net, ctx) as reference, OnnxRuntimeBackend(onnx_path, ctx) as candidate:
        return compare(reference, candidate, inputs)


ONNX_STEPS = 3  # export, checker, parity


def export_onnx(
    model: StyleModel,
    output: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    fp16: bool = False,
    tolerance: float = 1e-4,
    min_psnr_db: float = 40.0,
    on_step: Callable[[str], None] | None = None,
) -> OnnxReport:
    """Export, run the checker and the parity check, and only then move the file into place
    (a failed check leaves any previous file at `output` as it was). `on_step` is called with
    the name of each of its ONNX_STEPS as it starts (a progress bar's hook)."""
    step = on_step or (lambda name: None)
    newest = onnx.defs.onnx_opset_version()
    if not 17 <= opset <= newest:
        raise VidstyleError(
            f"ONNX opset {opset} is not supported: 17 (InstanceNormalization and Resize as used here) to {newest} "
            "(the installed onnx)"
        )
    step("torch.onnx export")
    proto = export_onnx_proto(model, opset=opset, fp16=fp16)
    written = written_opset(proto)
    if written != opset:  # the exporter falls back to its own opset when it cannot convert
        raise VidstyleError(
            f"ONNX opset {opset} is not supported by this torch exporter (it wrote opset {written}); "
            "nothing was written"
        )
    step("onnx.checker")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise VidstyleError(f"exported ONNX failed onnx.checker: {str(exc).splitlines()[0]}") from None
    report = OnnxReport(path=Path(output), opset=written, fp16=fp16, checker="onnx.checker full_check passed")
    # Written beside the target, checked through the backend that will run it, renamed only if good.
    with atomic_output(output) as tmp:
        onnx.save_model(proto, str(tmp))
        step("onnxruntime vs torch")
        try:
            report.parity = check_parity(tmp, model)
        except Exception as exc:  # noqa: BLE001 - onnxruntime reports missing kernels as generic errors
            if not fp16:
                raise
            report.skipped = f"onnxruntime's CPU kernels could not run the fp16 graph: {str(exc).splitlines()[0][:200]}"
        for check in report.parity:
            if fp16 and check.psnr_db < min_psnr_db:
                raise VidstyleError(
                    f"fp16 ONNX differs from torch fp32: PSNR {check.psnr_db:.1f} dB < {min_psnr_db} dB at {check.size}"
                )
            if not fp16 and check.max_abs_error > tolerance:
                raise VidstyleError(
                    f"ONNX differs from torch: max abs error {check.max_abs_error:.2e} "
                    f"> {tolerance:.0e} at {check.size}"
                )
    return report


def onnx_sha256(path: str | os.PathLike[str]) -> str:
    return file_sha256(path)


def read_card(path: str | os.PathLike[str]) -> dict[str, object]:
    """The model card stored in an exported file's metadata_props."""
    proto = onnx.load(str(path), load_external_data=False)
    props = {p.key: p.value for p in proto.metadata_props}
    if "vidstyle.card" not in props:
        raise VidstyleError(f"{path} is not a vidstyle ONNX export (no model card in metadata_props)")
    return json.loads(props["vidstyle.card"])  # type: ignore[no-any-return]
