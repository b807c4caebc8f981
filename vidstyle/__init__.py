"""vidstyle: real-time video style transfer.

    import vidstyle
    model = vidstyle.load_model()                      # the bundled default style
    vidstyle.stylize_image("in.jpg", "out.jpg", model=model)
    options = vidstyle.VideoOptions(model=model, runtime=vidstyle.Runtime(max_side=480))
    vidstyle.stylize_video("in.mp4", "out.mp4", options)

Training and Gatys live in vidstyle.training (train/TrainConfig, run_gatys/GatysConfig);
the runtime never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_attributes

try:  # the installed distribution's version, so it cannot drift from pyproject.toml
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("vidstyle")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0+unknown"

# Names resolve on first use, so `vidstyle --help` and `import vidstyle.errors` do not pay
# for importing torch and PyAV.
_LAZY = {
    "FrameBatch": "vidstyle.frames",
    "ModelCard": "vidstyle.modelfile",
    "StyleModel": "vidstyle.modelfile",
    "load_model": "vidstyle.modelfile",
    "save_model": "vidstyle.modelfile",
    "TransformerNet": "vidstyle.net",
    "VidstyleError": "vidstyle.errors",
    "Encoding": "vidstyle.jobs.video_options",
    "Runtime": "vidstyle.jobs.video_options",
    "VideoOptions": "vidstyle.jobs.video_options",
    "stylize_folder": "vidstyle.jobs.image",
    "stylize_image": "vidstyle.jobs.image",
    "stylize_video": "vidstyle.jobs.video",
}

if TYPE_CHECKING:
    from .errors import VidstyleError
    from .frames import FrameBatch
    from .jobs.image import stylize_folder, stylize_image
    from .jobs.video import stylize_video
    from .jobs.video_options import Encoding, Runtime, VideoOptions
    from .modelfile import ModelCard, StyleModel, load_model, save_model
    from .net import TransformerNet


__getattr__ = lazy_attributes(__name__, _LAZY)
__all__ = sorted([*_LAZY, "__version__"])
