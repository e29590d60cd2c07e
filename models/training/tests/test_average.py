import os
import unittest

import torch

import average
import export
import train
from mtl.checkpoint import load_checkpoint

from .helpers import TempDir, corpus_dir, tiny_config

torch.set_num_threads(1)  # tiny tensors: a 2nd thread only adds spin-waiting on a shared 2-core box


class AverageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cfg = tiny_config()
        # A checkpoint every step (interval 0) and the newest 3 snapshots kept.
        cfg["train"] = dict(cfg["train"], checkpoint_minutes=0.0, keep_snapshots=3, epochs=2)
        trainer = train.Trainer(cfg, corpus_dir(), cls.dir, seed=2, log=lambda *_: None)
        trainer.train()
        cls.snapshots = sorted(os.path.join(cls.dir, "snapshots", n) for n in os.listdir(os.path.join(cls.dir, "snapshots")))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_the_trainer_keeps_the_newest_weights_only_snapshots(self):
        self.assertEqual(len(self.snapshots), 3)
        steps = [load_checkpoint(p)["state"]["step"] for p in self.snapshots]
        last = load_checkpoint(os.path.join(self.dir, "last.pt"))
        self.assertEqual(steps[-1], last["state"]["step"])
        self.assertEqual(steps, sorted(set(steps)))
        snap = load_checkpoint(self.snapshots[-1])
        self.assertNotIn("optimizer", snap)
        for name, tensor in last["model"].items():
            self.assertTrue(torch.equal(tensor, snap["model"][name]), name)

    def test_the_average_is_the_elementwise_mean_and_exports(self):
        out = os.path.join(self.dir, "avg.pt")
        self.assertEqual(average.main(["--out", out] + self.snapshots), 0)
        averaged = load_checkpoint(out)["model"]
        models = [load_checkpoint(p)["model"] for p in self.snapshots]
        differs = 0
        for name, tensor in averaged.items():
            if tensor.is_floating_point():
                mean = sum(m[name].double() for m in models) / len(models)
                self.assertTrue(torch.allclose(tensor.double(), mean, atol=1e-6), name)
                differs += int(not torch.equal(models[0][name], models[-1][name]))
            else:
                self.assertTrue(torch.equal(tensor, models[-1][name]), name)
        self.assertGreater(differs, 0, "the snapshots should differ (training moved the weights)")
        onnx_path = os.path.join(self.dir, "avg.onnx")
        self.assertEqual(export.main(["--checkpoint", out, "--out", onnx_path, "--version", "0.0.1", "--name", "mtl-tiny"]), 0)
        self.assertTrue(os.path.getsize(onnx_path) > 0)

    def test_one_checkpoint_averages_to_itself(self):
        averaged = average.average_checkpoints(self.snapshots[:1])["model"]
        for name, tensor in load_checkpoint(self.snapshots[0])["model"].items():
            self.assertTrue(torch.equal(averaged[name], tensor), name)

    def test_checkpoints_of_another_inventory_are_refused(self):
        other = load_checkpoint(self.snapshots[0])
        other["inventory"] = dict(other["inventory"], chars=other["inventory"]["chars"][:-1])
        path = os.path.join(self.dir, "other.pt")
        torch.save(other, path)
        with self.assertRaisesRegex(ValueError, "inventory"):
            average.average_checkpoints([self.snapshots[0], path])
        self.assertEqual(average.main(["--out", os.path.join(self.dir, "never.pt"), self.snapshots[0], path]), 2)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "never.pt")))


if __name__ == "__main__":
    unittest.main()
