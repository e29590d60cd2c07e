import copy
import unittest

import torch

from mtl.checkpoint import build_model
from mtl.config import load_inventory
from mtl.data import AudioStore, collate, make_batches, read_manifest
from mtl.losses import MtlCriterion

from .helpers import corpus_dir, tiny_config

torch.set_num_threads(1)  # tiny tensors: a 2nd thread only adds spin-waiting on a shared 2-core box


class GradientTests(unittest.TestCase):
    """Guards against broken float32 CPU kernels (torch 1.13's GELU backward was one): the float32 gradients of
    the full multi-task loss must match a float64 computation, and repeated backward passes must agree."""

    def setUp(self):
        self.cfg = tiny_config()
        self.inventory = load_inventory(corpus_dir())
        items = read_manifest(corpus_dir(), "train", self.inventory)
        self.batch = collate([items[i] for i in make_batches(items, 8, 16.0, None)[0]], AudioStore())
        torch.manual_seed(0)
        self.model = build_model(self.cfg, self.inventory)
        self.criterion = MtlCriterion(self.cfg, len(self.inventory["speakers"]))

    def grads(self, dtype):
        model = copy.deepcopy(self.model).to(dtype).eval()
        crit = copy.deepcopy(self.criterion).to(dtype)
        b = dict(self.batch)
        b["audio"] = b["audio"].to(dtype)
        b["vad_target"] = b["vad_target"].to(dtype)
        total, losses, _ = crit(model(b["audio"], b["lengths"]), b)
        self.assertEqual(set(losses), {"char", "phone", "speaker", "emotion", "vad"})
        total.backward()
        return {n: p.grad.detach().double() for n, p in model.named_parameters() if p.grad is not None}

    def test_float32_gradients_match_float64(self):
        g32, g64 = self.grads(torch.float32), self.grads(torch.float64)
        self.assertEqual(set(g32), set(g64))
        for name in g64:
            rel = float((g32[name] - g64[name]).norm() / (g64[name].norm() + 1e-12))
            self.assertLess(rel, 1e-3, name)

    def test_backward_is_deterministic(self):
        a, b = self.grads(torch.float32), self.grads(torch.float32)
        for name in a:
            self.assertTrue(torch.equal(a[name], b[name]), name)


if __name__ == "__main__":
    unittest.main()
