"""Ray's private auto-init flag, the one Ray internal `vidstyle batch` relies on, still exists
and still stops a Ray call from starting a Ray nobody shuts down."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray")

from ray._private import auto_init_hook  # noqa: E402

from vidstyle.jobs.ray_autoinit import disable_auto_init  # noqa: E402


def test_ray_still_has_the_flag_and_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(getattr(auto_init_hook, "enable_auto_connect", None), bool)
    monkeypatch.setattr(auto_init_hook, "enable_auto_connect", True)  # undone after the test
    assert not ray.is_initialized()
    disable_auto_init()
    assert auto_init_hook.enable_auto_connect is False
    # A public call that would have auto-initialised Ray now fails without starting one.
    with pytest.raises(Exception, match="(?i)not.*(started|initialized|connected)"):
        ray.put(1)
    assert not ray.is_initialized()
