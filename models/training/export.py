"""Export a trained checkpoint to ONNX (opset 17) with the ModelContract metadata, plus an optional parity file.

  /usr/bin/python3 models/training/export.py --checkpoint RUNDIR/best.pt --out models/mtl-small.onnx \
      --version 1.0.0 --name mtl-small --card "text" [--parity-out models/mtl-small.parity.json]

An untrained model with the full contract (for building the C# side before a model exists):
  /usr/bin/python3 models/training/export.py --untrained --config models/configs/tiny.json \
      --inventory INVENTORY.json --out models/dev/mtl-untrained.onnx --version 0.0.1 --name mtl-untrained
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Before torch loads OpenMP: idle OpenMP threads sleep instead of spinning. On a shared 2-core machine the
# default busy-wait made 2-thread training 5x slower (measured 14.9 vs 73.1 audio s/s for the same step).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

from mtl.checkpoint import build_model, load_checkpoint  # noqa: E402
from mtl.config import enabled_tasks, load_config  # noqa: E402
from mtl.model import ExportWrapper  # noqa: E402

OPSET = 17
PARITY_TOLERANCE = 1e-3


def dynamic_axes(output_names):
    axes = {"audio": {0: "batch", 1: "samples"}}
    for name in output_names:
        # CTC outputs run at 2T (20 ms), the rest at T (40 ms): different symbolic names, so no runtime
        # assumes they are equal.
        axes[name] = {0: "batch", 1: "ctc_time" if name.endswith("logprobs") else "time"}
    return axes


def metadata(cfg, inventory, name, version, card, extra_tasks=()):
    return {
        "mtl.name": name,
        "mtl.version": version,
        "mtl.sample_rate": "16000",
        "mtl.frame_shift": "0.04",
        "mtl.ctc_frame_shift": "0.02",
        "mtl.chars": json.dumps(inventory["chars"], ensure_ascii=False),
        "mtl.phonemes": json.dumps(inventory["phonemes"], ensure_ascii=False),
        "mtl.emotions": json.dumps(inventory["emotions"], ensure_ascii=False),
        "mtl.speaker_dim": str(cfg["model"]["speaker_dim"]),
        "mtl.tasks": json.dumps(enabled_tasks(cfg) + list(extra_tasks)),
        "mtl.training_card": card,
    }


def export_onnx(model, cfg, inventory, out_path, name, version, card):
    """Exports model (eval mode) to out_path, adds metadata, runs onnx.checker. Returns the onnx ModelProto."""
    model = model.cpu().eval()
    wrapper = ExportWrapper(model).eval()
    example = torch.randn(1, 16000, generator=torch.Generator().manual_seed(0)) * 0.1
    os.makedirs(os.path.dirname(os.path.abspath(out_path)) or ".", exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, (example,), out_path, input_names=["audio"], output_names=model.output_names,
                          dynamic_axes=dynamic_axes(model.output_names), opset_version=OPSET, do_constant_folding=True)
    proto = onnx.load(out_path)
    del proto.metadata_props[:]
    extra = ["overlap"] if model.overlap_head is not None else []
    for key, value in metadata(cfg, inventory, name, version, card, extra).items():
        entry = proto.metadata_props.add()
        entry.key = key
        entry.value = value
    proto.producer_name = "mtlbatch-trainer"
    proto.doc_string = card
    onnx.checker.check_model(proto)
    onnx.save(proto, out_path)
    return proto


def parity_inputs():
    """Two deterministic inputs: 1 x 3.3 s and 2 x 1.7 s of seeded noise * 0.1."""
    rng = np.random.default_rng(1234)
    return [("1x3.3s", (rng.standard_normal((1, 52800)) * 0.1).astype(np.float32)),
            ("2x1.7s", (rng.standard_normal((2, 27200)) * 0.1).astype(np.float32))]


def _floats(arr):
    # 9 significant digits round-trip float32 exactly.
    return [float(f"{v:.9g}") for v in np.asarray(arr, dtype=np.float32).ravel().tolist()]


def write_parity(model, onnx_path, out_path):
    """Runs the PyTorch model in eval mode and writes inputs + all outputs for the C# ONNX Runtime parity test."""
    model = model.cpu().eval()
    wrapper = ExportWrapper(model).eval()
    cases = []
    with torch.no_grad():
        for case_name, audio in parity_inputs():
            outs = wrapper(torch.from_numpy(audio))
            cases.append({
                "name": case_name,
                "input": {"name": "audio", "shape": list(audio.shape), "data": _floats(audio)},
                "outputs": {n: {"shape": list(o.shape), "data": _floats(o.numpy())} for n, o in zip(model.output_names, outs)},
            })
    doc = {"model": os.path.basename(onnx_path), "tolerance": PARITY_TOLERANCE, "outputNames": model.output_names,
           "cases": cases}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", help="RUNDIR/best.pt")
    p.add_argument("--untrained", action="store_true", help="export a freshly initialised model (needs --config, --inventory)")
    p.add_argument("--config")
    p.add_argument("--inventory", help="inventory.json (corpus format) for --untrained")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--name", default="mtl-small")
    p.add_argument("--card", default="")
    p.add_argument("--parity-out")
    p.add_argument("--max-mb", type=float, default=25.0, help="fail if the ONNX file is larger")
    args = p.parse_args(argv)
    torch.set_num_threads(2)

    if args.untrained:
        if not (args.config and args.inventory):
            p.error("--untrained needs --config and --inventory")
        torch.manual_seed(args.seed)
        cfg = load_config(args.config)
        with open(args.inventory, "r", encoding="utf-8") as f:
            inv = json.load(f)
        inventory = {"chars": inv["chars"], "phonemes": inv["phonemes"], "emotions": inv["emotions"],
                     "speakers": inv.get("trainSpeakers", [])}
        model = build_model(cfg, inventory)
    else:
        if not args.checkpoint:
            p.error("--checkpoint is required")
        ckpt = load_checkpoint(args.checkpoint)
        cfg, inventory = ckpt["config"], ckpt["inventory"]
        model = build_model(cfg, inventory)
        model.load_state_dict(ckpt["model"])

    export_onnx(model, cfg, inventory, args.out, args.name, args.version, args.card)
    size_mb = os.path.getsize(args.out) / 1e6
    print(f"exported {args.out} ({size_mb:.1f} MB, opset {OPSET})")
    if args.parity_out:
        write_parity(model, args.out, args.parity_out)
        print(f"parity reference written to {args.parity_out}")
    if size_mb > args.max_mb:
        print(f"ERROR: {args.out} is {size_mb:.1f} MB > {args.max_mb} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
