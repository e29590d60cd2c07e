import json
import os
import unittest

import numpy as np
import torch

from mtl.config import load_inventory
from mtl.data import AudioStore, collate, read_manifest
from mtl.losses import MtlCriterion
from mtl.model import TASKS
from train import Trainer

from .helpers import TempDir, corpus_dir, tiny_config

torch.set_num_threads(1)  # tiny tensors: a 2nd thread only adds spin-waiting on a shared 2-core box


def train_losses(run_dir):
    with open(os.path.join(run_dir, "log.jsonl"), encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    return [r for r in recs if r["type"] == "train"], [r for r in recs if r["type"] == "valid"]


class TrainingSmokeTests(unittest.TestCase):
    """Tiny model on the synthetic corpus: every task's training loss must go down."""

    def run_and_check(self, weighting):
        cfg = tiny_config(loss_weighting=weighting)
        # Equal weights so no task is starved in a few dozen steps (the point is that every head learns).
        cfg["tasks"] = {t: 1.0 for t in TASKS}
        cfg["train"]["epochs"] = 20  # 3 steps/epoch -> 60 steps
        cfg["train"]["log_every"] = 1
        with TempDir() as out:
            summary = Trainer(cfg, corpus_dir(), out, seed=1, log=lambda *_: None).train()
            train, valid = train_losses(out)
            self.assertEqual(summary["step"], 60)
            self.assertEqual(len(valid), 20)
            for key in ("cer", "per", "emotion_acc", "speaker_acc", "vad_f1", "score"):
                self.assertIsNotNone(valid[-1][key], key)
            k = 10
            for task in TASKS:
                series = [r["losses"][task] for r in train if task in r["losses"]]
                self.assertGreaterEqual(len(series), 50, task)
                first, last = float(np.mean(series[:k])), float(np.mean(series[-k:]))
                self.assertLess(last, 0.8 * first, f"{weighting}: {task} loss {first:.3f} -> {last:.3f}")
            self.assertTrue(os.path.exists(os.path.join(out, "best.pt")))
            self.assertTrue(os.path.exists(os.path.join(out, "last.pt")))
            if weighting == "uncertainty":
                weights = train[-1]["weights"]
                self.assertEqual(set(weights), set(TASKS))
                self.assertTrue(any(abs(w - 1.0) > 0.05 for w in weights.values()), "s_k never moved")

    def test_fixed_weighting_every_task_learns(self):
        self.run_and_check("fixed")

    def test_uncertainty_weighting_every_task_learns(self):
        self.run_and_check("uncertainty")


class LabelMaskingTests(unittest.TestCase):
    def test_missing_label_switches_that_task_off(self):
        corpus = corpus_dir()
        inventory = load_inventory(corpus)
        items = read_manifest(corpus, "train", inventory)
        no_emotion = [u for u in items if u.emotion < 0]
        no_text = [u for u in items if u.chars is None]
        self.assertEqual(len(no_emotion), 1)
        self.assertEqual(len(no_text), 1)
        self.assertIsNone(no_text[0].phones)
        cfg = tiny_config()
        from mtl.checkpoint import build_model
        torch.manual_seed(0)
        model = build_model(cfg, inventory).eval()
        crit = MtlCriterion(cfg, len(inventory["speakers"]))
        store = AudioStore()
        with torch.no_grad():
            batch = collate(no_emotion, store)
            _, losses, _ = crit(model(batch["audio"], batch["lengths"]), batch)
            self.assertNotIn("emotion", losses)
            self.assertIn("char", losses)
            batch = collate(no_text, store)
            _, losses, _ = crit(model(batch["audio"], batch["lengths"]), batch)
            self.assertNotIn("char", losses)
            self.assertNotIn("phone", losses)
            self.assertIn("emotion", losses)
            # A mixed batch: emotion loss equals the loss over the labelled examples alone.
            labelled = [u for u in items if u.emotion >= 0][:2]
            mixed = collate(labelled + no_emotion, store)
            _, l_mixed, _ = crit(model(mixed["audio"], mixed["lengths"]), mixed)
            alone = collate(labelled, store)
            _, l_alone, _ = crit(model(alone["audio"], alone["lengths"]), alone)
            self.assertAlmostEqual(float(l_mixed["emotion"]), float(l_alone["emotion"]), places=4)

    def test_disabled_task_has_no_loss(self):
        cfg = tiny_config()
        cfg["tasks"] = {"char": 1.0, "phone": 0.0, "speaker": 0.0, "emotion": 0.0, "vad": 0.0}
        corpus = corpus_dir()
        inventory = load_inventory(corpus)
        items = read_manifest(corpus, "valid", inventory)[:2]
        from mtl.checkpoint import build_model
        model = build_model(cfg, inventory).eval()
        crit = MtlCriterion(cfg, len(inventory["speakers"]))
        batch = collate(items, AudioStore())
        with torch.no_grad():
            _, losses, _ = crit(model(batch["audio"], batch["lengths"]), batch)
        self.assertEqual(set(losses), {"char"})


if __name__ == "__main__":
    unittest.main()
