"""A tiny synthetic corpus in the real manifest format (docs/corpus-format.md), for the trainer tests.

Each character is a short harmonic tone whose pitch depends on the letter and the speaker's base frequency;
spaces are short pauses; "emotions" change loudness, rate, pitch and timbre; leading/trailing low noise is
non-speech (the vad intervals). Phonemes are the letters with a few merged, so PER != CER.
"""
import json
import os

import numpy as np
import soundfile as sf

SR = 16000
CHARS = ["<blank>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
WORDS = ["hi", "go", "cat", "dog", "sun", "red", "big", "yes", "no", "up", "it's", "map"]
PHONE_OF = {"c": "k", "y": "j", "'": None}
SPEAKERS = {"spk000": (140.0, [1.0, 0.5, 0.25]), "spk001": (210.0, [1.0, 0.2, 0.6]),
            "spk002": (290.0, [1.0, 0.7, 0.1])}
EMOTIONS = ["neutral", "happy", "sad", "angry"]
# amplitude, duration factor, pitch factor, odd-harmonic boost
STYLE = {"neutral": (0.25, 1.0, 1.0, 0.0), "happy": (0.35, 0.8, 1.2, 0.0), "sad": (0.12, 1.3, 0.85, 0.0),
         "angry": (0.5, 0.9, 1.05, 0.8)}


def phonemes_of(text):
    out = []
    for c in text:
        if c == " ":
            continue
        p = PHONE_OF.get(c, c)
        if p is not None:
            out.append(p)
    return out


def phone_inventory():
    phones = sorted({phonemes_of(w)[i] for w in WORDS for i in range(len(phonemes_of(w)))})
    return ["<blank>"] + phones


def render(text, speaker, emotion, rng):
    base, harmonics = SPEAKERS[speaker]
    amp, rate, pitch, odd = STYLE[emotion]
    pieces = []
    for c in text:
        dur = 0.06 * rate * rng.uniform(0.9, 1.1)
        n = int(dur * SR)
        t = np.arange(n) / SR
        if c == " ":
            pieces.append(np.zeros(n))
            continue
        if c == "'":
            pieces.append(rng.standard_normal(n) * 0.3 * amp * np.hanning(n))
            continue
        f0 = base * pitch * (1.0 + 0.09 * (ord(c) - ord("a")))
        wave = sum(h * np.sin(2 * np.pi * f0 * (k + 1) * t) for k, h in enumerate(harmonics))
        if odd:
            wave = wave + odd * np.sin(2 * np.pi * f0 * 3 * t) + odd * 0.5 * np.sin(2 * np.pi * f0 * 5 * t)
        wave = wave / (1 + odd)
        if emotion == "happy":  # a bright high partial
            wave = wave + 0.6 * np.sin(2 * np.pi * 2500.0 * t)
        if emotion == "angry":  # rasp
            wave = wave + 0.5 * rng.standard_normal(n)
        pieces.append(amp * wave * np.hanning(n))
    speech = np.concatenate(pieces)
    lead, trail = rng.uniform(0.1, 0.3), rng.uniform(0.1, 0.3)
    audio = np.concatenate([np.zeros(int(lead * SR)), speech, np.zeros(int(trail * SR))])
    audio = audio + rng.standard_normal(len(audio)) * 0.002
    return audio.astype(np.float32), [[round(lead, 3), round(lead + len(speech) / SR, 3)]]


def write_corpus(out_dir, n_train=24, n_valid=8, n_test=4, seed=0, missing_labels=True):
    """Writes inventory.json, train/valid/test.jsonl and audio/*.wav; returns out_dir."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(out_dir, "audio"), exist_ok=True)
    speakers = list(SPEAKERS)
    inventory = {"sampleRate": SR, "chars": CHARS, "phonemes": phone_inventory(), "emotions": EMOTIONS,
                 "trainSpeakers": speakers, "testSpeakers": []}
    with open(os.path.join(out_dir, "inventory.json"), "w", encoding="utf-8") as f:
        json.dump(inventory, f)
    k = 0
    for split, n in (("train", n_train), ("valid", n_valid), ("test", n_test)):
        with open(os.path.join(out_dir, f"{split}.jsonl"), "w", encoding="utf-8") as f:
            for i in range(n):
                uid = f"u{k:05d}"
                k += 1
                text = " ".join(rng.choice(WORDS, size=int(rng.integers(2, 4))))
                speaker = speakers[i % len(speakers)]
                emotion = EMOTIONS[(i // len(speakers)) % len(EMOTIONS)]
                audio, vad = render(text, speaker, emotion, rng)
                sf.write(os.path.join(out_dir, "audio", f"{uid}.wav"), audio, SR, subtype="PCM_16")
                line = {"id": uid, "audio": f"audio/{uid}.wav", "duration": round(len(audio) / SR, 3),
                        "text": text, "phonemes": phonemes_of(text), "speaker": speaker, "emotion": emotion,
                        "vad": vad, "split": split, "engine": "synthetic-tones", "augment": []}
                # Real data lacks some labels: the last train line has no emotion, the one before no text.
                if missing_labels and split == "train" and i == n - 1:
                    del line["emotion"]
                if missing_labels and split == "train" and i == n - 2:
                    del line["text"]
                    del line["phonemes"]
                f.write(json.dumps(line) + "\n")
    return out_dir
