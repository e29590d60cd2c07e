"""Per-task losses and their combination (fixed weights or learned uncertainty weighting)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .model import TASKS


def masked_mean(x, valid):
    """x [B, T, ...], valid [B, T] bool -> [B, ...] mean over valid frames (at least one frame counted)."""
    w = valid.to(x.dtype)
    while w.dim() < x.dim():
        w = w.unsqueeze(-1)
    return (x * w).sum(1) / w.sum(1).clamp_min(1.0)


def frame_mask(frames, t_max):
    """[B] valid encoder frames -> [B, T] bool, True = real frame."""
    return torch.arange(t_max, device=frames.device)[None, :] < frames[:, None]


def speaker_embedding(speaker_frames, valid):
    """The contract: a span's embedding is the L2-normalised mean of its frames."""
    return F.normalize(masked_mean(speaker_frames, valid), dim=-1)


ENCODER_FRAME_SECONDS = 0.04


def random_span(valid, min_frames, max_frames):
    """[B, T] bool -> [B, T] bool: per row one random run of min..max frames inside its valid frames (rows with
    fewer valid frames keep them all). Uses torch's global generator, which the trainer seeds per step."""
    out = torch.zeros_like(valid)
    counts = valid.sum(1).tolist()
    for i, n in enumerate(counts):
        n = int(n)
        if n <= max_frames:
            out[i] = valid[i]
            continue
        length = int(torch.randint(min_frames, max_frames + 1, (1,)))
        start = int(torch.randint(0, n - length + 1, (1,)))
        out[i, start:start + length] = True
    return out


def ctc_required_frames(targets, lengths):
    """Minimum CTC frames per target sequence: length + number of adjacent repeats."""
    out = []
    offset = 0
    flat = targets.tolist()
    for n in lengths.tolist():
        seq = flat[offset:offset + n]
        offset += n
        out.append(n + sum(1 for a, b in zip(seq, seq[1:]) if a == b))
    return torch.tensor(out, dtype=torch.long)


def ctc_loss(logprobs, frames, targets, lengths, has):
    """Mean over labelled examples of CTC loss / target length; None if no example is usable."""
    in_lens = frames * 2  # 20 ms CTC frames
    feasible = has & (ctc_required_frames(targets, lengths).to(has.device) <= in_lens)
    if not bool(feasible.any()):
        return None
    # Select the usable examples and their slices of the flat target vector.
    offsets = torch.cumsum(lengths, 0) - lengths
    sel = feasible.nonzero().squeeze(1)
    flat = torch.cat([targets[offsets[i]:offsets[i] + lengths[i]] for i in sel.tolist()]) if len(sel) else targets[:0]
    lp = logprobs[sel].transpose(0, 1)  # [2T, B', V]
    loss = F.ctc_loss(lp, flat, in_lens[sel], lengths[sel], blank=0, reduction="none", zero_infinity=True)
    return (loss / lengths[sel].clamp_min(1).to(loss.dtype)).mean()


class AamSoftmax(nn.Module):
    """Additive angular margin softmax (ArcFace): s * cos(theta + m) for the target class."""

    def __init__(self, dim, n_classes, scale=30.0, margin=0.2):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_classes, dim) * 0.01)
        self.s, self.m = float(scale), float(margin)
        self.cos_m, self.sin_m = math.cos(margin), math.sin(margin)
        self.th = math.cos(math.pi - margin)
        self.mm = math.sin(math.pi - margin) * margin

    def cosine(self, emb):
        return F.linear(F.normalize(emb, dim=-1), F.normalize(self.weight, dim=-1))

    def forward(self, emb, labels):
        cos = self.cosine(emb)
        sin = torch.sqrt((1.0 - cos * cos).clamp(1e-7, 1.0))
        phi = cos * self.cos_m - sin * self.sin_m
        phi = torch.where(cos > self.th, phi, cos - self.mm)
        onehot = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
        logits = self.s * (onehot * phi + (1 - onehot) * cos)
        return F.cross_entropy(logits, labels), cos


