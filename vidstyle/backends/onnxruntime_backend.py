"""onnxruntime inference with an explicit provider, never a silent CPU fallback.

On CUDA the input and output stay on the GPU through IO binding to torch tensors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..context import RunContext
from ..errors import VidstyleError
from ..modelfile import ModelCard
from .base import INPUT_NAME, OUTPUT_NAME, STYLE_INPUT_NAME, Backend


def providers_for(ctx: RunContext, available: list[str]) -> list[str]:
    """TensorRT EP, then CUDA EP, for a CUDA context; the CPU EP only for a CPU context."""
    if not ctx.is_cuda:
        return ["CPUExecutionProvider"]
    wanted: list[str] = [p for p in ("TensorrtExecutionProvider", "CUDAExecutionProvider") if p in available]
    if not wanted:
        raise VidstyleError(
            "onnxruntime has no CUDA provider here (available: "
            + ", ".join(available)
            + "); install onnxruntime-gpu (pip install 'vidstyle[gpu]') or use --device cpu"
        )
    return wanted


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def __init__(self, onnx_path: str | os.PathLike[str], ctx: RunContext, *, providers: list[str] | None = None) -> None:
        import onnxruntime as ort

        self.ctx = ctx
        available = ort.get_available_providers()
        requested = providers or providers_for(ctx, available)
        missing = [p for p in requested if p not in available]
        if missing:
            raise VidstyleError(f"onnxruntime provider {missing[0]} is not available here (available: {', '.join(available)})")
        if not Path(onnx_path).is_file():
            raise VidstyleError(f"ONNX file not found: {onnx_path}")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(onnx_path), sess_options=options, providers=requested)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise VidstyleError(f"onnxruntime cannot load {onnx_path}: {str(exc).splitlines()[0][:300]}") from None
        # onnxruntime quietly drops providers it cannot initialise; refuse instead.
        active = self.session.get_providers()
        if requested[0] not in active and not (len(requested) > 1 and requested[1] in active):
            raise VidstyleError(f"onnxruntime did not start {requested[0]} (session uses {', '.join(active)}); refusing to fall back silently")
        self.providers = active
        self._binding: Any = None
        self.takes_style = any(node.name == STYLE_INPUT_NAME for node in self.session.get_inputs())
        self.style_names = self._read_style_names()

    def _read_style_names(self) -> tuple[str, ...]:
        """From the model card the exporter stores in the file; numbered when a file has none."""
        card_text = self.session.get_modelmeta().custom_metadata_map.get("vidstyle.card")
        if card_text:
            return tuple(ModelCard.from_export(card_text).style_names)
        style_input = [node for node in self.session.get_inputs() if node.name == STYLE_INPUT_NAME]
        count = style_input[0].shape[1] if style_input and isinstance(style_input[0].shape[1], int) else 1
        return tuple(str(i) for i in range(count))

    def _style_feed(self, style_weights: torch.Tensor | None) -> dict[str, np.ndarray]:
        if style_weights is None and self.takes_style:
            raise VidstyleError(f"this ONNX file holds several styles; pass {STYLE_INPUT_NAME}")
        if style_weights is None or not self.takes_style:
            return {}
        return {STYLE_INPUT_NAME: style_weights.detach().float().contiguous().cpu().numpy()}

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        if not self.ctx.is_cuda or self.takes_style:
            # The style vector is a few floats: the host path is fine for it, and keeps the
            # bound path (below) for the single-input graphs it was written for.
            array = images.detach().float().contiguous().cpu().numpy()
            out = self.session.run([OUTPUT_NAME], {INPUT_NAME: array} | self._style_feed(style_weights))[0]
            return torch.from_numpy(np.asarray(out)).to(images.device)
        return self._run_bound(images)

    def _run_bound(self, images: torch.Tensor) -> torch.Tensor:
        x = images.detach().float().contiguous()
        y = torch.empty_like(x)
        binding = self.session.io_binding()
        device_id = x.device.index or 0
        binding.bind_input(INPUT_NAME, "cuda", device_id, np.float32, list(x.shape), x.data_ptr())
        binding.bind_output(OUTPUT_NAME, "cuda", device_id, np.float32, list(y.shape), y.data_ptr())
        # onnxruntime uses its own stream: make torch's pending work (the upload) finish first.
        torch.cuda.current_stream(x.device).synchronize()
        self.session.run_with_iobinding(binding)
        return y

    def _release(self) -> None:
        del self.session
