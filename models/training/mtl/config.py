"""Training configuration (models/configs/*.json) with defaults, and the label inventory."""
import copy
import json
import os

from .model import TASKS, model_config

TRAIN_DEFAULTS = {
    "batch_size": 16,            # utterances per batch at most
    "max_batch_seconds": 64.0,   # audio seconds per batch at most (buckets of long utterances get fewer)
    "max_seconds": 8.0,          # longer utterances are randomly cropped (and lose their CTC labels)
    "lr": 1e-3,
    "weight_decay": 0.01,
    "betas": [0.9, 0.98],
    "warmup_steps": 500,
    "schedule": "cosine",        # cosine | linear | constant (after warmup)
    "min_lr_ratio": 0.05,
    "epochs": 30,
    "grad_clip": 5.0,
    "patience": 6,               # epochs without validation improvement before early stopping
    "checkpoint_minutes": 10.0,  # mid-epoch checkpoint interval
    "keep_snapshots": 0,         # >0: with every last.pt also a weights-only snapshots/step-N.pt, the newest N kept (average.py)
    "gain_db": 6.0,              # random gain +- this many dB
    "log_every": 20,
    "stats_batches": 8,          # batches used to estimate the log-mel normalisation at init
    "cache_audio": True,         # keep decoded int16 audio in memory after first read
    "valid_max_utterances": 0,   # 0 = all (per corpus when several are given)
    "real_share": 0.0,           # >0: this share of every batch is real speech (engine "real"), oversampled
    "amp": "off",                # off | bf16: autocast the forward pass (CUDA or CPU); losses stay float32
}

DEFAULTS = {
    "name": "unnamed",
    "model": {},
    # Loss weight per task; 0 switches a task off (its head still exists in the graph but is untrained).
    "tasks": {"char": 1.0, "phone": 0.5, "speaker": 0.5, "emotion": 0.3, "vad": 0.3},
    "loss_weighting": "fixed",   # fixed: sum w_k L_k | uncertainty: sum exp(-s_k) L_k + s_k (Kendall et al. 2018)
    "speaker_loss": {"scale": 30.0, "margin": 0.2},
    # task -> [start_step, ramp_steps]: the task's loss is off before start_step and ramps in linearly (the
    # speaker loss otherwise dominates the shared encoder before character CTC has left its plateau).
    "task_ramps": {},
    # task -> [min_seconds, max_seconds]: in training, that task's utterance-level loss is computed on a random span
    # of this length (speaker: the 1-2 s window diarization embeds; emotion: added to the whole-utterance loss, so
    # short stretches of frames carry the label the 1 s-smoothed emotion timeline reads from them).
    "crops": {},
    "train": {},
}


def _read_raw(path):
    """A config file; "extends": "other.json" (relative to the file) is loaded first and overridden key by key."""
    with open(path, "r", encoding="utf-8") as f:
        raw = json.load(f)
    base = raw.pop("extends", None)
    if base is None:
        return raw
    merged = _read_raw(os.path.join(os.path.dirname(os.path.abspath(path)), base))
    return _merge(merged, raw)


def _merge(base, override):
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "tasks":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)  # "tasks" is replaced whole: unnamed tasks mean weight 0
    return out


def load_config(path_or_dict):
    raw = path_or_dict if isinstance(path_or_dict, dict) else _read_raw(path_or_dict)
    raw = {k: v for k, v in raw.items() if not k.startswith("_")}  # "_comment" and friends
    cfg = _merge(DEFAULTS, raw)
    cfg["model"] = model_config(cfg["model"])
    cfg["train"] = {**TRAIN_DEFAULTS, **cfg["train"]}
    unknown = set(cfg["tasks"]) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown tasks {sorted(unknown)}; known: {TASKS}")
    cfg["tasks"] = {t: float(cfg["tasks"].get(t, 0.0)) for t in TASKS}
    unknown = set(cfg["task_ramps"]) - set(TASKS)
    if unknown:
        raise ValueError(f"task_ramps: unknown tasks {sorted(unknown)}")
    for task, span in cfg["crops"].items():
        if task not in ("speaker", "emotion"):
            raise ValueError(f"crops: only speaker and emotion are pooled over spans, not {task}")
        if len(span) != 2 or not 0 < span[0] <= span[1]:
            raise ValueError(f"crops.{task} must be [min_seconds, max_seconds] with 0 < min <= max")
    if cfg["train"]["amp"] not in ("off", "bf16"):
        raise ValueError("train.amp must be off or bf16")
    if not 0.0 <= cfg["train"]["real_share"] < 1.0:
        raise ValueError("train.real_share must be in [0, 1)")
    if cfg["loss_weighting"] not in ("fixed", "uncertainty"):
        raise ValueError("loss_weighting must be fixed or uncertainty")
    return cfg


def enabled_tasks(cfg):
    return [t for t in TASKS if cfg["tasks"][t] > 0]


def load_inventories(corpus_dirs):
    """One inventory over several corpus folders: the first one's characters, phonemes and emotions (all must
    agree), the union of their training speakers in order."""
    invs = [load_inventory(c) for c in corpus_dirs]
    base = dict(invs[0])
    for c, inv in zip(corpus_dirs[1:], invs[1:]):
        for key in ("chars", "phonemes", "emotions"):
            if inv[key] != base[key]:
                raise ValueError(f"{c}: inventory {key} differs from {corpus_dirs[0]}")
    # Synthetic corpora number their identities spk000, spk001, ... each: the same id in two corpora is one speaker
    # only if both describe the same voice. Otherwise the later corpus's speaker is renamed "<folder>:<id>".
    speakers, voices, aliases = [], {}, {}
    for c, inv in zip(corpus_dirs, invs):
        described = inv.get("speakerVoices") or {}
        folder = corpus_key(c)
        for s in inv["speakers"]:
            name = s
            if s in voices and voices[s] != described.get(s):
                name = f"{folder}:{s}"
                aliases.setdefault(folder, {})[s] = name
            if name not in voices:
                voices[name] = described.get(s)
                speakers.append(name)
    base["speakers"] = speakers
    base.pop("speakerVoices", None)
    if aliases:
        base["speaker_aliases"] = aliases
    return base


def corpus_key(corpus_dir):
    """A corpus folder's name (stable across working directories), which speaker aliases are keyed by."""
    return os.path.basename(os.path.normpath(corpus_dir))


def load_inventory(corpus_dir):
    """inventory.json plus the training speakers (from the inventory or, for real data, from train.jsonl)."""
    with open(os.path.join(corpus_dir, "inventory.json"), "r", encoding="utf-8") as f:
        inv = json.load(f)
    speakers = inv.get("trainSpeakers")
    if not speakers:
        seen = []
        with open(os.path.join(corpus_dir, "train.jsonl"), "r", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    spk = json.loads(line).get("speaker")
                    if spk and spk not in seen:
                        seen.append(spk)
        speakers = seen
    return {
        "sampleRate": int(inv.get("sampleRate", 16000)),
        "chars": list(inv["chars"]),
        "phonemes": list(inv["phonemes"]),
        "emotions": list(inv["emotions"]),
        "speakers": list(speakers),
        "speakerVoices": dict(inv.get("speakerVoices") or {}),  # load_inventories tells same-named voices apart
    }
