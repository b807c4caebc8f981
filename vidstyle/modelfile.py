"""Model files: safetensors weights plus a JSON model card in the safetensors metadata.

Loading never unpickles. A checksum over the tensor bytes is stored in the metadata,
because safetensors itself would happily load a file whose weights were flipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .atomic import atomic_output
from .backends.base import exported_kind
from .errors import ModelFileError
from .net import TransformerNet, upgrade_state

FORMAT = "vidstyle-model/1"
_CARD_KEY = "vidstyle.card"
_FORMAT_KEY = "vidstyle.format"
_CHECKSUM_KEY = "vidstyle.sha256"
DEFAULT_MODEL_NAME = "default.safetensors"


@dataclass(frozen=True)
class ModelCard:
    """What a user needs to know about where a model came from."""

    architecture: str = "TransformerNet"
    width: float = 1.0
    residual_blocks: int = 5
    separable: bool = False  # depthwise-separable residual convs (the small real-time nets)
    head: str = "tanh"  # the output layer (see net.HEADS); files from before it was recorded end in a tanh
    style_image: str = ""
    style_image_sha256: str = ""
    # One entry per row of norm parameters: {"name", "image", "sha256"}. Empty in files from
    # before multi-style, which hold one style described by style_image.
    styles: tuple[dict[str, str], ...] = ()
    content_weight: float = 0.0
    style_weight: float = 0.0
    tv_weight: float = 0.0
    stability_weight: float = 0.0
    content_layers: tuple[str, ...] = ()
    style_layers: tuple[str, ...] = ()
    loss_net: str = ""
    loss_net_weights: str = ""
    loss_net_sha256: str = ""
    steps: int = 0
    image_size: int = 0
    batch_size: int = 0
    trained_on: str = ""
    final_losses: dict[str, float] = field(default_factory=dict)
    # Each training segment's recipe and length, oldest first (a run continued with --init-from
    # adds one); empty in files from before segments were kept.
    segments: tuple[dict[str, Any], ...] = ()
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("model card is not a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"model card has unknown keys {unknown}")
        for key in ("content_layers", "style_layers", "styles", "segments"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    @classmethod
    def from_export(cls, text: str) -> ModelCard:
        """The card an exported file carries: the model's, plus keys the exporter adds (precision)."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls.from_json(json.dumps({k: v for k, v in data.items() if k in known}))

    @property
    def style_count(self) -> int:
        return len(self.styles) or 1

    @property
    def style_names(self) -> list[str]:
        if self.styles:
            return [entry["name"] for entry in self.styles]
        return [Path(self.style_image).stem or "style"]


@dataclass(frozen=True)
class StyleModel:
    """A loaded net with its card; `net` is in eval mode on the CPU until moved."""

    net: TransformerNet
    card: ModelCard
    source: str


def tensor_checksum(state: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().contiguous().cpu()
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(str(tuple(tensor.shape)).encode())
        # reshape(-1): a 1x1 conv's weight in channels_last counts as contiguous yet keeps a stride
        # of C in its last, size-1 dim, which view() refuses; flat, the bytes are the same.
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def save_model(path: str | os.PathLike[str], net: TransformerNet, card: ModelCard, *, half: bool = False) -> Path:
    """Write atomically. `half` stores fp16 weights (half the size; loading casts back to fp32)."""
    dtype = torch.float16 if half else torch.float32
    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in net.state_dict().items()}
    metadata = {_FORMAT_KEY: FORMAT, _CARD_KEY: card.to_json(), _CHECKSUM_KEY: tensor_checksum(state)}
    with atomic_output(path) as tmp:
        mode = tmp.stat().st_mode & 0o777
        save_file(state, str(tmp), metadata=metadata)
        # safetensors writes its file owner-only (0600); keep the mode any new file would get here.
        os.chmod(tmp, mode)
    return Path(path)


def default_model_path() -> Path:
    return Path(str(resources.files("vidstyle") / "assets" / DEFAULT_MODEL_NAME))


def bundled_models() -> dict[str, Path]:
    """The models shipped in the package, by name (the file's stem)."""
    folder = default_model_path().parent
    return {path.stem: path for path in sorted(folder.glob("*.safetensors"))}


def resolve_model_path(name_or_path: str | os.PathLike[str] | None) -> Path:
    """A path that exists, else a bundled model's name ('default'), else one error naming both kinds."""
    if name_or_path is None:
        return default_model_path()
    path = Path(name_or_path)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    bundled = bundled_models()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    raise ModelFileError(
        f"no model file or bundled model named {name_or_path!r}; bundled: {', '.join(bundled) or 'none'}"
    )


def check_model_file(file: Path) -> Path:
    """A model path that names a file, or one line saying what it names instead."""
    if file.is_dir():
        raise ModelFileError(f"the model {file} is a folder; give a model file ({file.suffix or '.safetensors'})")
    if not file.is_file():
        raise ModelFileError(f"model file not found: {file}")
    return file


def load_model(path: str | os.PathLike[str] | None = None) -> StyleModel:
    """Load a model file, or a bundled model by name (the bundled default when `path` is None)."""
    file = check_model_file(resolve_model_path(path))
    kind = exported_kind(file)  # runnable by a backend, not loadable as a net
    if kind is not None:
        raise ModelFileError(
            f"{file} is an exported {kind[1]}; this command takes the .safetensors model it was exported from "
            "(stylize, image, camera and serve run it directly)"
        )
    try:
        with safe_open(str(file), framework="pt") as handle:
            metadata: dict[str, Any] = handle.metadata() or {}
            state = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        from .foreign import describe  # only on this error path: says what the file is instead (an image, a .pth)

        raise ModelFileError(
            describe(file)
            or f"{file} is not a readable safetensors model file (truncated or corrupt?): {_first_line(exc)}"
        ) from None
    if metadata.get(_FORMAT_KEY) != FORMAT:
        raise ModelFileError(f"{file} is a safetensors file but not a vidstyle model (no {FORMAT} marker)")
    if metadata.get(_CHECKSUM_KEY) != tensor_checksum(state):
        raise ModelFileError(f"{file} is corrupt: its weights do not match the checksum stored in the file")
    try:
        card = ModelCard.from_json(metadata.get(_CARD_KEY, ""))
        if card.architecture != "TransformerNet":
            raise ValueError(f"unsupported architecture {card.architecture!r}")
        net = TransformerNet(
            width=card.width,
            residual_blocks=card.residual_blocks,
            style_count=card.style_count,
            separable=card.separable,
            head=card.head,  # type: ignore[arg-type]
        )
        net.load_state_dict(upgrade_state({k: v.float() for k, v in state.items()}, net))
    except (ValueError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"{file} has an invalid model card or weights: {_first_line(exc)}") from None
    net.eval().requires_grad_(False)
    return StyleModel(net=net, card=card, source=str(file))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
