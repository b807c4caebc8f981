"""Still images: read, write atomically, find in folders."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_output
from .errors import MediaError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")


def read_image_uint8(path: str | os.PathLike[str]) -> torch.Tensor:
    """RGB uint8 [H, W, 3], with EXIF orientation applied as a viewer would."""
    file = Path(path)
    if not file.is_file():
        raise MediaError(f"image not found: {file}")
    try:
        with Image.open(file) as img:
            rgb = ImageOps.exif_transpose(img).convert("RGB")
            return torch.from_numpy(np.array(rgb, dtype=np.uint8))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"not a readable image: {file} ({exc.__class__.__name__})") from None


def read_image(path: str | os.PathLike[str], *, max_side: int | None = None) -> torch.Tensor:
    """Float RGB [1, 3, H, W] in [0, 1], optionally scaled so the longer side is max_side."""
    from .colour import fit_max_side, resize, uint8_to_float

    image = uint8_to_float(read_image_uint8(path)[None])
    return resize(image, fit_max_side(image.shape[-2], image.shape[-1], max_side)).contiguous()


def write_image_uint8(
    pixels: torch.Tensor, path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = (), overwrite: bool = True
) -> Path:
    """Write uint8 RGB [H, W, 3]; the format follows the file's suffix. Never over one of `inputs`."""
    out = Path(path)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise MediaError(f"unsupported image suffix {out.suffix!r} for {out}; use one of {', '.join(IMAGE_SUFFIXES)}")
    img = Image.fromarray(pixels.cpu().numpy())
    fmt = Image.registered_extensions()[out.suffix.lower()]
    with atomic_output(out, inputs=inputs, overwrite=overwrite) as tmp:
        img.save(tmp, format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    return out


def write_image(
    image: torch.Tensor, path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = (), overwrite: bool = True
) -> Path:
    """Write float RGB [1, 3, H, W] or [3, H, W] in [0, 1]. Never over one of `inputs`."""
    from .colour import float_to_uint8

    batch = image if image.ndim == 4 else image[None]
    return write_image_uint8(float_to_uint8(batch)[0], path, inputs=inputs, overwrite=overwrite)


def list_images(folder: str | os.PathLike[str], *, recursive: bool = True) -> list[Path]:
    root = Path(folder)
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
