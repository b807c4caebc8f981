"""The small JSON header in front of a TensorRT plan, and its check against this machine.

TensorRT plans only run on the TensorRT version and GPU family they were built for;
loading a mismatched one crashes or returns None. The header lets us say so in words.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import VidstyleError

MAGIC = b"VIDSTYLE-TRT\x00\x01"
_LENGTH = struct.Struct("<I")


@dataclass(frozen=True)
class EngineHeader:
    tensorrt_version: str
    gpu_name: str
    compute_capability: str
    onnx_sha256: str
    precision: str
    min_shape: tuple[int, int, int, int]
    opt_shape: tuple[int, int, int, int]
    max_shape: tuple[int, int, int, int]
    source_model: str = ""
    created: str = ""
    # A multi-style engine takes [B, len(style_names)] style weights as a second input; a
    # single-style one (and headers written before styles existed) records one or none.
    style_names: tuple[str, ...] = ()

    @property
    def style_count(self) -> int:
        return max(1, len(self.style_names))

    def to_bytes(self) -> bytes:
        payload = json.dumps(asdict(self), sort_keys=True).encode()
        return MAGIC + _LENGTH.pack(len(payload)) + payload

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> EngineHeader:
        # Keys this version does not know (older headers carried an unused "extra") are skipped.
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {key: value for key, value in data.items() if key in known}
        for key in ("min_shape", "opt_shape", "max_shape", "style_names"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


def write_engine(path: str | os.PathLike[str], header: EngineHeader, plan: bytes) -> None:
    Path(path).write_bytes(header.to_bytes() + plan)


def read_engine(path: str | os.PathLike[str]) -> tuple[EngineHeader, bytes]:
    file = Path(path)
    if not file.is_file():
        raise VidstyleError(f"engine file not found: {file}")
    data = file.read_bytes()
    header, start = _parse_header(file, data)
    plan = data[start:]
    if not plan:
        raise VidstyleError(f"{file} holds a header but no TensorRT plan (truncated?)")
    return header, plan


def read_header(path: str | os.PathLike[str]) -> EngineHeader:
    """The header alone, without reading the plan behind it."""
    file = Path(path)
    if not file.is_file():
        raise VidstyleError(f"engine file not found: {file}")
    with file.open("rb") as handle:
        start = handle.read(len(MAGIC) + _LENGTH.size)
        length = _LENGTH.unpack_from(start, len(MAGIC))[0] if len(start) == len(MAGIC) + _LENGTH.size else 0
        return _parse_header(file, start + handle.read(length))[0]


def _parse_header(file: Path, data: bytes) -> tuple[EngineHeader, int]:
    """The header and where the plan starts."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _LENGTH.size:
        raise VidstyleError(
            f"{file} is not a vidstyle TensorRT engine (no header); "
            "build one with `vidstyle export MODEL --format engine`"
        )
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    start = len(MAGIC) + _LENGTH.size
    try:
        return EngineHeader.from_dict(json.loads(data[start : start + length])), start + length
    except (ValueError, TypeError, KeyError) as exc:
        raise VidstyleError(f"{file} has a damaged engine header: {exc}") from None


def check_header(
    header: EngineHeader,
    *,
    path: str,
    tensorrt_version: str,
    compute_capability: str,
    gpu_name: str = "",
    onnx_sha256: str | None = None,
    precision: str | None = None,
) -> None:
    """Raise one clear message, naming the rebuild command, when the engine cannot run here.

    A plan runs on any GPU of the compute capability it was built for (an H100 PCIe runs an
    H100 SXM's plan), so the GPU's name is only told, never compared. `onnx_sha256` and
    `precision`, when given, are what the caller expects the engine to have been built from.
    """
    problems = []
    if header.tensorrt_version != tensorrt_version:
        problems.append(f"TensorRT {header.tensorrt_version} (this machine has {tensorrt_version})")
    if header.compute_capability != compute_capability:
        here = f"{gpu_name} " if gpu_name else ""
        problems.append(
            f"{header.gpu_name} sm_{header.compute_capability.replace('.', '')} "
            f"(this machine has {here}sm_{compute_capability.replace('.', '')})"
        )
    if onnx_sha256 is not None and header.onnx_sha256 != onnx_sha256:
        problems.append(f"another ONNX graph (sha256 {header.onnx_sha256[:12]}, not {onnx_sha256[:12]})")
    if precision is not None and header.precision != precision:
        problems.append(f"{header.precision} (not {precision})")
    if problems:
        model = header.source_model or "MODEL.safetensors"
        raise VidstyleError(
            f"engine {path} was built for "
            + " and ".join(problems)
            + f"; rebuild it here: vidstyle export {model} --format engine --output {path}"
        )


def shape_in_profile(shape: tuple[int, ...], header: EngineHeader) -> bool:
    return all(lo <= s <= hi for s, lo, hi in zip(shape, header.min_shape, header.max_shape))


def profile_message(shape: tuple[int, ...], header: EngineHeader) -> str:
    fmt = "x".join
    return (
        f"input {fmt(map(str, shape))} (NCHW) is outside the engine's profile "
        f"{fmt(map(str, header.min_shape))} .. {fmt(map(str, header.max_shape))}; "
        "use --max-side to shrink frames, or rebuild with --min-shape/--max-shape"
    )
