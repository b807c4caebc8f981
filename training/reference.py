"""Gatys reference frames of a clip, for judging the fast nets against the slow optimum."""

from __future__ import annotations

import copy
from pathlib import Path

from vidstyle.errors import VidstyleError
from vidstyle.colour import uint8_to_float
from vidstyle.images import write_image
from vidstyle.media.decode import read_batches
from vidstyle.media.probe import probe

from .gatys import GatysConfig, run_gatys


def write_reference_frames(video: str, output_dir: str, config: GatysConfig, *, every: int = 30) -> list[Path]:
    """Optimise every `every`-th frame; files are named frame_<index>.png by source frame index."""
    probe(video)
    folder = Path(output_dir)
    if not folder.parent.is_dir():
        raise VidstyleError(f"output folder's parent does not exist: {folder.parent}")
    folder.mkdir(exist_ok=True)
    written = []
    for batch in read_batches(video, 1):
        if batch.first_index % every:
            continue
        frame_config = copy.copy(config)
        frame_config.progress = False
        result = run_gatys(frame_config, content_image=uint8_to_float(batch.data).contiguous())
        written.append(write_image(result.image, folder / f"frame_{batch.first_index:06d}.png"))
    return written
