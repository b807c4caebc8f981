"""Ray's auto-init, switched off for the rest of the process once a run has shut its Ray down."""

from __future__ import annotations

import contextlib


def disable_auto_init() -> None:
    """After this, a Ray call made without a running Ray fails instead of starting one.

    A thread still inside Ray Data when the run's Ray is shut down would otherwise start a fresh
    local Ray (auto-init) that nobody shuts down.
    """
    # Ray has no public switch for this once it is imported (RAY_ENABLE_AUTO_CONNECT=0 is read
    # only at import), so its private flag is set, here and nowhere else;
    # tests/jobs/test_ray_autoinit.py fails if a Ray release renames or stops reading it.
    with contextlib.suppress(ImportError):
        from ray._private import auto_init_hook

        auto_init_hook.enable_auto_connect = False
