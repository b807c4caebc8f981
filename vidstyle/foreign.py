"""Files given as a model that are something else: say what they are, in one line.

A style image or a PyTorch checkpoint passed as --model would otherwise get safetensors' own
complaint ("header too large"), which names neither the mistake nor the way out.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

# Leading bytes of the image formats a style picture comes in.
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_PICKLE_PROTOCOLS = range(2, 6)  # torch.save's legacy format is a pickle of one of these


def describe(path: str | os.PathLike[str]) -> str | None:
    """What a file that is not a vidstyle model is, with what to do instead; None if unknown."""
    file = Path(path)
    try:
        with open(file, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    kind = _image_kind(head)
    if kind is not None:
        return (
            f"{file} is a {kind} image, not a style model: train a model on it with "
            f"`vidstyle train --data PHOTOS/ --style {file.name} -o {file.stem}.safetensors`, "
            "or pick a bundled one (`vidstyle models`)"
        )
    if _is_torch_checkpoint(file, head):
        return (
            f"{file} is a PyTorch checkpoint (a pickle), which vidstyle does not load; if it is a pytorch/examples "
            f"fast_neural_style model, convert it once with `vidstyle import {file.name} -o {file.stem}.safetensors`"
        )
    return None


def _image_kind(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _IMAGE_MAGIC if head.startswith(magic)), None)


def _is_torch_checkpoint(file: Path, head: bytes) -> bool:
    if len(head) >= 2 and head[0] == 0x80 and head[1] in _PICKLE_PROTOCOLS:
        return True
    if not head.startswith(b"PK\x03\x04"):
        return False
    # torch.save's zip format: one folder holding data.pkl and the tensors' storages.
    try:
        with zipfile.ZipFile(file) as archive:
            return any(name.endswith("/data.pkl") or name == "data.pkl" for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
