"""Moving batches between the host and the device: upload, download, and collect later.

On CUDA, DeviceStaging keeps two slots, each with a pinned host buffer and a device buffer
for the frames going in and a pinned host buffer for the frames coming out, and two copy
streams of its own. A batch is copied in on one stream while the net works on the other
slot's batch, and copied out on the other while the next batch is computed; events order
the three. The host waits only when it collects a batch's result, which the caller does
one batch later (FrameStylizer.stream), so the device always has the next batch queued.

On the CPU there is nothing to move: HostStaging hands tensors straight through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from .backends.cuda_streams import StreamOps


@dataclass(frozen=True)
class Ticket:
    """A batch on its way back to the host: collect it with fetch()."""

    slot: int
    frames: int
    result: torch.Tensor | None = None  # HostStaging's result itself


class Staging(Protocol):
    def upload(self, frames: torch.Tensor) -> torch.Tensor:
        """Host uint8 frames -> the same on the device, ready for work on the current stream."""
        ...

    def download(self, frames: torch.Tensor) -> Ticket:
        """Device uint8 frames (this upload's result, on the current stream) -> a ticket; returns at once."""
        ...

    def fetch(self, ticket: Ticket) -> torch.Tensor:
        """The host frames a ticket stands for (a tensor of their own); waits for the copy."""
        ...


class HostStaging:
    """The CPU: frames are where the net runs already."""

    def upload(self, frames: torch.Tensor) -> torch.Tensor:
        return frames

    def download(self, frames: torch.Tensor) -> Ticket:
        return Ticket(slot=-1, frames=int(frames.shape[0]), result=frames)

    def fetch(self, ticket: Ticket) -> torch.Tensor:
        assert ticket.result is not None
        return ticket.result


@dataclass
class _Slot:
    uploaded: Any  # event: the copy in has finished reading host_in
    computed: Any  # event: the work on device_in has finished, its result is ready
    downloaded: Any  # event: host_out holds the result
    host_in: torch.Tensor | None = None
    device_in: torch.Tensor | None = None
    host_out: torch.Tensor | None = None
    waiting: bool = False  # a ticket on host_out has not been fetched yet


class DeviceStaging:
    """Double-buffered pinned staging with copy streams and events (see the module's doc)."""

    SLOTS = 2

    def __init__(self, ops: StreamOps) -> None:
        self.ops = ops
        self.copy_in = ops.new_stream()
        self.copy_out = ops.new_stream()
        self.slots = [_Slot(ops.new_event(), ops.new_event(), ops.new_event()) for _ in range(self.SLOTS)]
        self._next = 0  # the slot the next upload/download pair uses

    def upload(self, frames: torch.Tensor) -> torch.Tensor:
        slot = self.slots[self._next]
        count, shape = int(frames.shape[0]), tuple(frames.shape)
        if (
            slot.host_in is None
            or slot.device_in is None
            or tuple(slot.host_in.shape[1:]) != shape[1:]
            or slot.host_in.shape[0] < count
        ):
            slot.host_in = self.ops.pinned(shape, frames.dtype)
            slot.device_in = self.ops.device_empty(shape, frames.dtype)
        else:
            # This slot's previous copy in (two batches ago) must be done reading host_in.
            self.ops.synchronize(slot.uploaded)
        host_in, device_in = slot.host_in[:count], slot.device_in[:count]
        host_in.copy_(frames)
        # ... and the work on that earlier batch done reading device_in.
        self.ops.wait(self.copy_in, slot.computed)
        self.ops.copy(device_in, host_in, self.copy_in)
        self.ops.keep_alive(slot.device_in, self.copy_in)
        self.ops.record(slot.uploaded, self.copy_in)
        self.ops.wait(self.ops.current_stream(), slot.uploaded)
        return device_in

    def download(self, frames: torch.Tensor) -> Ticket:
        index = self._next
        slot = self.slots[index]
        if slot.waiting:
            raise RuntimeError(
                "staging slot reused before its result was fetched (fetch each ticket within two batches)"
            )
        self._next = (index + 1) % self.SLOTS
        self.ops.record(slot.computed, self.ops.current_stream())
        count = int(frames.shape[0])
        if (
            slot.host_out is None
            or tuple(slot.host_out.shape[1:]) != tuple(frames.shape[1:])
            or slot.host_out.shape[0] < count
        ):
            slot.host_out = self.ops.pinned(tuple(frames.shape), frames.dtype)
        self.ops.wait(self.copy_out, slot.computed)
        self.ops.copy(slot.host_out[:count], frames, self.copy_out)
        self.ops.keep_alive(frames, self.copy_out)
        self.ops.record(slot.downloaded, self.copy_out)
        slot.waiting = True
        return Ticket(slot=index, frames=count)

    def fetch(self, ticket: Ticket) -> torch.Tensor:
        slot = self.slots[ticket.slot]
        assert slot.host_out is not None and slot.waiting, "a ticket is fetched once"
        self.ops.synchronize(slot.downloaded)
        # A copy of its own: the pinned buffer takes the batch after next.
        result = slot.host_out[: ticket.frames].clone()
        slot.waiting = False
        return result


def staging_for(device: torch.device) -> Staging:
    if device.type != "cuda":
        return HostStaging()
    from .backends.cuda_streams import CudaOps

    return DeviceStaging(CudaOps(device))
