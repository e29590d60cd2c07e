"""Corpus manifests (docs/corpus-format.md) -> padded, length-bucketed training batches."""
import json
import os

import numpy as np
import soundfile as sf
import torch

from .config import corpus_key
from .model import output_frames

SAMPLE_RATE = 16000
FRAME_SHIFT = 0.04


class Utterance:
    """One manifest line with labels mapped to inventory indices (None / -1 = label missing)."""

    __slots__ = ("id", "audio_path", "duration", "text", "chars", "phones", "speaker", "emotion", "vad", "real")

    def __init__(self, line, corpus_dir, inventory):
        self.id = line["id"]
        self.audio_path = os.path.join(corpus_dir, line["audio"])
        self.duration = float(line["duration"])
        # Imported recordings of people (mtlbatch corpus import) are mixed into every batch (train.real_share).
        self.real = line.get("engine") == "real"
        self.text = line.get("text")
        self.chars = None
        if self.text is not None:
            index = inventory["char_index"]
            if all(c in index for c in self.text):
                self.chars = [index[c] for c in self.text]
        self.phones = None
        if line.get("phonemes") is not None:
            index = inventory["phone_index"]
            if all(p in index for p in line["phonemes"]):
                self.phones = [index[p] for p in line["phonemes"]]
        speaker = line.get("speaker")
        speaker = inventory.get("speaker_alias", {}).get(speaker, speaker)
        self.speaker = inventory["speaker_index"].get(speaker, -1)
        self.emotion = inventory["emotion_index"].get(line.get("emotion"), -1)
        vad = line.get("vad")
        self.vad = [(float(s), float(e)) for s, e in vad] if vad is not None else None


def index_inventory(inventory):
    inv = dict(inventory)
    inv["char_index"] = {c: i for i, c in enumerate(inventory["chars"]) if i > 0}
    inv["phone_index"] = {p: i for i, p in enumerate(inventory["phonemes"]) if i > 0}
    inv["emotion_index"] = {e: i for i, e in enumerate(inventory["emotions"])}
    inv["speaker_index"] = {s: i for i, s in enumerate(inventory["speakers"])}
    return inv


def read_manifest(corpus_dir, split, inventory, limit=0):
    path = os.path.join(corpus_dir, f"{split}.jsonl")
    inv = index_inventory(inventory)
    inv["speaker_alias"] = inventory.get("speaker_aliases", {}).get(corpus_key(corpus_dir), {})
    items = []
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                items.append(Utterance(json.loads(line), corpus_dir, inv))
                if limit and len(items) >= limit:
                    break
    return items


class AudioStore:
    """Reads 16 kHz mono wavs with soundfile; optionally keeps them as int16 in memory (2 bytes/sample)."""

    def __init__(self, cache=True):
        self.cache = cache
        self._mem = {}

    def load(self, path):
        data = self._mem.get(path)
        if data is None:
            data, sr = sf.read(path, dtype="int16", always_2d=True)
            if sr != SAMPLE_RATE:
                raise ValueError(f"{path}: sample rate {sr}, expected {SAMPLE_RATE}")
            data = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1).astype(np.int16)
            if self.cache:
                self._mem[path] = data
        return data.astype(np.float32) / 32768.0


def make_batches(items, batch_size, max_batch_seconds, rng=None):
    """Buckets by duration (sorted, with jitter when shuffling) so batches pad little; returns index lists."""
    durations = np.array([u.duration for u in items])
    if rng is not None:
        order = np.argsort(durations * rng.uniform(0.9, 1.1, len(items)), kind="stable")
    else:
        order = np.argsort(durations, kind="stable")
    batches, current, longest = [], [], 0.0
    for idx in order:
        d = durations[idx]
        if current and (len(current) >= batch_size or max(longest, d) * (len(current) + 1) > max_batch_seconds):
            batches.append(current)
            current, longest = [], 0.0
        current.append(int(idx))
        longest = max(longest, d)
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def make_mixed_batches(items, batch_size, max_batch_seconds, rng, real_share):
    """Every training batch carries real speech: real_share of its utterances (and seconds) come from the real pool,
    the rest from the synthetic pool. The epoch is as long as the longer pool's batch list; the shorter pool is
    cycled (reshuffled each cycle), i.e. oversampled. Without a share, an rng or both pools: make_batches."""
    real = [i for i, u in enumerate(items) if u.real]
    synth = [i for i, u in enumerate(items) if not u.real]
    if rng is None or real_share <= 0 or not real or not synth:
        return make_batches(items, batch_size, max_batch_seconds, rng)
    n_real = min(batch_size - 1, max(1, int(round(batch_size * real_share))))

    def pool_batches(pool, size, seconds):
        sub = [items[i] for i in pool]
        return [[pool[j] for j in b] for b in make_batches(sub, size, seconds, rng)]

    def cycled(pool, size, seconds, n):
        out = []
        while len(out) < n:
            out.extend(pool_batches(pool, size, seconds))
        return out[:n]

    r = pool_batches(real, n_real, max_batch_seconds * real_share)
    s = pool_batches(synth, batch_size - n_real, max_batch_seconds * (1.0 - real_share))
    n = max(len(r), len(s))
    r = r if len(r) == n else cycled(real, n_real, max_batch_seconds * real_share, n)
    s = s if len(s) == n else cycled(synth, batch_size - n_real, max_batch_seconds * (1.0 - real_share), n)
    return [a + b for a, b in zip(r, s)]


