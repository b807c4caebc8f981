"""The OpenCV window of `vidstyle camera`: keys, side-by-side view, fullscreen, status line."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import numpy as np

from .frames import Frame

if TYPE_CHECKING:
    from .jobs.live import LiveStats, LiveStylizer

WINDOW = "vidstyle"
HELP = "q quit  n/p style  m fade to next  s side-by-side  f fullscreen"


class WindowDisplay:
    """Called with each stylized frame on the main thread; returns False when the user quits."""

    def __init__(self, stylizer: LiveStylizer, stats: LiveStats | None = None) -> None:
        import cv2

        self.cv2 = cv2
        self.stylizer = stylizer
        self.side_by_side = False
        self.fullscreen = False
        self.stats = stats
        self._shown_size: tuple[int, ...] | None = None
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)

    def handle_key(self, key: int) -> bool:
        """The keys' actions (n/p go through LiveStylizer.switch, m through LiveStylizer.fade); False means quit."""
        if key in (ord("q"), 27):
            return False
        if key == ord("n"):
            self.stylizer.switch(+1)
        elif key == ord("p"):
            self.stylizer.switch(-1)
        elif key == ord("m"):
            self.stylizer.fade(+1)
        elif key == ord("s"):
            self.side_by_side = not self.side_by_side
        elif key == ord("f"):
            self.fullscreen = not self.fullscreen
            mode = self.cv2.WINDOW_FULLSCREEN if self.fullscreen else self.cv2.WINDOW_NORMAL
            self.cv2.setWindowProperty(WINDOW, self.cv2.WND_PROP_FULLSCREEN, mode)
        return True

    def compose(self, frame: Frame) -> np.ndarray:
        assert frame.stylized is not None
        image = np.concatenate([frame.pixels, frame.stylized], axis=1) if self.side_by_side else frame.stylized
        bgr = np.ascontiguousarray(image[..., ::-1])
        name = frame.style_label or self.stylizer.names[frame.style_index]
        status = f"{name} | {HELP}"
        if self.stats and self.stats.latencies_ms:
            recent = self.stats.latencies_ms[-30:]
            status = f"{name} | latency {np.median(recent):.0f} ms | {HELP}"
        self.cv2.putText(bgr, status, (8, 20), self.cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, self.cv2.LINE_AA)
        return bgr

    def __call__(self, frame: Frame) -> bool:
        image = self.compose(frame)
        if self._shown_size != image.shape[:2] and not self.fullscreen:
            self.cv2.resizeWindow(WINDOW, image.shape[1], image.shape[0])  # 1:1 pixels by default
            self._shown_size = image.shape[:2]
        self.cv2.imshow(WINDOW, image)
        return self.handle_key(self.cv2.waitKey(1) & 0xFF)

    def idle(self) -> bool:
        return self.handle_key(self.cv2.waitKey(1) & 0xFF)

    def close(self) -> None:
        self.cv2.destroyAllWindows()


# The window needs OpenCV's GUI build; the headless build is the default dependency.
GUI_INSTALL = "pip install 'vidstyle[gui]' && pip install --force-reinstall --no-deps opencv-python"


def opencv_has_gui() -> bool:
    import cv2

    build = cv2.getBuildInformation()
    return "GUI:" in build and "NONE" not in build.split("GUI:")[1].splitlines()[0]


def display_problem() -> str | None:
    """Why no window can be shown here, in a few words; None when one can."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY is not set)"
    if not opencv_has_gui():
        return f"this OpenCV is the headless build; for windows: {GUI_INSTALL}"
    return None
