"""A stand-in for the `tensorrt` module, so the build, cache and run logic can be checked on a
CPU (the issue asks for this fake; the real TensorRT needs NVIDIA's wheels and a GPU).

It keeps to the name-based API vidstyle uses and logs every call. Its "engine" computes
1 - x on float32 host memory it is given by address, like a real one on device memory,
so the backend's bindings are checked by what comes out.
"""

from __future__ import annotations

import ctypes
import types
from typing import Any

import numpy as np

__version__ = "10.13.3.9"
LOG: list[tuple[Any, ...]] = []
# What set_timing_cache answers for a cache made from these bytes (True for fresh caches).
REFUSED_CACHES: set[bytes] = set()


class Logger:
    WARNING = 2

    def __init__(self, level: int = 2) -> None:
        self.level = level


class Dims(list):  # type: ignore[type-arg]
    pass


class NetworkDefinitionCreationFlag:
    STRONGLY_TYPED = 5


class MemoryPoolType:
    WORKSPACE = 0


class TimingCache:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def serialize(self) -> bytes:
        return b"TIMINGS:" + self.data


class Profile:
    def __init__(self) -> None:
        self.shapes: dict[str, tuple[list[int], list[int], list[int]]] = {}

    def set_shape(self, name: str, low: Dims, opt: Dims, high: Dims) -> None:
        self.shapes[name] = (list(low), list(opt), list(high))
        LOG.append(("profile", name, list(low), list(opt), list(high)))


class BuilderConfig:
    def __init__(self) -> None:
        self.profiles: list[Profile] = []
        self.timing_cache: TimingCache | None = None

    def set_memory_pool_limit(self, pool: int, size: int) -> None:
        LOG.append(("workspace", size))

    def add_optimization_profile(self, profile: Profile) -> int:
        self.profiles.append(profile)
        return len(self.profiles) - 1

    def create_timing_cache(self, data: bytes) -> TimingCache:
        return TimingCache(data)

    def set_timing_cache(self, cache: TimingCache, ignore_mismatch: bool) -> bool:
        taken = cache.data not in REFUSED_CACHES
        LOG.append(("set_timing_cache", cache.data, taken))
        if taken:
            self.timing_cache = cache
        return taken

    def get_timing_cache(self) -> TimingCache:
        assert self.timing_cache is not None
        return self.timing_cache


class Network:
    def __init__(self, flags: int) -> None:
        self.flags = flags


class Builder:
    def __init__(self, logger: Logger) -> None:
        self.logger = logger

    def create_network(self, flags: int) -> Network:
        LOG.append(("network", flags))
        return Network(flags)

    def create_builder_config(self) -> BuilderConfig:
        return BuilderConfig()

    def create_optimization_profile(self) -> Profile:
        return Profile()

    def build_serialized_network(self, network: Network, config: BuilderConfig) -> bytes:
        LOG.append(("build",))
        profile = config.profiles[0].shapes["images"]
        return b"PLAN" + repr(profile).encode()


class OnnxParser:
    def __init__(self, network: Network, logger: Logger) -> None:
        self.num_errors = 0

    def parse(self, data: bytes) -> bool:
        LOG.append(("parse", len(data)))
        return bool(data)


def _floats(address: int, count: int) -> np.ndarray:
    return np.frombuffer((ctypes.c_float * count).from_address(address), dtype=np.float32)


class ExecutionContext:
    def __init__(self) -> None:
        self.shapes: dict[str, list[int]] = {}
        self.addresses: dict[str, int] = {}

    def set_input_shape(self, name: str, shape: list[int]) -> bool:
        LOG.append(("set_input_shape", name, list(shape)))
        self.shapes[name] = list(shape)
        return True

    def set_tensor_address(self, name: str, address: int) -> bool:
        LOG.append(("set_tensor_address", name, address))
        self.addresses[name] = address
        return True

    def execute_async_v3(self, stream: int) -> bool:
        LOG.append(("execute", stream, self.addresses["images"], self.addresses["stylized"]))
        count = int(np.prod(self.shapes["images"]))
        _floats(self.addresses["stylized"], count)[:] = 1.0 - _floats(self.addresses["images"], count)
        return True


class Engine:
    def create_execution_context(self) -> ExecutionContext:
        return ExecutionContext()


class Runtime:
    def __init__(self, logger: Logger) -> None:
        self.logger = logger

    def deserialize_cuda_engine(self, plan: bytes) -> Engine | None:
        LOG.append(("deserialize", bytes(plan[:4])))
        return Engine() if plan.startswith(b"PLAN") else None


def module() -> types.ModuleType:
    """This module as `tensorrt`, its log emptied."""
    import sys

    LOG.clear()
    REFUSED_CACHES.clear()
    return sys.modules[__name__]


def install(
    monkeypatch: Any, *, capability: str = "9.0", gpu_name: str = "NVIDIA H100 80GB HBM3", parity_db: float = 60.0
) -> types.ModuleType:
    """Put the fake in place of `tensorrt` and of the GPU it would see; its engines "pass" the
    parity check at `parity_db` (the real check runs torch on CUDA)."""
    import sys

    import torch

    fake = module()
    monkeypatch.setitem(sys.modules, "tensorrt", fake)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    identity = lambda device: (gpu_name, capability)  # noqa: E731
    monkeypatch.setattr("vidstyle.backends.tensorrt_backend.device_identity", identity)
    monkeypatch.setattr("vidstyle.export.tensorrt.device_identity", identity)
    monkeypatch.setattr("vidstyle.export.tensorrt.engine_parity", lambda path, model, image: parity_db)
    return fake
