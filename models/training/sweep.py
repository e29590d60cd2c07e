"""A short, equal-budget sweep: train each config for the same minutes on the same corpora, then score every arm
on each corpus's valid split separately (real telephone speech, Speech Commands, synthetic), with its training
speed. The results go to OUT/sweep.json and a markdown table on stdout.

  /usr/bin/python3 models/training/sweep.py --out runs/sweep --minutes 6 \
      --arm small-v2=models/configs/small-v2.json@models/mtl-small.onnx --arm medium-v2=models/configs/medium-v2.json \
      --corpus corpus/v1 --corpus corpus/real/wuw --corpus corpus/real/speech-commands
(ARM = NAME=CONFIG[@INIT_FROM])
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from mtl.config import load_config  # noqa: E402
from mtl.data import read_manifest  # noqa: E402
from train import Trainer, evaluate  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--arm", action="append", required=True)
    p.add_argument("--corpus", action="append", required=True)
    p.add_argument("--valid-limit", type=int, default=150)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = {}
    for arm in args.arm:
        name, spec = arm.split("=", 1)
        config, _, init = spec.partition("@")
        cfg = load_config(config)
        run = os.path.join(args.out, name)
        trainer = Trainer(cfg, args.corpus, run, seed=args.seed, resume=True, init_from=init or None)
        summary = trainer.train(max_minutes=args.minutes)
        per_corpus = {}
        for c in args.corpus:
            items = read_manifest(c, "valid", trainer.inventory, args.valid_limit)
            if items:
                m = evaluate(trainer.model, trainer.criterion, items, trainer.store, trainer.cfg, trainer.device)
                per_corpus[os.path.basename(os.path.normpath(c))] = {k: m[k] for k in ("cer", "per", "emotion_acc", "speaker_acc", "vad_f1")}
        results[name] = {"config": config, "init_from": init or None, "parameters": summary["parameters"],
                         "steps": summary["step"], "audio_s_per_s": summary["audio_s_per_s"],
                         "audio_hours_seen": summary["audio_hours_seen"], "valid": per_corpus}
        with open(os.path.join(args.out, "sweep.json"), "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    corpora = sorted({c for r in results.values() for c in r["valid"]})
    print("| arm | params | audio s/s | steps | " + " | ".join(f"{c} CER | {c} spk acc" for c in corpora) + " |")
    print("| --- " * (4 + 2 * len(corpora)) + "|")
    for name, r in results.items():
        cells = [f"{fmt(r['valid'].get(c, {}).get('cer'))} | {fmt(r['valid'].get(c, {}).get('speaker_acc'))}" for c in corpora]
        print(f"| {name} | {r['parameters'] / 1e6:.2f} M | {r['audio_s_per_s']:.0f} | {r['steps']} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
