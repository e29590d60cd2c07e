"""The v3 recipe: a deeper model grown from a trained shallower one (new layers start as identity), and the speaker
and emotion losses pooled over random 1-2 s spans in training (never in evaluation)."""
import copy
import json
import os
import shutil
import unittest

import torch

import train
from mtl.checkpoint import build_model, load_checkpoint
from mtl.config import load_config, load_inventories
from mtl.data import read_manifest
from mtl.losses import MtlCriterion, random_span

from .helpers import TempDir, corpus_dir, tiny_checkpoint, tiny_config

torch.set_num_threads(1)


class GrowthTests(unittest.TestCase):
    def test_a_grown_model_computes_what_its_source_did_and_its_new_layers_train(self):
        with TempDir() as d:
            source = tiny_checkpoint(d)
            ckpt = load_checkpoint(source)
            cfg = copy.deepcopy(ckpt["config"])
            cfg["model"]["n_layers"] = 3
            grown_run = os.path.join(d, "grown")
            trainer = train.Trainer(cfg, [corpus_dir()], grown_run, init_from=source, log=lambda *_: None)
            small = build_model(ckpt["config"], ckpt["inventory"])
            small.load_state_dict(ckpt["model"])
            small.eval()
            trainer.model.eval()
            audio = torch.randn(2, 16000) * 0.1
            with torch.no_grad():
                a, b = small(audio), trainer.model(audio)
            for name in ("char_logprobs", "phone_logprobs", "speaker_frames", "emotion_logits", "vad_logits"):
                self.assertTrue(torch.allclose(a[name], b[name], atol=1e-5), name)
            # The new layer is not stuck at identity: one step moves its output projection.
            before = trainer.model.layers[2].ff[2].weight.detach().clone()
            trainer.train(max_steps=1)
            self.assertGreater(float((trainer.model.layers[2].ff[2].weight - before).abs().max()), 0.0)

    def test_a_model_that_loads_nothing_is_left_as_initialised(self):
        model = build_model(tiny_config(), {"chars": ["_", "a"], "phonemes": ["_", "p"], "emotions": ["n", "h"]})
        self.assertEqual(train.grow_identity_layers(model, {}), [])
        self.assertGreater(float(model.layers[0].ff[2].weight.abs().sum()), 0.0)


class SpanPoolingTests(unittest.TestCase):
    def test_random_span_is_one_run_of_the_asked_length_inside_the_valid_frames(self):
        torch.manual_seed(3)
        valid = torch.zeros(3, 100, dtype=torch.bool)
        valid[0, :80] = True
        valid[1, :20] = True   # shorter than the span: kept whole
        valid[2, :100] = True
        for _ in range(50):
            span = random_span(valid, 25, 50)
            self.assertTrue(bool((span <= valid).all()))
            self.assertTrue(torch.equal(span[1], valid[1]))
            for row in (0, 2):
                idx = span[row].nonzero().squeeze(1)
                self.assertTrue(25 <= len(idx) <= 50)
                self.assertEqual(int(idx[-1] - idx[0]) + 1, len(idx))  # contiguous

    def test_span_losses_apply_in_training_only(self):
        cfg = tiny_config(crops={"speaker": [0.2, 0.4], "emotion": [0.2, 0.4]})
        plain = tiny_config()
        torch.manual_seed(0)
        b, t = 4, 60
        out = {"char_logprobs": torch.log_softmax(torch.randn(b, 2 * t, 5), -1),
               "phone_logprobs": torch.log_softmax(torch.randn(b, 2 * t, 5), -1),
               "speaker_frames": torch.randn(b, t, cfg["model"]["speaker_dim"]),
               "emotion_logits": torch.randn(b, t, 4), "vad_logits": torch.randn(b, t)}
        batch = {"frames": torch.full((b,), t), "char_targets": torch.tensor([1, 2] * b), "char_lengths": torch.full((b,), 2),
                 "char_has": torch.ones(b, dtype=torch.bool), "phone_targets": torch.tensor([1, 2] * b),
                 "phone_lengths": torch.full((b,), 2), "phone_has": torch.ones(b, dtype=torch.bool),
                 "speaker": torch.tensor([0, 1, 2, 0]), "emotion": torch.tensor([0, 1, 2, 3]),
                 "vad_target": torch.ones(b, t), "vad_has": torch.ones(b, dtype=torch.bool)}
        with_crops, without = MtlCriterion(cfg, 3), MtlCriterion(plain, 3)
        without.load_state_dict(with_crops.state_dict())
        _, eval_a, _ = with_crops(out, batch)          # evaluation: identical to a config without crops
        _, eval_b, _ = without(out, batch)
        for k in eval_a:
            self.assertAlmostEqual(float(eval_a[k]), float(eval_b[k]), places=6)
        torch.manual_seed(1)
        _, train_a, _ = with_crops(out, batch, step=100)
        torch.manual_seed(1)
        _, train_b, _ = without(out, batch, step=100)
        self.assertNotAlmostEqual(float(train_a["speaker"]), float(train_b["speaker"]), places=4)
        self.assertNotAlmostEqual(float(train_a["emotion"]), float(train_b["emotion"]), places=4)
        self.assertAlmostEqual(float(train_a["char"]), float(train_b["char"]), places=6)

    def test_crops_are_validated(self):
        with self.assertRaises(ValueError):
            load_config({"name": "x", "crops": {"char": [1, 2]}})
        with self.assertRaises(ValueError):
            load_config({"name": "x", "crops": {"speaker": [2, 1]}})


class SpeakerIdentityTests(unittest.TestCase):
    def _copy(self, root, name, voice):
        dst = os.path.join(root, name)
        shutil.copytree(corpus_dir(), dst)
        path = os.path.join(dst, "inventory.json")
        with open(path, encoding="utf-8") as f:
            inv = json.load(f)
        inv["speakerVoices"] = {s: voice for s in inv["trainSpeakers"]}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(inv, f)
        return dst

    def test_the_same_id_with_another_voice_in_a_second_corpus_is_another_speaker(self):
        with TempDir() as d:
            a = self._copy(d, "v1", "espeak:en-us")
            b = self._copy(d, "synthetic-v2", "rhvoice:slt")
            same = self._copy(d, "v1-again", "espeak:en-us")
            inv = load_inventories([a, b, same])
            first = load_inventories([a])["speakers"]
            self.assertEqual(inv["speakers"], first + [f"synthetic-v2:{s}" for s in first])
            items_a, items_b = read_manifest(a, "train", inv), read_manifest(b, "train", inv)
            items_same = read_manifest(same, "train", inv)
            self.assertTrue(all(x.speaker >= 0 for x in items_a + items_b))
            self.assertFalse({x.speaker for x in items_a} & {x.speaker for x in items_b})
            self.assertEqual({x.speaker for x in items_a}, {x.speaker for x in items_same})


if __name__ == "__main__":
    unittest.main()
