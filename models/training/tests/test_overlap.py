"""The overlapped-speech head: mixture targets, frozen training with exact resume, export of the extra output."""
import json
import os
import unittest

import numpy as np
import onnx
import torch

import export
import train_overlap
from mtl.checkpoint import build_model, load_checkpoint
from mtl.data import AudioStore, read_manifest
from mtl.model import OUTPUT_NAMES, OVERLAP_OUTPUT, output_frames

from .helpers import TempDir, corpus_dir, tiny_checkpoint

torch.set_num_threads(1)


def maker(**overrides):
    ckpt_inventory = json.load(open(os.path.join(corpus_dir(), "inventory.json")))
    inventory = {"chars": ckpt_inventory["chars"], "phonemes": ckpt_inventory["phonemes"],
                 "emotions": ckpt_inventory["emotions"], "speakers": ckpt_inventory["trainSpeakers"]}
    pools = train_overlap.speaker_pools(read_manifest(corpus_dir(), "train", inventory))
    cfg = train_overlap.OverlapConfig(**overrides)
    return train_overlap.MixtureMaker(pools, AudioStore(), cfg), cfg


class MixtureTests(unittest.TestCase):
    def test_one_speaker_mixtures_have_no_overlap(self):
        m, cfg = maker(single=1.0, reverb=0.0)
        rng = np.random.default_rng(0)
        for _ in range(5):
            audio, target = m.make(rng)
            self.assertEqual(len(audio), int(cfg.seconds * 16000))
            self.assertEqual(len(target), int(output_frames(len(audio))))
            self.assertEqual(float(target.sum()), 0.0)

    def test_early_starts_make_overlap_frames_and_they_are_voiced_twice(self):
        m, _ = maker(single=0.0, overlap_share=1.0, max_overlap=1.0, interjection=0.0, reverb=0.0)
        rng = np.random.default_rng(1)
        shares = [float(m.make(rng)[1].mean()) for _ in range(8)]
        self.assertGreater(np.mean(shares), 0.02)
        self.assertLess(max(shares), 0.9)   # overlap is where turns meet, not everywhere

    def test_without_early_starts_or_interjections_nothing_overlaps(self):
        m, _ = maker(single=0.0, overlap_share=0.0, interjection=0.0)
        rng = np.random.default_rng(2)
        self.assertEqual(sum(float(m.make(rng)[1].sum()) for _ in range(5)), 0.0)


class DevMeetingTests(unittest.TestCase):
    def test_meetings_carry_each_speakers_voiced_frames_as_turns(self):
        m, cfg = maker(seconds=8.0, single=0.0, overlap_share=1.0, reverb=0.0)
        with TempDir() as out:
            train_overlap.write_meetings(out, m, 2, seed=0)
            lines = [json.loads(x) for x in open(os.path.join(out, "conversations.jsonl"))]
            self.assertEqual(len(lines), 2)
            for c in lines:
                audio, sr = __import__("soundfile").read(os.path.join(out, c["audio"]))
                self.assertEqual((sr, len(audio)), (16000, 8 * 16000))
                self.assertGreaterEqual(len({s["speaker"] for s in c["segments"]}), 2)
                self.assertTrue(all(0 <= s["start"] < s["end"] <= 8.0 for s in c["segments"]))
            # The last meeting's turns are its voiced frames, speaker by speaker (the final frame's centre is the last
            # 40 ms of audio, so a turn running to the end is cut there: at most one frame less).
            for speaker, track in m.last_tracks.items():
                frames = sum(round((s["end"] - s["start"]) / 0.04) for s in lines[-1]["segments"] if s["speaker"] == f"mix-{speaker}")
                self.assertIn(int(track.sum()) - frames, (0, 1))


class OverlapTrainingTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.source = tiny_checkpoint(cls.dir)
        cls.cfg_path = os.path.join(cls.dir, "overlap.json")
        with open(cls.cfg_path, "w") as f:
            json.dump({"channels": 8, "seconds": 2.0, "batch_size": 2, "valid_mixtures": 2}, f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def run_head(self, out, steps, resume=False):
        args = ["--init-from", self.source, "--corpus", corpus_dir(), "--out", out, "--config", self.cfg_path,
                "--max-steps", str(steps), "--valid-every", "100", "--threads", "1", "--checkpoint-minutes", "0"]
        self.assertEqual(train_overlap.main(args + (["--resume"] if resume else [])), 0)
        return load_checkpoint(os.path.join(out, "overlap.pt"))

    def test_only_the_head_changes_and_other_outputs_stay_identical(self):
        out = self.run_head(os.path.join(self.dir, "a"), 3)
        src = load_checkpoint(self.source)
        self.assertEqual(out["config"]["model"]["overlap_head"], 8)
        for key, value in src["model"].items():
            self.assertTrue(torch.equal(value, out["model"][key]), key)
        self.assertTrue(any(k.startswith("overlap_head.") for k in out["model"]))
        self.assertEqual(out["overlap"]["state"]["step"], 3)

        before, after = build_model(src["config"], src["inventory"]), build_model(out["config"], out["inventory"])
        before.load_state_dict(src["model"])
        after.load_state_dict(out["model"])
        audio = torch.randn(1, 16000) * 0.1
        with torch.no_grad():
            a, b = before.eval()(audio), after.eval()(audio)
        for name in OUTPUT_NAMES:
            self.assertTrue(torch.equal(a[name], b[name]), name)
        self.assertEqual(tuple(b[OVERLAP_OUTPUT].shape), tuple(a["vad_logits"].shape))
        self.assertEqual(after.output_names, OUTPUT_NAMES + [OVERLAP_OUTPUT])

    def test_resume_continues_exactly(self):
        straight = self.run_head(os.path.join(self.dir, "straight"), 4)
        split_dir = os.path.join(self.dir, "split")
        self.run_head(split_dir, 2)
        resumed = self.run_head(split_dir, 2, resume=True)
        self.assertEqual(resumed["overlap"]["state"]["step"], 4)
        for key in straight["model"]:
            if key.startswith("overlap_head."):
                torch.testing.assert_close(straight["model"][key], resumed["model"][key], rtol=0, atol=1e-6)

    def test_export_adds_the_overlap_output_and_task(self):
        run = os.path.join(self.dir, "export")
        self.run_head(run, 1)
        onnx_path, parity = os.path.join(self.dir, "ov.onnx"), os.path.join(self.dir, "ov.parity.json")
        self.assertEqual(export.main(["--checkpoint", os.path.join(run, "overlap.pt"), "--out", onnx_path,
                                      "--version", "0.0.2", "--parity-out", parity]), 0)
        proto = onnx.load(onnx_path)
        self.assertEqual([o.name for o in proto.graph.output], OUTPUT_NAMES + [OVERLAP_OUTPUT])
        meta = {p.key: p.value for p in proto.metadata_props}
        self.assertIn("overlap", json.loads(meta["mtl.tasks"]))
        doc = json.load(open(parity))
        self.assertEqual(doc["outputNames"], OUTPUT_NAMES + [OVERLAP_OUTPUT])
        self.assertIn(OVERLAP_OUTPUT, doc["cases"][0]["outputs"])


if __name__ == "__main__":
    unittest.main()
