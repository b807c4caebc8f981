"""The OpenCV window of `vidstyle camera`: keys, side-by-side view, fullscreen, status line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import VidstyleError
from ..frames import Frame
from .stats import LiveStats

if TYPE_CHECKING:  # only for annotations: styles.py loads torch and the backends, not needed to open a window
    from .styles import StyleSwitcher

WINDOW = "vidstyle"
HELP = "q quit  n/p style  m fade to next  s side-by-side  f fullscreen"


class WindowDisplay:
    """Called with each stylized frame on the main thread; returns False when the user quits."""

    def __init__(self, switcher: StyleSwitcher, stats: LiveStats | None = None) -> None:
        import cv2

        self.cv2 = cv2
        self.switcher = switcher
        self.side_by_side = False
        self.fullscreen = False
        self.stats = stats
        self._shown_size: tuple[int, ...] | None = None
        open_window()  # a no-op when `vidstyle camera` opened it before loading PyAV

    def handle_key(self, key: int) -> bool:
        """The keys' actions (n/p go through StyleSwitcher.switch, m through StyleSwitcher.fade); False means quit."""
        if key in (ord("q"), 27):
            return False
        if key == ord("n"):
            self.switcher.switch(+1)
        elif key == ord("p"):
            self.switcher.switch(-1)
        elif key == ord("m"):
            self.switcher.fade(+1)
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
        name = frame.style_label
        latency = self.stats.recent_median_ms() if self.stats is not None else None
        status = f"{name} | {HELP}" if latency is None else f"{name} | latency {latency:.0f} ms | {HELP}"
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


def open_window() -> None:
    """Create the window, which starts OpenCV's Qt and its X (xcb) platform plugin.

    Call it before anything imports PyAV (vidstyle.media does). Both wheels bundle libxcb-shm,
    libxcb-shape and libxcb-xfixes under the same file names (libxcb-shm-0be6dfbf.so...), but
    PyAV's copies are linked to PyAV's own private libxcb, OpenCV's to the system libxcb.so.1
    that Qt opens its X connection with. The dynamic loader reuses an already loaded library of
    that name, so once PyAV is in, Qt calls PyAV's copies with a connection from the other libxcb
    and spins in xcb_wait_for_reply for ever, inside namedWindow. Loaded first, OpenCV's copies
    are the ones reused; PyAV only needs its own for FFmpeg's X11 screen grab, which vidstyle
    never opens. Creating a window that already exists does nothing.
    """
    import cv2

    shadowed = shadowed_x_libraries()
    if shadowed:
        names = ", ".join(Path(lib).name for lib in shadowed)
        raise VidstyleError(
            f"cannot open a window in this process: {names} were loaded from {Path(shadowed[0]).parent} "
            "before OpenCV's GUI and Qt would hang on them; "
            "open the window before importing av (vidstyle.live.window.open_window)"
        )
    cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)


def shadowed_x_libraries() -> list[str]:
    """X libraries that OpenCV's GUI build bundles but that this process already loaded from
    another package's copy under the same name (see open_window); [] where that cannot be read."""
    import cv2

    site = Path(cv2.__file__).resolve().parent.parent
    bundled = {
        lib.name
        for libs in site.glob("opencv*.libs")
        for lib in libs.iterdir()
        if lib.name.startswith(("libxcb", "libX"))
    }
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: no xcb, nothing to shadow
        return []
    loaded = {Path(fields[5]) for fields in (line.split(maxsplit=5) for line in maps.splitlines()) if len(fields) == 6}
    return sorted(str(lib) for lib in loaded if lib.name in bundled and not lib.parent.name.startswith("opencv"))


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
