"""Adds the overlapped-speech head to a trained model: the encoder and every other head stay frozen (their outputs are
unchanged to the bit), only `overlap_head` learns, on mixtures built from real single-speaker recordings.

  /usr/bin/python3 models/training/train_overlap.py --init-from models/checkpoints/mtl-small-v2.pt \
      --corpus corpus/real/wuw --corpus corpus/real/librispeech --corpus corpus/real/speech-commands \
      --out models/training/runs/overlap --max-minutes 40 [--resume]

Why mixtures: the only real meetings with overlap labels we may use are ten one-minute AMI excerpts, two held out for
the test and six for development, so the head learns from simulated turn-taking instead: utterances of 2-3 real
speakers of the corpora's *train* splits placed one after another with random gaps, half of them negative (the next
speaker starts before the last one stopped), plus short interjections inside a turn; levels, a room reverb and a noise
floor vary. Frame targets come from each utterance's voice-activity intervals: overlap = two or more speakers active.
Validation mixtures are built the same way from the *valid* splits with a fixed seed.

Writes RUNDIR/last.pt (head + optimizer + generator state, every --checkpoint-minutes; --resume continues exactly)
and RUNDIR/overlap.pt: the source checkpoint with the head added (config.model.overlap_head set), which export.py
turns into an ONNX model with the extra `overlap_logits` output.
"""
import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see export.py

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mtl.checkpoint import build_model, load_checkpoint, save_checkpoint  # noqa: E402
from mtl.data import SAMPLE_RATE, FRAME_SHIFT, AudioStore, read_manifest  # noqa: E402
from mtl.model import OVERLAP_OUTPUT, output_frames  # noqa: E402


@dataclass
class OverlapConfig:
    channels: int = 64            # overlap head width
    seconds: float = 6.0          # mixture length
    batch_size: int = 16
    lr: float = 2e-3
    overlap_share: float = 0.5    # chance that the next turn starts before the previous one ends
    max_overlap: float = 1.5      # seconds the next turn may start early
    max_gap: float = 1.0          # seconds of silence between turns otherwise
    interjection: float = 0.3     # chance of a short interjection inside a mixture
    single: float = 0.1           # share of one-speaker mixtures (no overlap at all)
    level_db: float = 6.0         # +- level per utterance around -23 dBFS
    reverb: float = 0.5           # share with a synthetic room response
    valid_mixtures: int = 96
    real_share: float = 0.0       # share of examples cut from real annotated meetings (--meetings), labels from their turns


def speaker_pools(items):
    """speaker -> utterances that have a speaker and voice-activity intervals (the targets need both)."""
    pools = {}
    for u in items:
        if u.vad and u.duration >= 0.5:
            key = u.speaker if u.speaker >= 0 else u.id.rsplit("-", 1)[0]
            pools.setdefault(key, []).append(u)
    return {k: v for k, v in pools.items() if v}


