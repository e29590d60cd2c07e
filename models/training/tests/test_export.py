import json
import os
import unittest

import numpy as np
import onnx
from onnx import numpy_helper
import torch

import export
import train
from mtl.checkpoint import build_model, load_checkpoint
from mtl.model import OUTPUT_NAMES, ExportWrapper

from .helpers import CONFIGS, TempDir, corpus_dir

torch.set_num_threads(1)  # tiny tensors: a 2nd thread only adds spin-waiting on a shared 2-core box

METADATA_KEYS = ["mtl.name", "mtl.version", "mtl.sample_rate", "mtl.frame_shift", "mtl.ctc_frame_shift",
                 "mtl.chars", "mtl.phonemes", "mtl.emotions", "mtl.speaker_dim", "mtl.tasks",
                 "mtl.training_card"]


def dims(value_info):
    return [(d.dim_param, d.dim_value) for d in value_info.type.tensor_type.shape.dim]


class ExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.run_dir = os.path.join(cls.dir, "run")
        train.main(["--config", os.path.join(CONFIGS, "tiny.json"), "--corpus", corpus_dir(), "--out", cls.run_dir,
                    "--epochs", "1", "--threads", "1"])
        cls.onnx_path = os.path.join(cls.dir, "mtl-tiny.onnx")
        cls.parity_path = os.path.join(cls.dir, "mtl-tiny.parity.json")
        rc = export.main(["--checkpoint", os.path.join(cls.run_dir, "best.pt"), "--out", cls.onnx_path,
                          "--version", "0.1.2", "--name", "mtl-tiny", "--card", "tiny test model",
                          "--parity-out", cls.parity_path])
        assert rc == 0
        cls.proto = onnx.load(cls.onnx_path)
        cls.ckpt = load_checkpoint(os.path.join(cls.run_dir, "best.pt"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_checker_passes_and_opset_17(self):
        onnx.checker.check_model(self.proto)
        self.assertEqual([o.version for o in self.proto.opset_import if o.domain in ("", "ai.onnx")], [17])

    def test_input_and_output_axes_are_symbolic(self):
        inputs = [i for i in self.proto.graph.input]
        self.assertEqual([i.name for i in inputs], ["audio"])
        self.assertEqual(dims(inputs[0]), [("batch", 0), ("samples", 0)])
        outputs = {o.name: o for o in self.proto.graph.output}
        self.assertEqual([o.name for o in self.proto.graph.output], OUTPUT_NAMES)
        for name in ("char_logprobs", "phone_logprobs"):
            self.assertEqual(dims(outputs[name])[:2], [("batch", 0), ("ctc_time", 0)])
        for name in ("speaker_frames", "emotion_logits", "vad_logits"):
            self.assertEqual(dims(outputs[name])[:2], [("batch", 0), ("time", 0)])
        self.assertEqual(len(dims(outputs["vad_logits"])), 2)

    def test_metadata_follows_the_contract(self):
        meta = {p.key: p.value for p in self.proto.metadata_props}
        for key in METADATA_KEYS:
            self.assertIn(key, meta)
        inv = self.ckpt["inventory"]
        self.assertEqual(meta["mtl.name"], "mtl-tiny")
        self.assertEqual(meta["mtl.version"], "0.1.2")
        self.assertEqual(meta["mtl.sample_rate"], "16000")
        self.assertEqual(float(meta["mtl.frame_shift"]), 0.04)
        self.assertEqual(float(meta["mtl.ctc_frame_shift"]), 0.02)
        self.assertEqual(json.loads(meta["mtl.chars"]), inv["chars"])
        self.assertEqual(json.loads(meta["mtl.chars"])[0], "<blank>")
        self.assertEqual(json.loads(meta["mtl.phonemes"])[0], "<blank>")
        self.assertEqual(json.loads(meta["mtl.emotions"]), ["neutral", "happy", "sad", "angry"])
        self.assertEqual(int(meta["mtl.speaker_dim"]), self.ckpt["config"]["model"]["speaker_dim"])
        self.assertEqual(json.loads(meta["mtl.tasks"]), ["char", "phone", "speaker", "emotion", "vad"])
        self.assertEqual(meta["mtl.training_card"], "tiny test model")

    def test_parity_file_matches_pytorch_eval_outputs(self):
        with open(self.parity_path, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["outputNames"], OUTPUT_NAMES)
        self.assertLessEqual(doc["tolerance"], 1e-3)
        self.assertEqual([c["input"]["shape"] for c in doc["cases"]], [[1, 52800], [2, 27200]])
        model = build_model(self.ckpt["config"], self.ckpt["inventory"])
        model.load_state_dict(self.ckpt["model"])
        wrapper = ExportWrapper(model).eval()
        vc, vp = len(self.ckpt["inventory"]["chars"]), len(self.ckpt["inventory"]["phonemes"])
        e, k = self.ckpt["config"]["model"]["speaker_dim"], len(self.ckpt["inventory"]["emotions"])
        for case in doc["cases"]:
            b, n = case["input"]["shape"]
            audio = np.array(case["input"]["data"], dtype=np.float32).reshape(b, n)
            t = -(-(1 + n // 160) // 4)
            expected_shapes = {"char_logprobs": [b, 2 * t, vc], "phone_logprobs": [b, 2 * t, vp],
                               "speaker_frames": [b, t, e], "emotion_logits": [b, t, k], "vad_logits": [b, t]}
            with torch.no_grad():
                outs = dict(zip(OUTPUT_NAMES, wrapper(torch.from_numpy(audio))))
            for name in OUTPUT_NAMES:
                ref = case["outputs"][name]
                self.assertEqual(ref["shape"], expected_shapes[name], name)
                self.assertEqual(len(ref["data"]), int(np.prod(ref["shape"])))
                diff = np.abs(np.array(ref["data"], dtype=np.float32) - outs[name].numpy().ravel()).max()
                self.assertLess(diff, 1e-5, name)

    def test_normalisation_statistics_are_exported(self):
        # The estimated log-mel mean/std must be in the graph, not the identity defaults.
        mean = self.ckpt["model"]["frontend.feat_mean"]
        self.assertGreater(float(mean.abs().max()), 0.1)
        inits = {i.name: i for i in self.proto.graph.initializer}
        found = [n for n, i in inits.items() if list(i.dims) == [80] and
                 np.allclose(numpy_helper.to_array(i), mean.numpy(), atol=1e-6)]
        self.assertTrue(found, "feat_mean not among the ONNX initializers")


class UntrainedExportTests(unittest.TestCase):
    def test_untrained_export_with_inventory(self):
        with TempDir() as d:
            out = os.path.join(d, "u.onnx")
            rc = export.main(["--untrained", "--config", os.path.join(CONFIGS, "tiny.json"),
                              "--inventory", os.path.join(corpus_dir(), "inventory.json"), "--out", out,
                              "--version", "0.0.1", "--name", "mtl-untrained"])
            self.assertEqual(rc, 0)
            proto = onnx.load(out)
            onnx.checker.check_model(proto)
            self.assertEqual({p.key for p in proto.metadata_props}, set(METADATA_KEYS))


if __name__ == "__main__":
    unittest.main()
