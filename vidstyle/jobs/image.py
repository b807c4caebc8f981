"""`vidstyle image` as library calls: one picture, or a folder of them, through a style model."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..atomic import check_not_an_input, check_output_path, made_outputs
from ..backends import OnnxExport, RunnableModel, model_file, runnable_model
from ..context import resolve_context
from ..errors import MediaError, OutputExistsError
from ..images import IMAGE_SUFFIXES, list_images, read_image_uint8, rgb_uint8, write_image_uint8
from ..modelfile import StyleModel
from ..progress import progress_bar
from ..stylemix import StyleChoice
from ..stylizer import FrameStylizer

ImageInput = str | os.PathLike[str] | torch.Tensor | np.ndarray | Image.Image
log = logging.getLogger("vidstyle")


def stylize_image(
    image: ImageInput,
    output: str | os.PathLike[str] | None = None,
    *,
    model: RunnableModel | StyleModel | str | os.PathLike[str] | None = None,
    backend: str | None = None,
    onnx_export: OnnxExport | None = None,
    max_side: int | None = None,
    device: str = "auto",
    precision: str = "fp32",
    overwrite: bool = True,
    style: str | int | None = None,
    style_mix: str | None = None,
) -> torch.Tensor | np.ndarray | Image.Image:
    """Stylize one image and return it as the same kind it came as: a PIL image gives a PIL
    image, a uint8 RGB [H, W, 3] numpy array or tensor gives the same; a path gives a uint8
    RGB [H, W, 3] tensor.

    The result always has the input's size; `max_side` only limits the size the net runs at.
    `output` is never the input file, and an existing one is replaced only with `overwrite`.
    A multi-style model runs `style` (a name or index; default its first) or a `style_mix`
    such as "starry:0.7,candy:0.3". The model's file picks its backend, as in stylize_video;
    `onnx_export` lets a .safetensors model run on onnxruntime (backends.OnnxExport).
    """
    choice = StyleChoice.of(style, style_mix)
    source = image if isinstance(image, str | os.PathLike) else None
    inputs = [source, model_file(model)]
    if output is not None:
        check_output_path(output, inputs=inputs, overwrite=overwrite)
    runnable = runnable_model(model, backend)
    dropped: list[str] = []
    pixels = _as_uint8_tensor(image, dropped)
    frame_size = (int(pixels.shape[0]), int(pixels.shape[1]))
    with FrameStylizer.open(
        runnable,
        ctx=resolve_context(device, precision),
        max_side=max_side,
        choice=choice,
        frame_size=frame_size,
        onnx_export=onnx_export,
    ) as stylizer:
        for what in dropped:  # one note each, so nothing is lost silently; after the run's first line
            log.info("%s: dropped %s", Path(str(source)).name, what)
        result = stylizer(pixels[None])[0]
    if output is not None:
        write_image_uint8(result, output, overwrite=overwrite)
    if isinstance(image, Image.Image):
        return Image.fromarray(result.numpy())
    return result.numpy() if isinstance(image, np.ndarray) else result


def _as_uint8_tensor(image: ImageInput, dropped: list[str]) -> torch.Tensor:
    """The pixels; what an RGB picture cannot hold of an image file goes into `dropped`."""
    if isinstance(image, str | os.PathLike):
        return read_image_uint8(image, dropped)
    if isinstance(image, Image.Image):
        return torch.from_numpy(rgb_uint8(image))
    # a copy: the caller keeps theirs
    pixels = torch.from_numpy(np.array(image)) if isinstance(image, np.ndarray) else image
    if pixels.dtype != torch.uint8 or pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise ValueError(f"expected a uint8 RGB image [H, W, 3], got {pixels.dtype} {tuple(pixels.shape)}")
    return pixels


def stylize_folder(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    model: RunnableModel | StyleModel | str | os.PathLike[str] | None = None,
    backend: str | None = None,
    onnx_export: OnnxExport | None = None,
    max_side: int | None = None,
    device: str = "auto",
    precision: str = "fp32",
    suffix: str | None = None,
    overwrite: bool = True,
    skipped: list[Path] | None = None,
    progress: bool = False,
    style: str | int | None = None,
    style_mix: str | None = None,
) -> list[Path]:
    """Stylize every image under `source` into `destination` (made if missing), keeping relative paths.

    Every target is checked before any work: none may be one of the inputs, and none may
    exist unless `overwrite`. An unreadable file is skipped and appended to `skipped`, and
    the others are still written; with `skipped` None the first one raises.
    """
    src, dst = Path(source), Path(destination)
    if dst.exists() and not dst.is_dir():
        raise MediaError(f"the output for a folder of images is a folder; {dst} is a file")
    if not dst.parent.is_dir():
        raise MediaError(f"output folder's parent does not exist: {dst.parent}")
    if dst.resolve().is_relative_to(src.resolve()):  # the input is searched recursively
        raise MediaError(
            f"output folder {dst} is inside the input folder {src}: a later run would take its results as inputs"
        )
    files = list_images(src)
    if not files:
        raise MediaError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {src}")
    targets = [_target(dst, file.relative_to(src), suffix) for file in files]
    for target in targets:
        check_not_an_input(target, [*files, model_file(model)])
        if target.is_dir():
            raise MediaError(f"{target} is a folder, where the picture for {target.name} would go")
        if not overwrite and target.exists():
            raise OutputExistsError(f"{target} already exists")
    # Opened once for the folder: a bad model or style name fails before any file.
    stylizer = FrameStylizer.open(
        model,
        backend,
        ctx=resolve_context(device, precision),
        max_side=max_side,
        choice=StyleChoice.of(style, style_mix),
        onnx_export=onnx_export,
    )
    written = []
    lossy: list[tuple[Path, list[str]]] = []  # the files that lost something, and what
    with stylizer, made_outputs() as made:  # an error or an interrupt takes back the files (and folders) this run made
        made.folder(dst)
        for file, target in progress_bar(list(zip(files, targets)), enabled=progress, unit="image", desc=src.name):
            try:
                lost: list[str] = []
                pixels = read_image_uint8(file, lost)
            except MediaError:
                if skipped is None:
                    raise
                skipped.append(file)
                continue
            if lost:
                lossy.append((file, lost))
            made.folder(target.parent)
            with made.file(target) as out:
                write_image_uint8(stylizer(pixels[None])[0], out, overwrite=overwrite)
            written.append(target)
        if not written:  # every file was skipped: the folder made for them goes too
            raise MediaError(f"none of the {len(files)} image(s) in {src} could be read, first {files[0]}")
    if lossy:  # one note for the folder, not one per file
        log.info(
            "%d image(s) lost what an RGB picture cannot hold, first %s: %s",
            len(lossy),
            lossy[0][0],
            "; ".join(lossy[0][1]),
        )
    return written


def _target(destination: Path, relative: Path, suffix: str | None) -> Path:
    target = destination / relative
    return target.with_suffix(suffix) if suffix else target
