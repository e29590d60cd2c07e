"""The multi-task speech model: log-mel frontend, conv x4 subsampling, pre-norm transformer, five heads.

Output names and layouts follow src/MtlBatch.Core/ModelContract.cs:
  char_logprobs  [B, 2T, Vc]  CTC, 20 ms frames (x2 upsampled from the final layer)
  phone_logprobs [B, 2T, Vp]  CTC, 20 ms frames (from an intermediate layer)
  speaker_frames [B, T, E]    span embedding = L2-normalised mean over the span's frames
  emotion_logits [B, T, K]
  vad_logits     [B, T]
  overlap_logits [B, T]      optional (model.overlap_head > 0): two or more voices at once
with T = ceil(F / 4), F = 1 + N // 160, frame j centred at j * 40 ms.

The transformer layer is written out (rather than nn.TransformerEncoder) because torch 1.13's eval-mode
"fast path" of nn.TransformerEncoderLayer / nn.MultiheadAttention does not export to ONNX; this block is the
same pre-norm (norm_first=True) computation with plain matmuls.
"""
import math

import torch
import torch.nn as nn

from .frontend import LogMelFrontend, spec_augment, num_frames

OUTPUT_NAMES = ["char_logprobs", "phone_logprobs", "speaker_frames", "emotion_logits", "vad_logits"]
OVERLAP_OUTPUT = "overlap_logits"
TASKS = ["char", "phone", "speaker", "emotion", "vad"]

MODEL_DEFAULTS = {
    "n_mels": 80,
    "preemphasis": 0.0,
    "sub_channels": 64,
    "d_model": 192,
    "n_layers": 6,
    "n_heads": 4,
    "ff_dim": 768,
    "dropout": 0.1,       # on the residual branches and the encoder input
    "attn_dropout": 0.0,  # on attention probabilities (costly on CPU: bernoulli over [B, H, T, T])
    "pos_kernel": 15,
    "phone_layer": None,  # 1-based layer whose output feeds the phoneme head; default n_layers // 2
    "speaker_dim": 128,
    "speaker_hidden": 0,  # >0: a small MLP before the speaker projection
    "overlap_head": 0,    # >0: channels of the overlapped-speech head (train_overlap.py); 0 = no such output
    "spec_augment": {"freq_masks": 2, "freq_width": 10, "time_masks": 2, "time_width_frac": 0.05,
                     "max_time_width": 20},
}


