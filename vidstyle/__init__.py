"""vidstyle: real-time video style transfer.

    import vidstyle
    model = vidstyle.load_model()                      # the bundled default style
    vidstyle.stylize_image("in.jpg", "out.jpg", model=model)
    vidstyle.stylize_video("in.mp4", "out.mp4", model=model, max_side=480)

Training and Gatys live in vidstyle.training (train/TrainConfig, run_gatys/GatysConfig);
the runtime never imports them.
"""

from __future__ import annotations

from typing import Any

from .errors import VidstyleError
from .frames import FrameBatch
from .imagejob import stylize_folder, stylize_image
from .modelfile import ModelCard, StyleModel, load_model, save_model
from .net import TransformerNet


def stylize_video(*args: Any, **kwargs: Any) -> Any:
    """See vidstyle.video.stylize_video (imported lazily: it pulls in PyAV)."""
    from .video import stylize_video as _stylize_video

    return _stylize_video(*args, **kwargs)


__all__ = [
    "FrameBatch",
    "ModelCard",
    "StyleModel",
    "TransformerNet",
    "VidstyleError",
    "load_model",
    "save_model",
    "stylize_folder",
    "stylize_image",
    "stylize_video",
]
