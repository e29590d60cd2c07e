import unittest

import numpy as np
import torch

from mtl.frontend import LogMelFrontend, estimate_feature_stats, mel_center_frequencies, num_frames
from mtl.model import MtlModel, output_frames

torch.set_num_threads(1)  # tiny tensors: a 2nd thread only adds spin-waiting on a shared 2-core box


class FrontendTests(unittest.TestCase):
    def test_frame_count_is_one_plus_samples_over_hop(self):
        fe = LogMelFrontend()
        for n in (1, 159, 160, 161, 400, 16000, 52800, 27199):
            with self.subTest(n=n):
                feats = fe(torch.zeros(2, n))
                self.assertEqual(feats.shape, (2, 1 + n // 160, 80))
                self.assertEqual(num_frames(n), 1 + n // 160)

    def test_pure_tone_lights_the_nearest_mel_bin(self):
        fe = LogMelFrontend()
        centres = mel_center_frequencies(80)
        t = np.arange(16000) / 16000.0
        for freq in (300.0, 1000.0, 3000.0, 6000.0):
            with self.subTest(freq=freq):
                tone = torch.from_numpy((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32))[None]
                mel = fe.log_mel(tone)[0, 5:-5]  # frames away from the edges
                loudest = int(mel.mean(0).argmax())
                expected = int(np.argmin(np.abs(centres - freq)))
                self.assertLessEqual(abs(loudest - expected), 1, f"tone {freq} Hz lit bin {loudest}, expected {expected}")

    def test_feature_stats_normalise_to_zero_mean_unit_std(self):
        fe = LogMelFrontend()
        g = torch.Generator().manual_seed(0)
        audio = torch.randn(3, 16000, generator=g) * torch.tensor([[0.01], [0.1], [0.3]])
        lengths = torch.tensor([16000, 12000, 8000])
        estimate_feature_stats(fe, [(audio, lengths)])
        feats = fe(audio)
        valid = torch.cat([feats[i, :1 + int(lengths[i]) // 160] for i in range(3)])
        self.assertLess(float(valid.mean(0).abs().max()), 1e-3)
        self.assertLess(float((valid.std(0) - 1).abs().max()), 0.01)

    def test_model_frame_rates_ctc_is_twice_encoder(self):
        cfg = {"sub_channels": 4, "d_model": 16, "n_layers": 2, "n_heads": 2, "ff_dim": 32, "speaker_dim": 8}
        model = MtlModel(cfg, 29, 20, 4).eval()
        for n in (160, 4000, 16000, 16160, 52800):
            with self.subTest(n=n), torch.no_grad():
                out = model(torch.zeros(1, n))
                f = 1 + n // 160
                t = -(-(-(-f // 2)) // 2)  # ceil(ceil(F/2)/2)
                self.assertEqual(int(output_frames(n)), t)
                self.assertEqual(out["speaker_frames"].shape, (1, t, 8))
                self.assertEqual(out["emotion_logits"].shape, (1, t, 4))
                self.assertEqual(out["vad_logits"].shape, (1, t))
                self.assertEqual(out["char_logprobs"].shape, (1, 2 * t, 29))
                self.assertEqual(out["phone_logprobs"].shape, (1, 2 * t, 20))
                self.assertTrue(torch.allclose(out["char_logprobs"].exp().sum(-1), torch.ones(1, 2 * t), atol=1e-5))


if __name__ == "__main__":
    unittest.main()
