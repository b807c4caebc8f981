"""Build a TensorRT engine from the exported ONNX, for TensorRT 10.x and 11.x alike.

Composable steps (Polygraphy-style): parse -> profile -> build (with a timing cache) ->
write header + plan beside the target -> parity against torch -> rename into place, so a
failed build or a poor engine never replaces a good one. Precision comes from the ONNX
graph: the network is strongly typed (required on 10.x, the only mode on 11.x), so no
precision flags.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from vidstyle.atomic import atomic_output
from vidstyle.backends.base import INPUT_NAME, STYLE_INPUT_NAME
from vidstyle.backends.engine_header import EngineHeader, write_engine
from vidstyle.backends.tensorrt_backend import TensorRTBackend, device_identity, require_tensorrt
from vidstyle.backends.torch_backend import TorchBackend
from vidstyle.colour import fit_max_side, resize
from vidstyle.context import resolve_context
from vidstyle.errors import VidstyleError
from vidstyle.images import read_image
from vidstyle.modelfile import StyleModel, default_model_path

from .onnx import DEFAULT_OPSET, ONNX_STEPS, export_onnx, onnx_sha256, parity_style_weights
from .parity import compare

if TYPE_CHECKING:
    import tensorrt as trt

Shape = tuple[int, int, int, int]
DEFAULT_MIN: Shape = (1, 3, 64, 64)
DEFAULT_OPT: Shape = (4, 3, 720, 1280)
DEFAULT_MAX: Shape = (8, 3, 1088, 1920)
WORKSPACE_BYTES = 4 << 30
MIN_PSNR_DB = 40.0


@dataclass
class EngineReport:
    path: Path
    header: EngineHeader
    build_seconds: float
    psnr_db: float | None = None


def parse_shape(text: str) -> Shape:
    """'BxHxW' -> (B, 3, H, W)."""
    try:
        batch, height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise VidstyleError(f"shapes are written BxHxW, like 4x720x1280; got {text!r}") from None
    return (batch, 3, height, width)


def parse_network(logger: trt.ILogger, onnx_bytes: bytes) -> tuple[trt.Builder, trt.INetworkDefinition, trt.OnnxParser]:
    import tensorrt as trt

    builder = trt.Builder(logger)
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise VidstyleError(f"TensorRT could not parse the ONNX: {errors[:400]}")
    return builder, network, parser


def make_config(
    builder: trt.Builder, shapes: tuple[Shape, Shape, Shape], cache_bytes: bytes, *, style_count: int = 1
) -> trt.IBuilderConfig:
    import tensorrt as trt

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
    profile = builder.create_optimization_profile()
    profile.set_shape(INPUT_NAME, *(trt.Dims(list(shape)) for shape in shapes))
    if style_count > 1:  # the style weights follow the images' batch axis
        profile.set_shape(STYLE_INPUT_NAME, *(trt.Dims([shape[0], style_count]) for shape in shapes))
    if config.add_optimization_profile(profile) < 0:
        raise VidstyleError(
            "TensorRT refused the optimisation profile " + " .. ".join("x".join(map(str, shape)) for shape in shapes)
        )
    use_timing_cache(config, cache_bytes)
    return config


def use_timing_cache(config: trt.IBuilderConfig, cache_bytes: bytes) -> None:
    """The saved timing cache when TensorRT takes it; a fresh one when it does not (a cache from
    another TensorRT version or GPU, or a damaged file): the build is then slower, not wrong."""
    cache = config.create_timing_cache(cache_bytes) if cache_bytes else None
    if cache is not None and config.set_timing_cache(cache, False):
        return
    if cache_bytes:
        logging.getLogger("vidstyle").warning("TensorRT did not take the saved timing cache; building with a fresh one")
    fresh = config.create_timing_cache(b"")
    if fresh is None or not config.set_timing_cache(fresh, False):
        raise VidstyleError("TensorRT could not set up a timing cache")


ENGINE_STEPS = ONNX_STEPS + 1


def export_engine(
    model: StyleModel,
    output: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    fp16: bool = False,
    shapes: tuple[Shape, Shape, Shape] = (DEFAULT_MIN, DEFAULT_OPT, DEFAULT_MAX),
    source_model: str = "",
    timing_cache: str | os.PathLike[str] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> EngineReport:
    """The ONNX (kept beside the engine, .onnx or .fp16.onnx), then the checked engine.
    `on_step` hears each of the ENGINE_STEPS by name as it starts."""
    require_tensorrt(instead="export with --format onnx")  # before spending time on the ONNX export
    onnx_path = Path(output).with_suffix(".fp16.onnx" if fp16 else ".onnx")
    export_onnx(model, onnx_path, opset=opset, fp16=fp16, on_step=on_step)
    precision = "fp16" if fp16 else "fp32"
    if on_step is not None:
        on_step("TensorRT build and check")  # one step: the build's own phases are not visible from here
    return build_engine(
        onnx_path,
        output,
        model,
        shapes=shapes,
        precision=precision,
        source_model=source_model,
        timing_cache=timing_cache,
    )


def build_engine(
    onnx_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    model: StyleModel,
    *,
    shapes: tuple[Shape, Shape, Shape] = (DEFAULT_MIN, DEFAULT_OPT, DEFAULT_MAX),
    precision: str,
    source_model: str = "",
    timing_cache: str | os.PathLike[str] | None = None,
    check_image: torch.Tensor | None = None,
    min_psnr_db: float = MIN_PSNR_DB,
) -> EngineReport:
    """Build, check against `model` in torch fp32 on a natural image ([1, 3, H, W] in [0, 1];
    default: the bundled sample frame), and only then move the engine into place."""
    if not torch.cuda.is_available():
        raise VidstyleError("building a TensorRT engine needs a CUDA GPU")
    if not all(lo <= op <= hi for lo, op, hi in zip(*shapes)):
        raise VidstyleError("profile shapes must satisfy min <= opt <= max on every axis")
    require_tensorrt()
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    cache_file = Path(timing_cache) if timing_cache else Path(output).with_suffix(".timing-cache")
    cache_bytes = cache_file.read_bytes() if cache_file.is_file() else b""
    started = time.perf_counter()
    builder, network, _parser = parse_network(logger, Path(onnx_path).read_bytes())
    config = make_config(builder, shapes, cache_bytes, style_count=model.net.style_count)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise VidstyleError("TensorRT failed to build the engine (see its log above)")
    seconds = time.perf_counter() - started
    with atomic_output(cache_file) as tmp_cache:  # other builds may read the cache meanwhile
        tmp_cache.write_bytes(bytes(config.get_timing_cache().serialize()))
    gpu_name, capability = device_identity(torch.device("cuda"))
    header = EngineHeader(
        tensorrt_version=trt.__version__,
        gpu_name=gpu_name,
        compute_capability=capability,
        onnx_sha256=onnx_sha256(onnx_path),
        precision=precision,
        min_shape=shapes[0],
        opt_shape=shapes[1],
        max_shape=shapes[2],
        source_model=source_model,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        style_names=tuple(model.card.style_names) if model.net.style_count > 1 else (),
    )
    image = check_image if check_image is not None else sample_image(shapes[0], shapes[2])
    with atomic_output(output) as tmp:
        write_engine(tmp, header, bytes(plan))
        psnr = engine_parity(tmp, model, image)
        if psnr < min_psnr_db:
            raise VidstyleError(
                f"engine PSNR {psnr:.1f} dB is below {min_psnr_db:.0f} dB against torch fp32; not keeping it"
            )
    return EngineReport(path=Path(output), header=header, build_seconds=seconds, psnr_db=psnr)


def sample_image(min_shape: Shape, max_shape: Shape) -> torch.Tensor:
    """The bundled sample frame, scaled to fit the profile: down inside its largest shape, then
    each side brought up to the smallest shape's where it falls short (an engine refuses any
    input outside its profile, so a check image outside it would fail every build)."""
    image = read_image(default_model_path().parent / "sample.jpg")
    height, width = image.shape[-2:]
    if height > max_shape[2] or width > max_shape[3]:
        height, width = fit_max_side(height, width, min(max_shape[2], max_shape[3]))
    size = (min(max(height, min_shape[2]), max_shape[2]), min(max(width, min_shape[3]), max_shape[3]))
    return resize(image, size).contiguous()


def engine_parity(engine_path: str | os.PathLike[str], model: StyleModel, image: torch.Tensor) -> float:
    """PSNR of the engine against torch fp32 on one image ([1, 3, H, W] in [0, 1]); for a
    multi-style net the worst of a one-hot and a mixed style vector."""
    ctx = resolve_context("cuda", "fp32")
    inputs = [
        (image.to(ctx.device), w if w is None else w.to(ctx.device))
        for w in parity_style_weights(1, model.net.style_count)
    ]
    with TorchBackend(model.net, ctx) as reference, TensorRTBackend.from_file(engine_path, ctx) as engine:
        return min(check.psnr_db for check in compare(reference, engine, inputs))
