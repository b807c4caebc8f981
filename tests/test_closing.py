"""vidstyle/closing.py: `with` closes a backend or stylizer however the block ends."""

import pytest

from vidstyle.closing import Closing


class Counted(Closing):
    def __init__(self) -> None:
        self.closes = 0

    def close(self) -> None:
        self.closes += 1


def test_with_gives_the_object_and_closes_it_once_on_success_and_on_error() -> None:
    ok, failed = Counted(), Counted()
    with ok as same:
        assert same is ok and ok.closes == 0
    with pytest.raises(RuntimeError, match="boom"):
        with failed:
            raise RuntimeError("boom")  # the error goes on after the close
    assert (ok.closes, failed.closes) == (1, 1)


def test_a_class_without_close_cannot_be_made() -> None:
    class Forgot(Closing):
        pass

    with pytest.raises(TypeError, match="close"):
        Forgot()  # type: ignore[abstract]
