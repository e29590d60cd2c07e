"""Model construction from (config, inventory) and atomic checkpoint files."""
import os

import torch

from .model import MtlModel


def build_model(cfg, inventory):
    return MtlModel(cfg["model"], len(inventory["chars"]), len(inventory["phonemes"]), len(inventory["emotions"]))


def save_checkpoint(path, state):
    """Writes to path.tmp then renames, so a kill mid-write never leaves a broken checkpoint."""
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, map_location="cpu"):
    return torch.load(path, map_location=map_location)
