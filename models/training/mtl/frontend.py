"""Log-mel frontend that lives inside the exported graph.

Everything here is plain Conv1d / matmul / log so it exports to ONNX opset 17 without torch.stft
(which the 1.13 exporter cannot lower) and gives the same numbers in ONNX Runtime as in PyTorch.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
WIN = 400
PAD = N_FFT // 2  # centre padding: frame i is centred at sample i*HOP, F = 1 + N // HOP


def num_frames(num_samples):
    """Log-mel frame count for num_samples audio samples (centre padding of 200 zeros each side)."""
    return 1 + num_samples // HOP


def _hz_to_mel_slaney(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def _mel_to_hz_slaney(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(n_mels=80, n_fft=N_FFT, sr=SAMPLE_RATE, fmin=0.0, fmax=None):
    """Slaney-style mel filterbank (as librosa/Whisper), [n_fft//2+1, n_mels], area-normalised.

    Slaney rather than HTK because with n_fft=400 (40 Hz bins) HTK's lowest filters are narrower than a bin.
    """
    fmax = fmax or sr / 2
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_pts = np.linspace(_hz_to_mel_slaney(fmin), _hz_to_mel_slaney(fmax), n_mels + 2)
    hz_pts = _mel_to_hz_slaney(mel_pts)
    fdiff = np.diff(hz_pts)
    ramps = hz_pts[:, None] - fft_freqs[None, :]
    weights = np.zeros((n_mels, len(fft_freqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (hz_pts[2:n_mels + 2] - hz_pts[:n_mels])
    weights *= enorm[:, None]
    return weights.T.astype(np.float32), hz_pts[1:-1]


def mel_center_frequencies(n_mels=80, fmin=0.0, fmax=None):
    return mel_filterbank(n_mels, fmin=fmin, fmax=fmax)[1]


class LogMelFrontend(nn.Module):
    """audio [B, N] -> normalised log-mel [B, F, n_mels], F = 1 + N // 160."""

    def __init__(self, n_mels=80, preemphasis=0.0, fmin=0.0, fmax=None):
        super().__init__()
        self.n_mels = n_mels
        self.preemphasis = float(preemphasis)
        window = torch.hann_window(WIN, periodic=True, dtype=torch.float64)
        n = torch.arange(N_FFT, dtype=torch.float64)
        k = torch.arange(N_FFT // 2 + 1, dtype=torch.float64)
        angle = 2 * math.pi * k[:, None] * n[None, :] / N_FFT
        basis = torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window], dim=0)  # [2K, N_FFT]
        self.register_buffer("dft_basis", basis.float().unsqueeze(1), persistent=False)  # [2K, 1, N_FFT]
        fb, _ = mel_filterbank(n_mels, fmin=fmin, fmax=fmax)
        self.register_buffer("mel_fb", torch.from_numpy(fb), persistent=False)  # [K, n_mels]
        # Global normalisation, estimated from training audio (estimate_feature_stats) and saved with the model.
        self.register_buffer("feat_mean", torch.zeros(n_mels))
        self.register_buffer("feat_std", torch.ones(n_mels))

    def log_mel(self, audio):
        x = audio
        if self.preemphasis > 0:
            x = torch.cat([x[:, :1], x[:, 1:] - self.preemphasis * x[:, :-1]], dim=1)
        x = F.pad(x.unsqueeze(1), (PAD, PAD))  # [B, 1, N + 400]
        spec = F.conv1d(x, self.dft_basis, stride=HOP)  # [B, 2K, F]
        k = self.dft_basis.shape[0] // 2
        power = spec[:, :k] ** 2 + spec[:, k:] ** 2  # [B, K, F]
        mel = torch.matmul(power.transpose(1, 2), self.mel_fb)  # [B, F, n_mels]
        return torch.log(mel + 1e-6)

    def forward(self, audio):
        return (self.log_mel(audio) - self.feat_mean) / self.feat_std


@torch.no_grad()
def estimate_feature_stats(frontend, batches):
    """Sets frontend.feat_mean/feat_std from an iterable of (audio [B, N], lengths [B]) over valid frames only."""
    total = torch.zeros(frontend.n_mels, dtype=torch.float64)
    total_sq = torch.zeros(frontend.n_mels, dtype=torch.float64)
    count = 0
    for audio, lengths in batches:
        feats = frontend.log_mel(audio.to(frontend.mel_fb.device)).double().cpu()
        frames = 1 + lengths // HOP
        mask = torch.arange(feats.shape[1])[None, :] < frames[:, None]
        sel = feats[mask]
        total += sel.sum(0)
        total_sq += (sel ** 2).sum(0)
        count += sel.shape[0]
    if count == 0:
        raise ValueError("no frames to estimate feature statistics from")
    mean = total / count
    std = (total_sq / count - mean ** 2).clamp_min(1e-4).sqrt()
    frontend.feat_mean.copy_(mean.float())
    frontend.feat_std.copy_(std.float())
    return mean.float(), std.float()


def spec_augment(feats, frame_counts, freq_masks=2, freq_width=10, time_masks=2, time_width_frac=0.05,
                 max_time_width=20):
    """SpecAugment on normalised features [B, F, M] (masked values set to 0 = the global mean)."""
    b, f, m = feats.shape
    device = feats.device
    keep = torch.ones_like(feats)
    bins = torch.arange(m, device=device)[None, :]
    frames = torch.arange(f, device=device)[None, :]
    for _ in range(freq_masks):
        w = torch.randint(0, freq_width + 1, (b, 1), device=device)
        s = (torch.rand(b, 1, device=device) * (m - w).clamp_min(1)).long()
        keep = keep * (~((bins >= s) & (bins < s + w))).float()[:, None, :]
    for _ in range(time_masks):
        maxw = (frame_counts.to(device).float() * time_width_frac).clamp(max=max_time_width).long()[:, None]
        w = (torch.rand(b, 1, device=device) * (maxw + 1).float()).long()
        s = (torch.rand(b, 1, device=device) * (frame_counts.to(device)[:, None] - w).clamp_min(1).float()).long()
        keep = keep * (~((frames >= s) & (frames < s + w))).float()[:, :, None]
    return feats * keep
