"""Built TensorRT engines kept for reuse, keyed by everything that makes a plan differ.

A plan depends on the ONNX graph it was built from, the precision, the TensorRT version,
the GPU's compute capability and the optimisation profile: the key holds all five, and a
cached engine is used only after its own header says the same (a file that does not match
its name is built again). The timing cache lives beside the engines, one per TensorRT
version and compute capability, so a rebuild of another graph starts from its timings.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from vidstyle.atomic import file_sha256
from vidstyle.backends.engine_header import check_header, read_header
from vidstyle.errors import VidstyleError
from vidstyle.modelfile import StyleModel

from .tensorrt import DEFAULT_MAX, DEFAULT_MIN, DEFAULT_OPT, Shape, build_engine


def engine_cache_dir() -> Path:
    """$VIDSTYLE_CACHE/engines, else the user's cache folder (XDG)."""
    root = os.environ.get("VIDSTYLE_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vidstyle"
    )
    return Path(root) / "engines"


@dataclass(frozen=True)
class EngineKey:
    onnx_sha256: str
    precision: str
    tensorrt_version: str
    compute_capability: str
    shapes: tuple[Shape, Shape, Shape]

    @property
    def filename(self) -> str:
        profile = hashlib.sha256(repr(self.shapes).encode()).hexdigest()[:8]
        sm = self.compute_capability.replace(".", "")
        return f"{self.onnx_sha256[:16]}-{self.precision}-trt{self.tensorrt_version}-sm{sm}-{profile}.engine"

    @property
    def timing_cache_name(self) -> str:
        return f"trt{self.tensorrt_version}-sm{self.compute_capability.replace('.', '')}.timing-cache"


def engine_key(
    onnx_path: str | os.PathLike[str],
    *,
    precision: str,
    tensorrt_version: str,
    compute_capability: str,
    shapes: tuple[Shape, Shape, Shape],
) -> EngineKey:
    return EngineKey(file_sha256(onnx_path), precision, tensorrt_version, compute_capability, shapes)


def cached_engine(
    onnx_path: str | os.PathLike[str],
    model: StyleModel,
    *,
    precision: str,
    tensorrt_version: str,
    compute_capability: str,
    shapes: tuple[Shape, Shape, Shape] = (DEFAULT_MIN, DEFAULT_OPT, DEFAULT_MAX),
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[Path, bool]:
    """The engine for this graph here, and whether it came from the cache (else it was built,
    checked against torch and stored)."""
    key = engine_key(
        onnx_path,
        precision=precision,
        tensorrt_version=tensorrt_version,
        compute_capability=compute_capability,
        shapes=shapes,
    )
    folder = Path(cache_dir) if cache_dir is not None else engine_cache_dir()
    path = folder / key.filename
    if path.is_file() and _matches(path, key):
        return path, True
    folder.mkdir(parents=True, exist_ok=True)
    build_engine(
        onnx_path,
        path,
        model,
        shapes=shapes,
        precision=precision,
        source_model=model.source,
        timing_cache=folder / key.timing_cache_name,
    )
    return path, False


def _matches(path: Path, key: EngineKey) -> bool:
    try:
        header = read_header(path)
        check_header(
            header,
            path=str(path),
            tensorrt_version=key.tensorrt_version,
            compute_capability=key.compute_capability,
            onnx_sha256=key.onnx_sha256,
            precision=key.precision,
        )
    except VidstyleError:
        return False
    return (header.min_shape, header.opt_shape, header.max_shape) == key.shapes
