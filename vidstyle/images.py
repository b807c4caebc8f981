"""Still images: read, write atomically, find in folders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_output
from .errors import MediaError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")


def read_image_uint8(path: str | os.PathLike[str], dropped: list[str] | None = None) -> torch.Tensor:
    """RGB uint8 [H, W, 3], with EXIF orientation applied as a viewer would; 16-bit pictures
    scaled to 8 bits. What an RGB picture cannot hold (transparency, an animation's further
    frames) is named in `dropped`."""
    file = Path(path)
    if not file.is_file():
        raise MediaError(f"image not found: {file}")
    try:
        with Image.open(file) as opened:
            frames = getattr(opened, "n_frames", 1)
            img = ImageOps.exif_transpose(opened)
            if dropped is not None:
                dropped += [f"frames 2 to {frames} of {frames} (only the first is stylized)"] * (frames > 1)
                dropped += ["its transparency (the output is opaque)"] * _has_transparency(img)
            return torch.from_numpy(rgb_uint8(img))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"not a readable image: {file} ({exc.__class__.__name__})") from None


def rgb_uint8(img: Image.Image) -> np.ndarray:
    """PIL's convert("RGB") clips 16- and 32-bit greyscale (I;16, I) at 255 instead of scaling:
    a 16-bit PNG would come out white. Those are scaled from 16 bits here."""
    if img.mode.startswith("I"):
        grey = np.clip(np.asarray(img, dtype=np.float32) / 257.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    return np.array(img.convert("RGB"), dtype=np.uint8)


def _has_transparency(img: Image.Image) -> bool:
    """Whether any pixel is less than opaque (an alpha channel that is all 255 loses nothing)."""
    if img.mode not in ("RGBA", "LA", "PA", "La", "RGBa") and "transparency" not in img.info:
        return False
    low, _ = cast(tuple[int, int], img.convert("RGBA").getchannel("A").getextrema())
    return low < 255


def read_image(path: str | os.PathLike[str], *, max_side: int | None = None) -> torch.Tensor:
    """Float RGB [1, 3, H, W] in [0, 1], optionally scaled so the longer side is max_side."""
    from .colour import fit_max_side, resize, uint8_to_float

    image = uint8_to_float(read_image_uint8(path)[None])
    return resize(image, fit_max_side(image.shape[-2], image.shape[-1], max_side)).contiguous()


def write_image_uint8(pixels: torch.Tensor, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
    """Write uint8 RGB [H, W, 3]; the format follows the file's suffix. The output's checks
    (atomic.check_output_path) are the caller's; without `overwrite` no file is replaced."""
    out = Path(path)
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise MediaError(f"unsupported image suffix {out.suffix!r} for {out}; use one of {', '.join(IMAGE_SUFFIXES)}")
    img = Image.fromarray(pixels.cpu().numpy())
    fmt = Image.registered_extensions()[out.suffix.lower()]
    with atomic_output(out, overwrite=overwrite) as tmp:
        img.save(tmp, format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    return out


def write_image(image: torch.Tensor, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
    """Write float RGB [1, 3, H, W] or [3, H, W] in [0, 1], as write_image_uint8."""
    from .colour import float_to_uint8

    batch = image if image.ndim == 4 else image[None]
    return write_image_uint8(float_to_uint8(batch)[0], path, overwrite=overwrite)


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """The images under `folder`, its subfolders included."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
