"""Checkpoint averaging: the element-wise mean of the weights of several checkpoints of one run.

  /usr/bin/python3 models/training/average.py --out RUNDIR/avg.pt RUNDIR/snapshots/step-*.pt [RUNDIR/best.pt]

Averaging the last checkpoints of a run (as icefall's `--avg` does) smooths the noise of the final optimizer steps
and usually scores a little better than any single one of them; decide on the development splits (`mtlbatch eval
--manifest valid.jsonl`), as for any candidate. The checkpoints must come from the same architecture and label
inventory (checked). Floating-point tensors are averaged; integer buffers are taken from the last checkpoint given.
The result is a weights-only checkpoint (config, inventory, model) that export.py and `train.py --init-from` read.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mtl.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402


def average_checkpoints(paths):
    """The averaged checkpoint (dict) of the checkpoints at paths; raises ValueError when they do not match."""
    if not paths:
        raise ValueError("no checkpoints to average")
    first = load_checkpoint(paths[0])
    sums = {k: v.detach().double().clone() if v.is_floating_point() else v.clone() for k, v in first["model"].items()}
    last, steps = first, [first.get("state", {}).get("step")]
    for path in paths[1:]:
        ckpt = load_checkpoint(path)
        if ckpt["inventory"] != first["inventory"]:
            raise ValueError(f"{path}: another label inventory than {paths[0]}")
        if ckpt["config"].get("model") != first["config"].get("model"):
            raise ValueError(f"{path}: another architecture than {paths[0]}")
        model = ckpt["model"]
        if set(model) != set(sums):
            raise ValueError(f"{path}: other tensors than {paths[0]}")
        for k, v in model.items():
            if v.shape != sums[k].shape:
                raise ValueError(f"{path}: {k} has shape {tuple(v.shape)}, {paths[0]} {tuple(sums[k].shape)}")
            if v.is_floating_point():
                sums[k] += v.double()
            else:
                sums[k] = v.clone()
        last = ckpt
        steps.append(ckpt.get("state", {}).get("step"))
    n = len(paths)
    averaged = {k: (v / n).to(first["model"][k].dtype) if v.is_floating_point() else v for k, v in sums.items()}
    state = dict(last.get("state", {}))
    state["averaged_from"] = [os.path.basename(p) for p in paths]
    state["averaged_steps"] = steps
    return {"config": last["config"], "inventory": first["inventory"], "seed": last.get("seed", 0),
            "model": averaged, "state": state}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", help="checkpoints of one run (snapshots/step-N.pt, last.pt, best.pt)")
    p.add_argument("--out", required=True, help="the averaged weights-only checkpoint")
    args = p.parse_args(argv)
    try:
        averaged = average_checkpoints(args.checkpoints)
    except ValueError as e:
        print(f"average.py: {e}", file=sys.stderr)
        return 2
    save_checkpoint(args.out, averaged)
    print(f"averaged {len(args.checkpoints)} checkpoints (steps {averaged['state']['averaged_steps']}) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