def vad_frame_targets(intervals, n_frames):
    """Frame j is speech iff its centre j*0.04 s lies in an interval."""
    centres = np.arange(n_frames) * FRAME_SHIFT
    target = np.zeros(n_frames, dtype=np.float32)
    for s, e in intervals:
        target[(centres >= s) & (centres <= e)] = 1.0
    return target


def collate(items, store, rng=None, max_seconds=0.0, gain_db=0.0):
    """Loads, (train: crops/gains) and pads a batch. rng=None means evaluation (no augmentation, no crop)."""
    audios, chars, phones, vads = [], [], [], []
    for u in items:
        audio = store.load(u.audio_path)
        c, p, vad = u.chars, u.phones, u.vad
        max_n = int(max_seconds * SAMPLE_RATE)
        if rng is not None and max_n > 0 and len(audio) > max_n:
            # Keep the labels consistent: a crop loses its transcript; VAD intervals shift with it.
            start = int(rng.integers(0, len(audio) - max_n + 1))
            audio = audio[start:start + max_n]
            c, p = None, None
            if vad is not None:
                t0 = start / SAMPLE_RATE
                t1 = t0 + max_n / SAMPLE_RATE
                vad = [(max(s, t0) - t0, min(e, t1) - t0) for s, e in vad if e > t0 and s < t1]
        if rng is not None and gain_db > 0:
            audio = audio * float(10 ** (rng.uniform(-gain_db, gain_db) / 20))
        audios.append(audio)
        chars.append(c)
        phones.append(p)
        vads.append(vad)

    b = len(items)
    lengths = np.array([len(a) for a in audios], dtype=np.int64)
    n_max = int(lengths.max())
    audio = np.zeros((b, n_max), dtype=np.float32)
    for i, a in enumerate(audios):
        audio[i, :len(a)] = a
    t_max = int(output_frames(n_max))
    t_valid = output_frames(lengths)
    vad_target = np.zeros((b, t_max), dtype=np.float32)
    vad_has = np.zeros(b, dtype=bool)
    for i, v in enumerate(vads):
        if v is not None:
            vad_target[i, :t_valid[i]] = vad_frame_targets(v, int(t_valid[i]))
            vad_has[i] = True

    def ctc_targets(seqs):
        has = np.array([s is not None for s in seqs], dtype=bool)
        lens = np.array([len(s) if s is not None else 0 for s in seqs], dtype=np.int64)
        flat = np.array([x for s in seqs if s is not None for x in s], dtype=np.int64)
        return torch.from_numpy(flat), torch.from_numpy(lens), torch.from_numpy(has)

    char_flat, char_lens, char_has = ctc_targets(chars)
    phone_flat, phone_lens, phone_has = ctc_targets(phones)
    return {
        "ids": [u.id for u in items],
        "audio": torch.from_numpy(audio),
        "lengths": torch.from_numpy(lengths),
        "frames": torch.from_numpy(np.asarray(t_valid, dtype=np.int64)),
        "char_targets": char_flat, "char_lengths": char_lens, "char_has": char_has,
        "phone_targets": phone_flat, "phone_lengths": phone_lens, "phone_has": phone_has,
        "speaker": torch.tensor([u.speaker for u in items], dtype=torch.long),
        "emotion": torch.tensor([u.emotion for u in items], dtype=torch.long),
        "vad_target": torch.from_numpy(vad_target), "vad_has": torch.from_numpy(vad_has),
        "texts": [u.text for u in items],
        "seconds": float(lengths.sum()) / SAMPLE_RATE,
    }


def batch_to(batch, device):
    return {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}


def audio_seconds(items):
    return sum(u.duration for u in items)


def steps_per_epoch(items, batch_size, max_batch_seconds):
    return len(make_batches(items, batch_size, max_batch_seconds, None)) if items else 0

