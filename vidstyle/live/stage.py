"""The one thing the live loop asks of what runs between capture and display."""

from __future__ import annotations

from typing import Protocol

from ..frames import Frame


class Stage(Protocol):
    """A captured frame in, the same frame stylized out (Frame.stylized_with); called on the
    loop's inference thread, one frame at a time. The camera's StyleSwitcher is one, and so is
    `serve`'s SharedStage, which lets every viewer's loop through one backend in turn."""

    def __call__(self, frame: Frame) -> Frame: ...