def model_config(cfg):
    out = dict(MODEL_DEFAULTS)
    out.update(cfg or {})
    if out["phone_layer"] is None:
        out["phone_layer"] = max(1, out["n_layers"] // 2)
    return out


def output_frames(num_samples):
    """Encoder frames T for num_samples samples (works on ints and tensors)."""
    f = num_frames(num_samples)
    return (f + 3) // 4  # ceil(ceil(F/2)/2) == ceil(F/4)


class Gelu(nn.Module):
    """Exact GELU from erf. Not nn.GELU: the float32 CPU backward of torch 1.13's GELU kernel (Debian build) returns
    wrong gradients when the incoming gradient is non-contiguous (measured: max error 5.1 vs the reference, and
    garbage ~1e13 after a transpose), which silently breaks training. Erf exports to ONNX as the same op."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.erf(x * 0.7071067811865476))


class LayerNorm(nn.LayerNorm):
    """nn.LayerNorm that normalises in float32 under bf16 autocast (torch 1.13's CPU autocast passes bf16 inputs
    to layer_norm with float32 weights and fails). A float32 input takes the plain path, so the exported graph
    and the state-dict names are those of nn.LayerNorm."""

    def forward(self, x):
        if x.dtype != self.weight.dtype:
            x = x.to(self.weight.dtype)
        return super().forward(x)


class SelfAttention(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        assert d % heads == 0
        self.h = heads
        self.dh = d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, key_padding_mask=None):
        b, t = x.size(0), x.size(1)
        qkv = self.qkv(x).reshape(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)  # [3, B, H, T, dh]
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh))
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], -1e9)
        attn = torch.softmax(scores, dim=-1)
        if self.training and self.drop.p > 0:
            attn = self.drop(attn)
        y = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, self.h * self.dh)
        return self.out(y)


class TransformerBlock(nn.Module):
    """Pre-norm transformer encoder layer (== nn.TransformerEncoderLayer(norm_first=True, activation=gelu))."""

    def __init__(self, d, heads, ff, dropout, attn_dropout=0.0):
        super().__init__()
        self.ln1 = LayerNorm(d)
        self.attn = SelfAttention(d, heads, attn_dropout)
        self.ln2 = LayerNorm(d)
        # No dropout inside the feed-forward: it is the biggest activation and bernoulli is slow on CPU.
        self.ff = nn.Sequential(nn.Linear(d, ff), Gelu(), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, key_padding_mask=None):
        x = x + self.drop(self.attn(self.ln1(x), key_padding_mask))
        return x + self.drop(self.ff(self.ln2(x)))


class ConvSubsampling(nn.Module):
    """[B, F, M] -> [B, ceil(F/4), d]: two 3x3 stride-2 convs (padding 1)."""

    def __init__(self, n_mels, channels, d):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, stride=2, padding=1), nn.ReLU())
        freq = ((n_mels + 1) // 2 + 1) // 2
        self.proj = nn.Linear(channels * freq, d)

    def forward(self, feats):
        x = self.conv(feats.unsqueeze(1))  # [B, C, T, M/4]
        x = x.permute(0, 2, 1, 3).flatten(2)  # [B, T, C*M/4]
        return self.proj(x)


class ConvPositional(nn.Module):
    """wav2vec2-style relative position information: depthwise conv over time, works for any length."""

    def __init__(self, d, kernel):
        super().__init__()
        self.conv = nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d)
        self.act = Gelu()

    def forward(self, x):
        return x + self.act(self.conv(x.transpose(1, 2))).transpose(1, 2)


class CtcHead(nn.Module):
    """Linear(d, 2V) reshaped to [B, 2T, V]: 20 ms CTC frames from 40 ms encoder frames."""

    def __init__(self, d, vocab):
        super().__init__()
        self.vocab = vocab
        self.ln = LayerNorm(d)
        self.proj = nn.Linear(d, 2 * vocab)

    def forward(self, x):
        y = self.proj(self.ln(x))
        y = y.reshape(y.size(0), y.size(1) * 2, self.vocab)
        return torch.log_softmax(y, dim=-1)


class OverlapHead(nn.Module):
    """Per-frame logit that two or more people speak at once. A short temporal conv (5 frames = 200 ms) over the final
    encoder features: overlap shows in how a frame's features change, not only in the frame itself. Trained on a
    frozen encoder (train_overlap.py), so adding it leaves every other output unchanged."""

    def __init__(self, d, channels, kernel=5):
        super().__init__()
        self.conv = nn.Conv1d(d, channels, kernel, padding=kernel // 2)
        self.act = Gelu()
        self.proj = nn.Conv1d(channels, 1, 1)

    def forward(self, x):
        return self.proj(self.act(self.conv(x.transpose(1, 2)))).squeeze(1)


class MtlModel(nn.Module):
    def __init__(self, cfg, n_chars, n_phones, n_emotions):
        super().__init__()
        cfg = model_config(cfg)
        self.cfg = cfg
        d = cfg["d_model"]
        self.frontend = LogMelFrontend(cfg["n_mels"], cfg["preemphasis"])
        self.subsample = ConvSubsampling(cfg["n_mels"], cfg["sub_channels"], d)
        self.pos = ConvPositional(d, cfg["pos_kernel"])
        self.in_drop = nn.Dropout(cfg["dropout"])
        self.layers = nn.ModuleList(
            [TransformerBlock(d, cfg["n_heads"], cfg["ff_dim"], cfg["dropout"], cfg["attn_dropout"])
             for _ in range(cfg["n_layers"])])
        self.final_ln = LayerNorm(d)
        self.phone_layer = cfg["phone_layer"]
        self.char_head = CtcHead(d, n_chars)
        self.phone_head = CtcHead(d, n_phones)
        if cfg["speaker_hidden"] > 0:
            self.speaker_head = nn.Sequential(nn.Linear(d, cfg["speaker_hidden"]), nn.ReLU(),
                                              nn.Linear(cfg["speaker_hidden"], cfg["speaker_dim"]))
        else:
            self.speaker_head = nn.Linear(d, cfg["speaker_dim"])
        self.emotion_head = nn.Linear(d, n_emotions)
        self.vad_head = nn.Linear(d, 1)
        self.overlap_head = OverlapHead(d, cfg["overlap_head"]) if cfg["overlap_head"] > 0 else None

    @property
    def output_names(self):
        return OUTPUT_NAMES + ([OVERLAP_OUTPUT] if self.overlap_head is not None else [])

    def encode(self, audio, lengths=None):
        """Final (layer-normed) and phone-layer encoder features and the padding mask (True = padding)."""
        feats = self.frontend(audio)
        frame_counts = None
        if lengths is not None:
            frame_counts = num_frames(lengths)
        if self.training:
            sa = self.cfg["spec_augment"]
            if sa:
                counts = frame_counts if frame_counts is not None else torch.full(
                    (audio.shape[0],), feats.shape[1], dtype=torch.long)
                feats = spec_augment(feats, counts, **sa)
        x = self.subsample(feats)
        mask = None  # True = padding
        if lengths is not None:
            t_valid = output_frames(lengths)
            mask = torch.arange(x.shape[1], device=x.device)[None, :] >= t_valid.to(x.device)[:, None]
            x = x.masked_fill(mask[:, :, None], 0.0)  # padding looks like the conv's zero padding
        x = self.in_drop(self.pos(x))
        mid = x
        for i, layer in enumerate(self.layers):
            x = layer(x, mask)
            if i + 1 == self.phone_layer:
                mid = x
        return self.final_ln(x), mid, mask

    def forward(self, audio, lengths=None):
        """audio [B, N]; lengths [B] samples (training/validation with padded batches) or None (export)."""
        x, mid, mask = self.encode(audio, lengths)
        out = {
            "char_logprobs": self.char_head(x),
            "phone_logprobs": self.phone_head(mid),
            "speaker_frames": self.speaker_head(x),
            "emotion_logits": self.emotion_head(x),
            "vad_logits": self.vad_head(x).squeeze(-1),
            "padding_mask": mask,
        }
        if self.overlap_head is not None:
            out[OVERLAP_OUTPUT] = self.overlap_head(x)
        return out


class ExportWrapper(nn.Module):
    """audio -> the contract outputs (model.output_names) as a tuple, no lengths (C# feeds equal-length chunks)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, audio):
        out = self.model(audio)
        return tuple(out[name] for name in self.model.output_names)


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())
