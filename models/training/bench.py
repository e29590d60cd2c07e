"""Training-throughput benchmark on random audio (no corpus needed): audio seconds per wall second.

  /usr/bin/python3 models/training/bench.py --config models/configs/small.json [--batch 16] [--seconds 4] [--steps 6]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Before torch loads OpenMP: idle OpenMP threads sleep instead of spinning. On a shared 2-core machine the
# default busy-wait made 2-thread training 5x slower (measured 14.9 vs 73.1 audio s/s for the same step).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from mtl.checkpoint import build_model  # noqa: E402
from mtl.config import load_config  # noqa: E402
from mtl.losses import MtlCriterion  # noqa: E402
from mtl.model import count_parameters, output_frames  # noqa: E402


def fake_batch(b, n, inventory, g):
    t = int(output_frames(n))
    n_chars = max(1, int(n / 16000 * 12))  # ~12 chars/s
    n_phones = max(1, int(n / 16000 * 10))
    return {
        "audio": torch.randn(b, n, generator=g) * 0.1,
        "lengths": torch.full((b,), n, dtype=torch.long),
        "frames": torch.full((b,), t, dtype=torch.long),
        "char_targets": torch.randint(1, len(inventory["chars"]), (b * n_chars,), generator=g),
        "char_lengths": torch.full((b,), n_chars, dtype=torch.long), "char_has": torch.ones(b, dtype=torch.bool),
        "phone_targets": torch.randint(1, len(inventory["phonemes"]), (b * n_phones,), generator=g),
        "phone_lengths": torch.full((b,), n_phones, dtype=torch.long), "phone_has": torch.ones(b, dtype=torch.bool),
        "speaker": torch.randint(0, len(inventory["speakers"]), (b,), generator=g),
        "emotion": torch.randint(0, len(inventory["emotions"]), (b,), generator=g),
        "vad_target": (torch.rand(b, t, generator=g) > 0.3).float(), "vad_has": torch.ones(b, dtype=torch.bool),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    inventory = {"chars": ["<blank>"] + list(" 'abcdefghijklmnopqrstuvwxyz"), "phonemes": ["<blank>"] + [f"p{i}" for i in range(50)],
                 "emotions": ["neutral", "happy", "sad", "angry"], "speakers": [f"s{i}" for i in range(60)]}
    torch.manual_seed(0)
    model = build_model(cfg, inventory).train()
    crit = MtlCriterion(cfg, len(inventory["speakers"]))
    opt = torch.optim.AdamW(list(model.parameters()) + list(crit.parameters()), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    batch = fake_batch(args.batch, int(args.seconds * 16000), inventory, g)
    times, cpu = [], []
    for step in range(args.steps + 1):
        t0, c0 = time.time(), time.process_time()
        total, _, _ = crit(model(batch["audio"], batch["lengths"]), batch)
        opt.zero_grad()
        total.backward()
        opt.step()
        if step > 0:  # the first step warms up allocators
            times.append(time.time() - t0)
            cpu.append(time.process_time() - c0)
    per_step = sum(times) / len(times)
    cpu_per_step = sum(cpu) / len(cpu)
    audio = args.batch * args.seconds
    print(f"{cfg['name']}: {count_parameters(model) / 1e6:.2f} M params, batch {args.batch} x {args.seconds:g} s, "
          f"{args.threads} threads: {per_step:.2f} s/step, {audio / per_step:.1f} audio s/s "
          f"(process CPU {cpu_per_step:.2f} s/step)")


if __name__ == "__main__":
    sys.exit(main())
