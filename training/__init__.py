"""Training side of vidstyle (installed as `vidstyle.training`): VGG loss, trainer, Gatys."""

from .gatys import GatysConfig, run_gatys
from .trainer import TrainConfig, train

__all__ = ["GatysConfig", "TrainConfig", "run_gatys", "train"]