def read_meetings(folders):
    """Real recordings with speaker turns (conversations.jsonl, e.g. from `mtlbatch corpus import rttm`)."""
    meetings = []
    for folder in folders:
        with open(os.path.join(folder, "conversations.jsonl"), "r", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    c = json.loads(line)
                    meetings.append((os.path.join(folder, c["audio"]), [(s["speaker"], s["start"], s["end"]) for s in c["segments"]]))
    return meetings


class MixtureMaker:
    def __init__(self, pools, store, cfg, meetings=()):
        self.pools, self.store, self.cfg = pools, store, cfg
        self.speakers = list(pools)
        self.meetings = list(meetings)

    def meeting_crop(self, rng):
        """A random crop of a real annotated meeting; overlap = two or more annotated speakers at a frame centre."""
        path, segments = self.meetings[int(rng.integers(len(self.meetings)))]
        audio = self.store.load(path)
        n = int(self.cfg.seconds * SAMPLE_RATE)
        if len(audio) < n:
            audio = np.pad(audio, (0, n - len(audio)))
        a = int(rng.integers(0, len(audio) - n + 1))
        t0 = a / SAMPLE_RATE
        centres = t0 + np.arange(int(output_frames(n))) * FRAME_SHIFT
        active = {}
        for speaker, s, e in segments:
            track = active.setdefault(speaker, np.zeros(len(centres), dtype=bool))
            track |= (centres >= s) & (centres < e)
        count = sum(track.astype(np.int32) for track in active.values())
        return audio[a:a + n].copy(), (count >= 2).astype(np.float32)

    def _clip(self, rng, speaker, max_seconds=None):
        u = self.pools[speaker][int(rng.integers(len(self.pools[speaker])))]
        audio = self.store.load(u.audio_path)
        vad = list(u.vad)
        if max_seconds is not None and len(audio) > max_seconds * SAMPLE_RATE:
            # A crop that starts at a speech onset, so an interjection is speech, not silence.
            s0 = vad[int(rng.integers(len(vad)))][0]
            a, b = int(s0 * SAMPLE_RATE), int((s0 + max_seconds) * SAMPLE_RATE)
            audio = audio[a:b]
            vad = [(max(s, s0) - s0, min(e, s0 + max_seconds) - s0) for s, e in vad if e > s0 and s < s0 + max_seconds]
        rms = float(np.sqrt(np.mean(audio ** 2))) + 1e-6
        gain = 10 ** ((-23 + rng.uniform(-self.cfg.level_db, self.cfg.level_db)) / 20) / rms
        return audio * gain, vad

    def make(self, rng):
        c = self.cfg
        if self.meetings and rng.random() < c.real_share:
            return self.meeting_crop(rng)
        n = int(c.seconds * SAMPLE_RATE)
        t_frames = int(output_frames(n))
        centres = np.arange(t_frames) * FRAME_SHIFT
        mix = np.zeros(n, dtype=np.float32)
        active = {}  # speaker -> bool[t_frames]

        def place(speaker, audio, vad, start):
            a = int(start * SAMPLE_RATE)
            if a >= n:
                return
            piece = audio[:n - a]
            mix[a:a + len(piece)] += piece
            track = active.setdefault(speaker, np.zeros(t_frames, dtype=bool))
            for s, e in vad:
                track |= (centres >= start + s) & (centres <= start + e)

        k = 1 if rng.random() < c.single or len(self.speakers) < 2 else min(len(self.speakers), int(rng.integers(2, 4)))
        chosen = [self.speakers[i] for i in rng.choice(len(self.speakers), k, replace=False)]
        t, previous = rng.uniform(0, 0.5), None
        while t < c.seconds:
            options = [s for s in chosen if s != previous] or chosen
            speaker = options[int(rng.integers(len(options)))]
            audio, vad = self._clip(rng, speaker)
            place(speaker, audio, vad, t)
            speech_end = t + (vad[-1][1] if vad else len(audio) / SAMPLE_RATE)
            if k > 1 and rng.random() < c.overlap_share:
                gap = -rng.uniform(0.1, c.max_overlap)
            else:
                gap = rng.uniform(0.0, c.max_gap)
            t, previous = max(t + 0.3, speech_end + gap), speaker
        if k > 1 and rng.random() < c.interjection:
            speaker = chosen[int(rng.integers(len(chosen)))]
            audio, vad = self._clip(rng, speaker, max_seconds=rng.uniform(0.4, 1.2))
            place(speaker, audio, vad, rng.uniform(0, c.seconds - 0.5))
        if rng.random() < c.reverb:
            rt60 = rng.uniform(0.15, 0.6)
            length = int(0.4 * SAMPLE_RATE)
            ir = rng.standard_normal(length).astype(np.float32) * np.exp(
                -6.9 * np.arange(length) / (rt60 * SAMPLE_RATE)).astype(np.float32)
            ir[0] = 1.0
            ir /= np.sqrt(np.sum(ir ** 2))
            size = 1 << int(np.ceil(np.log2(n + length)))
            mix = np.fft.irfft(np.fft.rfft(mix, size) * np.fft.rfft(ir, size), size)[:n].astype(np.float32)
        mix += rng.standard_normal(n).astype(np.float32) * 10 ** (rng.uniform(-75, -50) / 20)
        peak = float(np.abs(mix).max())
        if peak > 0.99:
            mix *= 0.99 / peak
        count = sum(track.astype(np.int32) for track in active.values())
        self.last_tracks = active  # per speaker, voiced frames of the mixture just made (dev conversations use them)
        return mix, (count >= 2).astype(np.float32)

    def batch(self, rng, size):
        pairs = [self.make(rng) for _ in range(size)]
        return torch.from_numpy(np.stack([p[0] for p in pairs])), torch.from_numpy(np.stack([p[1] for p in pairs]))


def write_meetings(out, maker, count, seed):
    """Simulated meetings for the C# pipeline's DER (`mtlbatch eval --set OUT`): maker's mixtures with the speakers' voiced
    frames as reference turns, in the conversations.jsonl layout of docs/corpus-format.md."""
    import soundfile as sf
    os.makedirs(os.path.join(out, "conversations"), exist_ok=True)
    rng = np.random.default_rng([seed, 7])
    shares = []
    with open(os.path.join(out, "conversations.jsonl"), "w", encoding="utf-8") as f:
        for i in range(count):
            mix, overlap = maker.make(rng)
            shares.append(float(overlap.mean()))
            segments = []
            for speaker, track in maker.last_tracks.items():
                edges = np.flatnonzero(np.diff(np.concatenate([[0], track.astype(np.int8), [0]])))
                segments += [{"speaker": f"mix-{speaker}", "start": round(a * FRAME_SHIFT, 3), "end": round(min(b * FRAME_SHIFT, maker.cfg.seconds), 3),
                              "text": "", "emotion": ""} for a, b in zip(edges[::2], edges[1::2])]
            segments.sort(key=lambda s: s["start"])
            name = f"mix{i:02d}"
            sf.write(os.path.join(out, "conversations", name + ".wav"), mix, SAMPLE_RATE, subtype="PCM_16")
            f.write(json.dumps({"id": name, "audio": f"conversations/{name}.wav", "duration": maker.cfg.seconds,
                                "segments": segments}) + "\n")
    for split in ("train", "valid", "test"):
        open(os.path.join(out, f"{split}.jsonl"), "w").close()
    return float(np.mean(shares))


def frame_scores(logits, target):
    """Average precision and the best frame F1 (with its threshold on the probability) of overlap detection."""
    p = torch.sigmoid(logits).flatten().numpy()
    y = target.flatten().numpy() > 0.5
    order = np.argsort(-p)
    tp = np.cumsum(y[order])
    fp = np.cumsum(~y[order])
    positives = max(1, int(y.sum()))
    precision, recall = tp / np.maximum(1, tp + fp), tp / positives
    ap = float(np.sum(precision * y[order]) / positives)
    f1 = 2 * precision * recall / np.maximum(1e-9, precision + recall)
    best = int(np.argmax(f1))
    return {"ap": ap, "f1": float(f1[best]), "threshold": float(p[order][best]), "precision": float(precision[best]),
            "recall": float(recall[best]), "positive_share": float(y.mean())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--init-from", required=True, help="weights-only checkpoint (train.py's best.pt or models/checkpoints)")
    p.add_argument("--corpus", required=True, action="append")
    p.add_argument("--meetings", action="append", default=[],
                   help="folder with conversations.jsonl of real annotated meetings to cut real_share of the examples from")
    p.add_argument("--out", required=True)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--max-minutes", type=float, default=30.0)
    p.add_argument("--max-steps", type=int)
    p.add_argument("--checkpoint-minutes", type=float, default=3.0)
    p.add_argument("--valid-every", type=int, default=100)
    p.add_argument("--config", help="JSON with OverlapConfig fields")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--write-dev-meetings", metavar="DIR",
                   help="only write --dev-meetings simulated 30 s meetings of the corpora's *valid* speakers to DIR and exit")
    p.add_argument("--dev-meetings", type=int, default=16)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    cfg = OverlapConfig(**(json.load(open(args.config)) if args.config else {}))

    source = load_checkpoint(args.init_from)
    model_cfg = dict(source["config"])
    model_cfg["model"] = dict(model_cfg["model"], overlap_head=cfg.channels)
    inventory = source["inventory"]
    torch.manual_seed(args.seed)
    model = build_model(model_cfg, inventory)
    missing, unexpected = model.load_state_dict(source["model"], strict=False)
    if unexpected or any(not k.startswith("overlap_head.") for k in missing):
        raise ValueError(f"{args.init_from}: does not match the model (missing {missing}, unexpected {unexpected})")
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith("overlap_head.")
    model.eval()  # frozen encoder: no dropout, no SpecAugment; the head has neither
    head = model.overlap_head
    optimizer = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=0.01)

    store = AudioStore(cache=True)
    if args.write_dev_meetings:
        meeting_cfg = OverlapConfig(**dict(asdict(cfg), seconds=30.0, single=0.0, overlap_share=0.5))
        pools = speaker_pools([u for c in args.corpus for u in read_manifest(c, "valid", inventory)])
        share = write_meetings(args.write_dev_meetings, MixtureMaker(pools, store, meeting_cfg), args.dev_meetings, args.seed)
        with open(os.path.join(args.write_dev_meetings, "inventory.json"), "w", encoding="utf-8") as f:
            json.dump({"sampleRate": SAMPLE_RATE, "chars": inventory["chars"], "phonemes": inventory["phonemes"],
                       "emotions": inventory["emotions"], "trainSpeakers": [], "testSpeakers": []}, f)
        print(f"wrote {args.dev_meetings} meetings to {args.write_dev_meetings} (overlap {share:.1%} of the frames)")
        return 0
    train = speaker_pools([u for c in args.corpus for u in read_manifest(c, "train", inventory)])
    valid = speaker_pools([u for c in args.corpus for u in read_manifest(c, "valid", inventory)])
    print(f"speakers: train {len(train)} ({sum(len(v) for v in train.values())} utterances), valid {len(valid)}",
          flush=True)
    maker, valid_maker = MixtureMaker(train, store, cfg, read_meetings(args.meetings)), MixtureMaker(valid, store, cfg)
    vrng = np.random.default_rng([args.seed, 99])
    valid_batches = [valid_maker.batch(vrng, cfg.batch_size) for _ in range(max(1, cfg.valid_mixtures // cfg.batch_size))]

    state = {"step": 0, "audio_seconds": 0.0, "train_seconds": 0.0, "best_ap": None, "history": []}
    rng = np.random.default_rng([args.seed, 1])
    last = os.path.join(args.out, "last.pt")
    if args.resume and os.path.exists(last):
        ckpt = torch.load(last, map_location="cpu")
        head.load_state_dict(ckpt["head"])
        optimizer.load_state_dict(ckpt["optimizer"])
        state = ckpt["state"]
        rng.bit_generator.state = ckpt["rng"]
        torch.set_rng_state(ckpt["torch_rng"])
        print(f"resumed at step {state['step']}", flush=True)

    def features(audio):
        with torch.no_grad():
            x, _, _ = model.encode(audio)
        return x

    def validate():
        head.eval()
        with torch.no_grad():
            logits = torch.cat([head(features(a)) for a, _ in valid_batches])
        targets = torch.cat([t for _, t in valid_batches])
        return frame_scores(logits, targets)

    def save_all(final=False):
        save_checkpoint(last, {"head": head.state_dict(), "optimizer": optimizer.state_dict(), "state": state,
                               "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                               "config": asdict(cfg)})
        weights = dict(source)
        weights["config"] = model_cfg
        weights["model"] = model.state_dict()
        weights["overlap"] = {"config": asdict(cfg), "state": state, "corpora": args.corpus, "meetings": args.meetings}
        save_checkpoint(os.path.join(args.out, "overlap.pt"), weights)
        if final:
            print(f"wrote {os.path.join(args.out, 'overlap.pt')}", flush=True)

    start, saved = time.time(), time.time()
    steps_here = 0
    while True:
        if args.max_minutes and time.time() - start >= args.max_minutes * 60:
            break
        if args.max_steps is not None and steps_here >= args.max_steps:
            break
        t0 = time.time()
        audio, target = maker.batch(rng, cfg.batch_size)
        x = features(audio)
        head.train()
        logits = head(x)
        loss = F.binary_cross_entropy_with_logits(logits, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state["step"] += 1
        steps_here += 1
        state["audio_seconds"] += cfg.seconds * cfg.batch_size
        state["train_seconds"] += time.time() - t0
        if state["step"] % 20 == 0:
            print(f"step {state['step']} loss {loss.item():.4f} overlap share {target.mean().item():.3f} "
                  f"{state['audio_seconds'] / max(1e-9, state['train_seconds']):.1f} audio-s/s", flush=True)
        if state["step"] % args.valid_every == 0:
            scores = validate()
            scores["step"] = state["step"]
            state["history"].append(scores)
            print("valid " + json.dumps(scores), flush=True)
        if time.time() - saved >= args.checkpoint_minutes * 60:
            save_all()
            saved = time.time()
    scores = validate()
    scores["step"] = state["step"]
    state["history"].append(scores)
    print("valid (final) " + json.dumps(scores), flush=True)
    save_all(final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