class MtlCriterion(nn.Module):
    """Computes every enabled task's loss on the examples that carry its label, and the combined loss."""

    def __init__(self, cfg, n_speakers):
        super().__init__()
        self.weights = {t: float(cfg["tasks"][t]) for t in TASKS}
        self.enabled = [t for t in TASKS if self.weights[t] > 0]
        self.uncertainty = cfg["loss_weighting"] == "uncertainty"
        self.ramps = {t: (int(r[0]), int(r[1])) for t, r in cfg.get("task_ramps", {}).items()}
        self.crops = {t: (max(1, round(r[0] / ENCODER_FRAME_SECONDS)), max(1, round(r[1] / ENCODER_FRAME_SECONDS)))
                      for t, r in cfg.get("crops", {}).items()}
        if self.uncertainty:
            # s_k = log sigma_k^2, one per enabled task, starting at 0 (weight 1).
            self.log_vars = nn.Parameter(torch.zeros(len(self.enabled)))
        self.aam = None
        if "speaker" in self.enabled and n_speakers > 0:
            sl = cfg["speaker_loss"]
            self.aam = AamSoftmax(cfg["model"]["speaker_dim"], n_speakers, sl["scale"], sl["margin"])

    def task_losses(self, out, batch, training=False):
        losses, extras = {}, {}
        frames = batch["frames"]
        valid = frame_mask(frames, out["vad_logits"].shape[1])
        if "char" in self.enabled:
            l = ctc_loss(out["char_logprobs"], frames, batch["char_targets"], batch["char_lengths"], batch["char_has"])
            if l is not None:
                losses["char"] = l
        if "phone" in self.enabled:
            l = ctc_loss(out["phone_logprobs"], frames, batch["phone_targets"], batch["phone_lengths"],
                         batch["phone_has"])
            if l is not None:
                losses["phone"] = l
        if self.aam is not None:
            has = batch["speaker"] >= 0
            if bool(has.any()):
                pool = valid[has]
                if training and "speaker" in self.crops:
                    pool = random_span(pool, *self.crops["speaker"])
                emb = speaker_embedding(out["speaker_frames"][has], pool)
                losses["speaker"], extras["speaker_cos"] = self.aam(emb, batch["speaker"][has])
        if "emotion" in self.enabled:
            has = batch["emotion"] >= 0
            if bool(has.any()):
                # Pool over speech frames where VAD labels say so, else over all real frames.
                speech = valid & (batch["vad_target"] > 0.5) & batch["vad_has"][:, None]
                use_speech = speech.any(1)
                pool = torch.where(use_speech[:, None], speech, valid)
                logits = masked_mean(out["emotion_logits"], pool)
                loss = F.cross_entropy(logits[has], batch["emotion"][has])
                if training and "emotion" in self.crops:
                    span = random_span(pool[has], *self.crops["emotion"])
                    span_logits = masked_mean(out["emotion_logits"][has], span)
                    loss = 0.5 * (loss + F.cross_entropy(span_logits, batch["emotion"][has]))
                losses["emotion"] = loss
                extras["emotion_logits"] = logits
        if "vad" in self.enabled:
            has = batch["vad_has"]
            if bool(has.any()):
                m = valid & has[:, None]
                bce = F.binary_cross_entropy_with_logits(out["vad_logits"], batch["vad_target"], reduction="none")
                losses["vad"] = (bce * m).sum() / m.sum().clamp_min(1)
        return losses, extras

    def ramp(self, task, step):
        """Multiplier of a task's loss at a training step (1 without a ramp, or when step is None: evaluation)."""
        if step is None or task not in self.ramps:
            return 1.0
        start, length = self.ramps[task]
        if step < start:
            return 0.0
        return min(1.0, (step - start + 1) / max(1, length))

    def combine(self, losses, step=None):
        total = None
        for i, t in enumerate(self.enabled):
            if t not in losses:
                continue
            factor = self.ramp(t, step)
            if factor == 0.0:
                continue
            if self.uncertainty:
                s = self.log_vars[i]
                term = factor * (torch.exp(-s) * losses[t] + s)
            else:
                term = factor * self.weights[t] * losses[t]
            total = term if total is None else total + term
        return total

    def task_scales(self):
        """Current effective weight per task (exp(-s_k) for uncertainty weighting) for logging."""
        if self.uncertainty:
            return {t: float(torch.exp(-self.log_vars[i])) for i, t in enumerate(self.enabled)}
        return {t: self.weights[t] for t in self.enabled}

    def forward(self, out, batch, step=None):
        """step=None: evaluation (no ramps, no random spans)."""
        losses, extras = self.task_losses(out, batch, training=step is not None)
        return self.combine(losses, step), losses, extras
