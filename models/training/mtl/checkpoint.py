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


def state_from_onnx(path, own_state):
    """Weights of an exported model (export.py) as a state dict for a model of the same architecture: named
    initializers ("model.<name>") by name; nn.Linear weights, which torch.onnx exports as MatMul with an anonymous
    transposed initializer ("onnx::MatMul_N", in graph order), by shape in the order the state dict lists them.
    Lets `train.py --init-from models/mtl-small.onnx` fine-tune a shipped model that has no committed checkpoint."""
    import onnx
    from onnx import numpy_helper
    inits = [(i.name, numpy_helper.to_array(i)) for i in onnx.load(path).graph.initializer]
    named = {n: a for n, a in inits}
    anonymous = [a for n, a in inits if n.startswith("onnx::MatMul")]
    used = [False] * len(anonymous)
    out = {}
    for key, value in own_state.items():
        a = named.get("model." + key)
        if a is not None and tuple(a.shape) == tuple(value.shape):
            out[key] = torch.from_numpy(a.copy())
    for key, value in own_state.items():
        if key in out or not key.endswith(".weight") or value.dim() != 2:
            continue
        for j, a in enumerate(anonymous):
            if not used[j] and tuple(a.shape) == (value.shape[1], value.shape[0]):
                out[key] = torch.from_numpy(a.T.copy())
                used[j] = True
                break
    return out
