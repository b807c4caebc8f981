"""onnxruntime inference with an explicit provider, never a silent CPU fallback.

On CUDA the images, the style weights and the output stay on the GPU through IO binding to
torch tensors. onnxruntime computes on a stream of this backend's own, handed to it as a
provider option; events order that stream after torch's work on the inputs and torch's
next work after it, so no batch waits on the host (onnxruntime's own per-run synchronize
is turned off).
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
from .cuda_streams import CudaOps, StreamOps

CUDA_PROVIDER = "CUDAExecutionProvider"
Provider = str | tuple[str, dict[str, str]]


def cuda_provider_options(device_index: int, stream_handle: int) -> dict[str, str]:
    return {
        "device_id": str(device_index),
        "user_compute_stream": str(stream_handle),  # run on our stream, ordered by events
        "cudnn_conv_algo_search": "EXHAUSTIVE",  # the fastest kernels for the fixed video shapes
        "cudnn_conv_use_max_workspace": "1",
        "arena_extend_strategy": "kSameAsRequested",  # no doubling arena next to torch's allocator
    }


def providers_for(ctx: RunContext, available: list[str], *, stream_handle: int = 0) -> list[Provider]:
    """The CUDA provider, with its options, for a CUDA context; the CPU provider for a CPU one.

    TensorRT runs through vidstyle's own tensorrt backend (checked, cached engines), not
    through onnxruntime's TensorRT provider, which builds its engines again in every session.
    """
    if not ctx.is_cuda:
        return ["CPUExecutionProvider"]
    if CUDA_PROVIDER not in available:
        raise VidstyleError(
            "onnxruntime has no CUDA provider here (available: "
            + ", ".join(available)
            + "); install onnxruntime-gpu in place of onnxruntime (README, Install) or use --device cpu"
        )
    return [(CUDA_PROVIDER, cuda_provider_options(ctx.device.index or 0, stream_handle))]


def onnxruntime_cuda_problem() -> str | None:
    """Why onnxruntime cannot run on CUDA here, or None when it can (its CUDA provider exists)."""
    if not torch.cuda.is_available():
        return "no CUDA GPU"
    try:
        import onnxruntime as ort
    except ImportError:
        return "onnxruntime is not installed (pip install onnxruntime-gpu)"
    if CUDA_PROVIDER not in ort.get_available_providers():
        return "this onnxruntime has no CUDA provider (the CPU wheel); install onnxruntime-gpu in place of onnxruntime"
    return None


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def __init__(
        self,
        onnx_path: str | os.PathLike[str],
        ctx: RunContext,
        *,
        providers: list[Provider] | None = None,
        ops: StreamOps | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError:  # not a core dependency
            raise VidstyleError(
                "onnxruntime is not installed: pip install 'vidstyle[onnx]' (or onnxruntime-gpu on a CUDA machine)"
            ) from None

        self.ctx = ctx
        self._ops: StreamOps | None = None
        self._stream: Any = None
        if ctx.is_cuda:
            self._ops = ops or CudaOps(ctx.device)
            self._stream = self._ops.new_stream()
            self._inputs_ready, self._outputs_ready = self._ops.new_event(), self._ops.new_event()
        available = ort.get_available_providers()
        requested = providers or providers_for(
            ctx, available, stream_handle=self._ops.stream_handle(self._stream) if self._ops else 0
        )
        names = [p if isinstance(p, str) else p[0] for p in requested]
        missing = [p for p in names if p not in available]
        if missing:
            raise VidstyleError(
                f"onnxruntime provider {missing[0]} is not available here (available: {', '.join(available)})"
            )
        if not Path(onnx_path).is_file():
            raise VidstyleError(f"ONNX file not found: {onnx_path}")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not ctx.is_cuda:
            # onnxruntime's CPU threads spin between parallel sections by default, taking cores
            # from the decode and encode beside them in stylize and camera. On a shared 2-core
            # CPU a width-0.5 net at 640x360 took 1022 ms and 466 ms of CPU per frame spinning,
            # 661 ms and 301 ms not (medians of 10 calls each, interleaved).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(onnx_path), sess_options=options, providers=requested)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise VidstyleError(f"onnxruntime cannot load {onnx_path}: {str(exc).splitlines()[0][:300]}") from None
        # onnxruntime quietly drops providers it cannot initialise; refuse instead.
        active = self.session.get_providers()
        if names[0] not in active:
            raise VidstyleError(
                f"onnxruntime did not start {names[0]} (session uses {', '.join(active)}); "
                "refusing to fall back silently"
            )
        self.providers = active
        self._run_options = ort.RunOptions()
        if ctx.is_cuda:
            # The events below order the work; a host-side synchronize per batch would only stall.
            self._run_options.add_run_config_entry("disable_synchronize_execution_providers", "1")
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

    def _checked_styles(self, style_weights: torch.Tensor | None) -> torch.Tensor | None:
        if style_weights is None and self.takes_style:
            raise VidstyleError(f"this ONNX file holds several styles; pass {STYLE_INPUT_NAME}")
        return style_weights.detach().float().contiguous() if style_weights is not None and self.takes_style else None

    def _run(self, images: torch.Tensor, style_weights: torch.Tensor | None) -> torch.Tensor:
        weights = self._checked_styles(style_weights)
        if self._ops is not None:
            return self._run_bound(images, weights)
        feed = {INPUT_NAME: images.detach().float().contiguous().cpu().numpy()}
        if weights is not None:
            feed[STYLE_INPUT_NAME] = weights.cpu().numpy()
        out = self.session.run([OUTPUT_NAME], feed, self._run_options)[0]
        return torch.from_numpy(np.asarray(out)).to(images.device)

    def _run_bound(self, images: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
        assert self._ops is not None
        ops = self._ops
        x = images.detach().float().contiguous()
        y = torch.empty_like(x)
        binding = self.session.io_binding()
        device_id = x.device.index or 0
        binding.bind_input(INPUT_NAME, "cuda", device_id, np.float32, list(x.shape), x.data_ptr())
        if weights is not None:
            weights = weights.to(x.device)
            binding.bind_input(STYLE_INPUT_NAME, "cuda", device_id, np.float32, list(weights.shape), weights.data_ptr())
        binding.bind_output(OUTPUT_NAME, "cuda", device_id, np.float32, list(y.shape), y.data_ptr())
        # onnxruntime's stream starts after torch has written the inputs, and torch's next
        # work starts after onnxruntime has written the output: events, no host wait.
        current = ops.current_stream()
        ops.record(self._inputs_ready, current)
        ops.wait(self._stream, self._inputs_ready)
        self.session.run_with_iobinding(binding, self._run_options)
        ops.record(self._outputs_ready, self._stream)
        ops.wait(current, self._outputs_ready)
        return y

    def _release(self) -> None:
        del self.session


def graph_precision(path: str | os.PathLike[str]) -> str | None:
    """The precision an exported graph computes in ("fp32" or "fp16-convs"), from its metadata."""
    try:
        import onnx

        proto = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 - no onnx package, or not an ONNX file: the backend will say so
        return None
    return {p.key: p.value for p in proto.metadata_props}.get("vidstyle.precision")
