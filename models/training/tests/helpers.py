"""Shared fixtures: the synthetic corpus (generated once per process) and the tiny config."""
import os
import shutil
import tempfile

from mtl.config import load_config

from .synthcorpus import write_corpus

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "..", "configs")
_CORPUS = None


def corpus_dir():
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = tempfile.mkdtemp(prefix="mtl-synth-")
        write_corpus(_CORPUS)
    return _CORPUS


def tiny_config(**overrides):
    cfg = load_config(os.path.join(CONFIGS, "tiny.json"))
    for key, value in overrides.items():
        cfg[key] = value
    return cfg


def tiny_checkpoint(folder):
    """Trains the tiny config for two steps in folder/run and returns its best.pt (a real checkpoint to start from)."""
    import train  # the trainer script; imported here so helpers stay importable without it on the path
    run = os.path.join(folder, "run")
    train.main(["--config", os.path.join(CONFIGS, "tiny.json"), "--corpus", corpus_dir(), "--out", run,
                "--max-steps", "2", "--threads", "1"])
    return os.path.join(run, "best.pt")


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="mtl-run-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
