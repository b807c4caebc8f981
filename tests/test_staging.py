"""DeviceStaging's ordering and buffer reuse, checked on the CPU with a stand-in for CUDA's
streams and events (the issue asks for this fake: the real ones need a GPU), and the
stylizer handing each batch back one batch later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from fake_streams import FakeOps
from vidstyle.backends import open_backend
from vidstyle.context import resolve_context
from vidstyle.staging import DeviceStaging
from vidstyle.stylizer import FrameStylizer


def _batch(i: int, count: int = 2) -> torch.Tensor:
    return torch.full((count, 4, 6, 3), i, dtype=torch.uint8)


def test_two_slots_alternate_and_each_copy_waits_for_what_it_overwrites() -> None:
    ops = FakeOps()
    staging = DeviceStaging(ops)
    copy_in, copy_out = staging.copy_in, staging.copy_out
    uploaded = [slot.uploaded for slot in staging.slots]
    computed = [slot.computed for slot in staging.slots]
    downloaded = [slot.downloaded for slot in staging.slots]
    results, waiting = [], None
    for i in range(6):
        start = len(ops.log)
        device = staging.upload(_batch(i))
        k = i % 2
        steps = ops.log[start:]
        # Two batches back, this slot's copy in must be done before its pinned buffer is written...
        assert steps[0] == ("sync", uploaded[k]) if i >= 2 else steps[0] != ("sync", uploaded[k])
        # ... the copy in waits for the work that read the device buffer, and compute waits for the copy.
        assert ("wait", copy_in, computed[k]) in steps and steps[-1] == ("wait", "compute", uploaded[k])
        assert steps.index(("wait", copy_in, computed[k])) < next(j for j, s in enumerate(steps) if s[0] == "copy")
        start = len(ops.log)
        ticket = staging.download(device + 100)  # the "net": on the compute stream
        steps = ops.log[start:]
        assert steps[0] == ("record", computed[k], "compute") and ("wait", copy_out, computed[k]) in steps
        assert steps[-1] == ("record", downloaded[k], copy_out) and ticket.slot == k
        if waiting is not None:  # collected one batch later, as FrameStylizer.stream does
            results.append(staging.fetch(waiting))
            assert ops.log[-1] == ("sync", downloaded[1 - k])
        waiting = ticket
    results.append(staging.fetch(waiting))
    assert [int(r[0, 0, 0, 0]) for r in results] == [100 + i for i in range(6)]
    # Buffers are made once per slot and reused: two pinned in, two device in, two pinned out.
    assert sorted(kind for kind, _ in ops.allocated) == ["device", "device", "pinned", "pinned", "pinned", "pinned"]


def test_a_result_is_its_own_tensor_and_a_slot_is_not_reused_before_its_fetch() -> None:
    staging = DeviceStaging(FakeOps())
    first = staging.download(staging.upload(_batch(1)))
    second = staging.download(staging.upload(_batch(2)))
    kept = staging.fetch(first)
    staging.download(staging.upload(_batch(3)))  # slot 0 again, its host buffer overwritten
    assert int(kept[0, 0, 0, 0]) == 1 and int(staging.fetch(second)[0, 0, 0, 0]) == 2
    staging.upload(_batch(4))
    try:
        staging.download(_batch(4))  # slot 1 again: fine, it was fetched
        staging.upload(_batch(5))
        staging.download(_batch(5))  # slot 0, whose third batch was never fetched
    except RuntimeError as exc:
        assert "before its result was fetched" in str(exc)
    else:
        raise AssertionError("a slot was reused before its result was fetched")


def test_a_short_last_batch_reuses_the_buffers() -> None:
    ops = FakeOps()
    staging = DeviceStaging(ops)
    tickets = [staging.download(staging.upload(_batch(i, count))) for i, count in enumerate((2, 2))]
    assert [staging.fetch(t).shape[0] for t in tickets] == [2, 2]
    short = staging.download(staging.upload(_batch(7, 1)))
    assert staging.fetch(short).shape[0] == 1 and len(ops.allocated) == 6


def test_the_stylizer_hands_each_batch_back_one_batch_later(tiny_model: Path) -> None:
    ctx = resolve_context("cpu")
    events: list[str] = []
    with open_backend(tiny_model, ctx) as backend:
        stylizer = FrameStylizer(backend, ctx)
        batches = [torch.randint(0, 255, (2, 12, 16, 3), dtype=torch.uint8) for _ in range(3)]

        def frames_of(i: int) -> Any:
            events.append(f"submit {i}")
            return batches[i], "rgb24", None

        for i, stylized in stylizer.stream(range(3), frames_of):
            events.append(f"result {i}")
            assert torch.equal(stylized, stylizer(batches[i]))
        assert events == ["submit 0", "submit 1", "result 0", "submit 2", "result 1", "result 2"]
        stylizer.overlap = False
        events.clear()
        for i, _ in stylizer.stream(range(2), frames_of):
            events.append(f"result {i}")
        assert events == ["submit 0", "result 0", "submit 1", "result 1"]
