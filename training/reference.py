"""Gatys reference frames of a clip, for judging the fast nets against the slow optimum."""

from __future__ import annotations

import copy
from pathlib import Path

from vidstyle.atomic import check_not_an_input, made_outputs
from vidstyle.colour import uint8_to_float
from vidstyle.errors import OutputExistsError, VidstyleError
from vidstyle.images import read_image, write_image
from vidstyle.media.decode import read_batches
from vidstyle.media.probe import probe

from .gatys import GatysConfig, run_gatys


def write_reference_frames(
    video: str, output_dir: str, config: GatysConfig, *, every: int = 30, overwrite: bool = True
) -> list[Path]:
    """Optimise every `every`-th frame; files are named frame_<index>.png by source frame index.

    Never over the video or a style image; over earlier frames only with `overwrite`. An error
    or an interrupt takes back the frames (and the folder) this call made."""
    probe(video)
    for style in config.style_images:
        read_image(style, max_side=16)  # an unreadable style fails before any folder or frame
    folder = Path(output_dir)
    if not folder.parent.is_dir():
        raise VidstyleError(f"output folder's parent does not exist: {folder.parent}")
    if folder.exists() and not folder.is_dir():
        raise VidstyleError(f"output path is a file, expected a folder: {folder}")
    inputs = [video, *config.style_images]
    earlier = sorted(folder.glob("frame_*.png"))
    for frame in earlier:
        check_not_an_input(frame, inputs)
    if earlier and not overwrite:
        raise OutputExistsError(f"{folder} already holds reference frames ({earlier[0].name})")
    written = []
    with made_outputs() as made:
        made.folder(folder)
        for batch in read_batches(video, 1):
            if batch.first_index % every:
                continue
            frame_config = copy.copy(config)
            frame_config.progress = False
            result = run_gatys(frame_config, content_image=uint8_to_float(batch.data).contiguous())
            with made.file(folder / f"frame_{batch.first_index:06d}.png") as target:
                written.append(write_image(result.image, target, overwrite=overwrite))
    return written
