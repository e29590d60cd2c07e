"""Corpus v2 training: several corpus folders, real speech in every batch, loss ramps, bf16 autocast, and
fine-tuning from a shipped ONNX model."""
import json
import os
import shutil
import unittest

import numpy as np
import torch

import export
import train
from mtl.checkpoint import build_model, load_checkpoint, state_from_onnx
from mtl.config import load_inventories, load_inventory
from mtl.data import make_mixed_batches, read_manifest
from mtl.losses import MtlCriterion

from .helpers import TempDir, corpus_dir, tiny_checkpoint, tiny_config

torch.set_num_threads(1)


def real_copy(src, dst, n=6):
    """A second corpus folder whose utterances are marked as imported real speech, with their own speakers."""
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "inventory.json"), dst)
    with open(os.path.join(dst, "inventory.json"), encoding="utf-8") as f:
        inv = json.load(f)
    inv["trainSpeakers"] = []
    with open(os.path.join(dst, "inventory.json"), "w", encoding="utf-8") as f:
        json.dump(inv, f)
    for split in ("train", "valid"):
        with open(os.path.join(src, f"{split}.jsonl"), encoding="utf-8") as f:
            lines = [json.loads(l) for l in f if l.strip()][:n]
        with open(os.path.join(dst, f"{split}.jsonl"), "w", encoding="utf-8") as f:
            for line in lines:
                line["audio"] = os.path.join(src, line["audio"])  # absolute: os.path.join keeps it
                line["engine"] = "real"
                line["emotion"] = None
                if line.get("speaker"):
                    line["speaker"] = "real-" + line["speaker"]
                f.write(json.dumps(line) + "\n")


class MixingTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.real = os.path.join(cls.tmp.__enter__(), "real")
        real_copy(corpus_dir(), cls.real)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def items(self):
        inv = load_inventories([corpus_dir(), self.real])
        return [u for c in (corpus_dir(), self.real) for u in read_manifest(c, "train", inv)], inv

    def test_inventory_is_the_union_of_speakers(self):
        inv = load_inventories([corpus_dir(), self.real])
        synth = load_inventory(corpus_dir())["speakers"]
        self.assertEqual(inv["speakers"][:len(synth)], synth)
        self.assertTrue(any(s.startswith("real-") for s in inv["speakers"]))

    def test_every_batch_mixes_real_and_synthetic_and_real_is_oversampled(self):
        items, _ = self.items()
        n_real = sum(u.real for u in items)
        self.assertEqual(n_real, 6)
        batches = make_mixed_batches(items, 4, 1000.0, np.random.default_rng(3), 0.5)
        for b in batches:
            kinds = [items[i].real for i in b]
            self.assertIn(True, kinds)
            self.assertIn(False, kinds)
        seen_real = sum(items[i].real for b in batches for i in b)
        self.assertGreater(seen_real, n_real, "the smaller real pool is cycled")
        synth = [i for b in batches for i in b if not items[i].real]
        self.assertEqual(sorted(synth), sorted(i for i, u in enumerate(items) if not u.real), "one synthetic epoch")
        again = make_mixed_batches(items, 4, 1000.0, np.random.default_rng(3), 0.5)
        self.assertEqual(batches, again, "deterministic for the rng")

    def test_without_share_batches_are_the_old_ones(self):
        items, _ = self.items()
        from mtl.data import make_batches
        self.assertEqual(make_mixed_batches(items, 4, 1000.0, np.random.default_rng(1), 0.0),
                         make_batches(items, 4, 1000.0, np.random.default_rng(1)))

    def test_speaker_ramp(self):
        cfg = tiny_config()
        cfg["task_ramps"] = {"speaker": [10, 20]}
        crit = MtlCriterion(cfg, 3)
        self.assertEqual(crit.ramp("speaker", 0), 0.0)
        self.assertEqual(crit.ramp("speaker", 9), 0.0)
        self.assertAlmostEqual(crit.ramp("speaker", 19), 0.5)
        self.assertEqual(crit.ramp("speaker", 500), 1.0)
        self.assertEqual(crit.ramp("char", 0), 1.0)
        self.assertEqual(crit.ramp("speaker", None), 1.0, "evaluation is unramped")
        losses = {"char": torch.tensor(2.0), "speaker": torch.tensor(5.0)}
        self.assertAlmostEqual(float(crit.combine(losses, 0)), cfg["tasks"]["char"] * 2.0)
        self.assertAlmostEqual(float(crit.combine(losses, 1000)),
                               cfg["tasks"]["char"] * 2.0 + cfg["tasks"]["speaker"] * 5.0, places=5)

    def test_mixed_training_with_bf16_autocast_runs_and_resumes(self):
        cfg = tiny_config()
        cfg["train"]["real_share"] = 0.4
        cfg["train"]["amp"] = "bf16"
        cfg["train"]["log_every"] = 1
        cfg["task_ramps"] = {"speaker": [2, 2]}
        with TempDir() as out:
            t = train.Trainer(cfg, [corpus_dir(), self.real], out, seed=1, log=lambda *_: None)
            t.train(max_steps=3)
            with open(os.path.join(out, "log.jsonl"), encoding="utf-8") as f:
                recs = [json.loads(l) for l in f if '"train"' in l]
            self.assertTrue(recs and all(np.isfinite(r["loss"]) for r in recs))
            resumed = train.Trainer(None, [corpus_dir(), self.real], out, seed=1, resume=True, log=lambda *_: None)
            self.assertEqual(resumed.state["step"], 3)
            self.assertEqual(resumed.steps_per_epoch, t.steps_per_epoch)

    def test_init_from_onnx_reproduces_the_exported_model(self):
        with TempDir() as d:
            best = tiny_checkpoint(d)
            onnx_path = os.path.join(d, "m.onnx")
            self.assertEqual(export.main(["--checkpoint", best, "--out", onnx_path, "--version", "0.0.1"]), 0)
            ckpt = load_checkpoint(best)
            fresh = build_model(ckpt["config"], ckpt["inventory"])
            state = state_from_onnx(onnx_path, fresh.state_dict())
            self.assertEqual(set(state), set(fresh.state_dict()))
            for k, v in ckpt["model"].items():
                self.assertTrue(torch.allclose(state[k], v), k)
