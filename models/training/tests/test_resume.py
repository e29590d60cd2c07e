import json
import os
import unittest

import torch

import train
from mtl.checkpoint import load_checkpoint

from .helpers import CONFIGS, TempDir, corpus_dir, tiny_config

torch.set_num_threads(1)  # tiny tensors: a 2nd thread only adds spin-waiting on a shared 2-core box


class ResumeTests(unittest.TestCase):
    def test_resume_mid_epoch_continues_step_count_and_state(self):
        config = os.path.join(CONFIGS, "tiny.json")
        corpus = corpus_dir()
        with TempDir() as straight, TempDir() as split:
            common = ["--config", config, "--corpus", corpus, "--seed", "3", "--epochs", "2", "--threads", "1"]
            train.main(common + ["--out", straight])
            # 3 steps per epoch: stop after 4 steps (mid-epoch 1), then resume to the end.
            train.main(common + ["--out", split, "--max-steps", "4"])
            first = load_checkpoint(os.path.join(split, "last.pt"))
            self.assertEqual(first["state"]["step"], 4)
            self.assertEqual(first["state"]["epoch"], 1)
            self.assertEqual(first["state"]["batch_in_epoch"], 1)
            train.main(["--corpus", corpus, "--out", split, "--resume", "--epochs", "2", "--threads", "1"])

            a = load_checkpoint(os.path.join(straight, "last.pt"))
            b = load_checkpoint(os.path.join(split, "last.pt"))
            self.assertEqual(a["state"]["step"], 6)
            self.assertEqual(b["state"]["step"], 6)
            self.assertEqual(b["state"]["epoch"], 2)
            for name, tensor in a["model"].items():
                self.assertTrue(torch.allclose(tensor, b["model"][name], atol=1e-6), name)
            for name, tensor in a["criterion"].items():
                self.assertTrue(torch.allclose(tensor, b["criterion"][name], atol=1e-6), name)
            self.assertEqual(a["optimizer"]["state"].keys(), b["optimizer"]["state"].keys())
            with open(os.path.join(split, "log.jsonl"), encoding="utf-8") as f:
                steps = [json.loads(l)["step"] for l in f if '"train"' in l]
            self.assertEqual(steps, [1, 2, 3, 4, 5, 6])

    def test_init_from_copies_matching_weights_and_statistics(self):
        corpus = corpus_dir()
        with TempDir() as first, TempDir() as second:
            train.main(["--config", os.path.join(CONFIGS, "tiny.json"), "--corpus", corpus, "--out", first,
                        "--epochs", "1", "--threads", "1"])
            best = load_checkpoint(os.path.join(first, "best.pt"))
            source = best["model"]
            self.assertNotIn("optimizer", best)  # weights only ...
            self.assertIn("criterion", best)      # ... but with the speaker classifier
            messages = []
            trainer = train.Trainer(tiny_config(), corpus, second, seed=5, log=messages.append,
                                    init_from=os.path.join(first, "best.pt"))
            own = trainer.model.state_dict()
            self.assertEqual(set(own), set(source))
            for name, tensor in source.items():
                self.assertTrue(torch.equal(own[name], tensor), name)
            # Same training speakers: the speaker prototypes carry over instead of restarting from random.
            fresh = train.Trainer(tiny_config(), corpus, second, seed=5, log=lambda *_: None).criterion.state_dict()
            carried = trainer.criterion.state_dict()
            for name, tensor in best["criterion"].items():
                self.assertTrue(torch.equal(carried[name], tensor), name)
                self.assertFalse(torch.equal(fresh[name], tensor), name)
            self.assertTrue(any("speaker classifier and task weights" in m for m in messages), messages)

    def test_init_from_with_other_speakers_starts_the_speaker_classifier_fresh(self):
        corpus = corpus_dir()
        with TempDir() as first, TempDir() as second:
            train.main(["--config", os.path.join(CONFIGS, "tiny.json"), "--corpus", corpus, "--out", first,
                        "--max-steps", "1", "--threads", "1"])
            path = os.path.join(first, "best.pt")
            ckpt = load_checkpoint(path)
            ckpt["inventory"] = dict(ckpt["inventory"], speakers=list(reversed(ckpt["inventory"]["speakers"])))
            torch.save(ckpt, path)
            messages = []
            trainer = train.Trainer(tiny_config(), corpus, second, seed=5, log=messages.append, init_from=path)
            self.assertFalse(torch.equal(trainer.criterion.state_dict()["aam.weight"], ckpt["criterion"]["aam.weight"]))
            self.assertTrue(any("other training speakers" in m for m in messages), messages)


if __name__ == "__main__":
    unittest.main()
