"""Train the multi-task speech model on a corpus in docs/corpus-format.md layout.

  /usr/bin/python3 models/training/train.py --config models/configs/small.json --corpus corpus [--corpus real/wuw ...] \
      --out runs/small [--resume] [--max-minutes 90] [--epochs 30] [--seed 1] [--device cpu|cuda] [--amp bf16] \
      [--init-from best.pt|model.onnx] [--threads 2]

Several --corpus folders train together (one inventory, the union of their speakers); with train.real_share > 0
every batch mixes imported real speech (engine "real") with synthetic speech.

RUNDIR gets: config.json, inventory.json, log.jsonl (train + valid JSON lines), last.pt (resumable, written every
epoch and every train.checkpoint_minutes), best.pt (best validation score, what export.py reads), summary.json;
with train.keep_snapshots N > 0 also snapshots/step-N.pt (weights only, the newest N) for average.py.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Before torch loads OpenMP: idle OpenMP threads sleep instead of spinning. On a shared 2-core machine the
# default busy-wait made 2-thread training 5x slower (measured 14.9 vs 73.1 audio s/s for the same step).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mtl.checkpoint import build_model, load_checkpoint, save_checkpoint, state_from_onnx  # noqa: E402
from mtl.config import enabled_tasks, load_config, load_inventories  # noqa: E402
from mtl.data import AudioStore, batch_to, collate, make_batches, make_mixed_batches, read_manifest  # noqa: E402
from mtl.frontend import estimate_feature_stats  # noqa: E402
from mtl.losses import MtlCriterion, frame_mask  # noqa: E402
from mtl.metrics import Accuracy, BinaryF1, ErrorRate, greedy_ctc  # noqa: E402
from mtl.model import count_parameters  # noqa: E402


def grow_identity_layers(model, loaded):
    """Encoder layers with no tensor in `loaded` start as the identity: with pre-norm residual blocks, zero attention
    and feed-forward output projections make x -> x, so a deeper model fine-tuned from a shallower one starts from
    the shallower one's function and the new layers learn from there. Returns the indices of those layers."""
    grown = [i for i in range(len(model.layers)) if not any(k.startswith(f"layers.{i}.") for k in loaded)]
    if len(grown) == len(model.layers):
        return []  # nothing of the encoder came from the source: not a growth, keep the random initialisation
    with torch.no_grad():
        for i in grown:
            for linear in (model.layers[i].attn.out, model.layers[i].ff[2]):
                linear.weight.zero_()
                linear.bias.zero_()
    return grown


def lr_at(step, total_steps, t, time_progress=0.0):
    """time_progress (0..1) is the share of a --max-minutes budget already used: with a time budget the schedule
    follows whichever runs out first, steps or minutes, so a budgeted run still ends with a decayed learning rate."""
    base, warm = t["lr"], t["warmup_steps"]
    if step < warm:
        return base * (step + 1) / warm
    if t["schedule"] == "constant":
        return base
    progress = min(1.0, max((step - warm) / max(1, total_steps - warm), time_progress))
    floor = t["min_lr_ratio"]
    if t["schedule"] == "linear":
        return base * (1.0 - (1.0 - floor) * progress)
    return base * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def validation_score(metrics, tasks):
    """Lower is better: sum of per-task error measures over the enabled tasks that were measured."""
    parts = {"char": ("cer", False), "phone": ("per", False), "speaker": ("speaker_acc", True),
             "emotion": ("emotion_acc", True), "vad": ("vad_f1", True)}
    score = 0.0
    for t in tasks:
        key, higher_better = parts[t]
        v = metrics.get(key)
        if v is not None:
            score += (1.0 - v) if higher_better else min(v, 1.0)
    return score


@torch.no_grad()
def evaluate(model, criterion, items, store, cfg, device):
    model.eval()
    criterion.eval()
    t = cfg["train"]
    sums, counts = {}, {}
    cer, per, emo, spk, vad = ErrorRate(), ErrorRate(), Accuracy(), Accuracy(), BinaryF1()
    for idx in make_batches(items, t["batch_size"], t["max_batch_seconds"], None):
        batch = batch_to(collate([items[i] for i in idx], store), device)
        out = model(batch["audio"], batch["lengths"])
        losses, extras = criterion.task_losses(out, batch)
        for k, v in losses.items():
            sums[k] = sums.get(k, 0.0) + float(v)
            counts[k] = counts.get(k, 0) + 1
        frames = batch["frames"].cpu().tolist()
        char_ids = out["char_logprobs"].argmax(-1).cpu().tolist()
        phone_ids = out["phone_logprobs"].argmax(-1).cpu().tolist()
        char_off = phone_off = 0
        char_t, phone_t = batch["char_targets"].cpu().tolist(), batch["phone_targets"].cpu().tolist()
        for i in range(len(idx)):
            n_c, n_p = int(batch["char_lengths"][i]), int(batch["phone_lengths"][i])
            if bool(batch["char_has"][i]):
                cer.add(greedy_ctc(char_ids[i][:2 * frames[i]]), char_t[char_off:char_off + n_c])
            if bool(batch["phone_has"][i]):
                per.add(greedy_ctc(phone_ids[i][:2 * frames[i]]), phone_t[phone_off:phone_off + n_p])
            char_off += n_c
            phone_off += n_p
        if "emotion_logits" in extras:
            pred = extras["emotion_logits"].argmax(-1).cpu().tolist()
            for p, r in zip(pred, batch["emotion"].cpu().tolist()):
                if r >= 0:
                    emo.add(p, r)
        if "speaker_cos" in extras:
            labels = batch["speaker"][batch["speaker"] >= 0].cpu().tolist()
            for p, r in zip(extras["speaker_cos"].argmax(-1).cpu().tolist(), labels):
                spk.add(p, r)
        if "vad" in criterion.enabled:
            valid = frame_mask(batch["frames"], out["vad_logits"].shape[1])
            pred = (out["vad_logits"] > 0).cpu()
            for i in range(len(idx)):
                if bool(batch["vad_has"][i]):
                    m = valid[i].cpu()
                    vad.add(pred[i][m].tolist(), (batch["vad_target"][i].cpu()[m] > 0.5).tolist())
    metrics = {"loss": {k: sums[k] / counts[k] for k in sums}, "cer": cer.value, "per": per.value,
               "emotion_acc": emo.value, "speaker_acc": spk.value, "vad_f1": vad.value}
    metrics["score"] = validation_score(metrics, criterion.enabled)
    return metrics


class Trainer:
    def __init__(self, cfg, corpus, out, device="cpu", seed=0, resume=False, log=print, init_from=None):
        corpora = [corpus] if isinstance(corpus, str) else list(corpus)
        self.corpus, self.out, self.device, self.log = corpora, out, torch.device(device), log
        os.makedirs(out, exist_ok=True)
        last = os.path.join(out, "last.pt")
        ckpt = None
        if resume and os.path.exists(last):
            ckpt = load_checkpoint(last, map_location="cpu")
            cfg = ckpt["config"]  # a resumed run keeps its own config (main() may still override epochs)
            self.inventory, self.seed = ckpt["inventory"], ckpt["seed"]
        elif resume:
            self.log(f"--resume: no {last}, starting fresh")
        if ckpt is None:
            self.inventory, self.seed = load_inventories(corpora), seed
        self.cfg = cfg
        t = cfg["train"]
        self.store = AudioStore(cache=t["cache_audio"])
        self.train_items = [u for c in corpora for u in read_manifest(c, "train", self.inventory)]
        self.valid_items = [u for c in corpora for u in read_manifest(c, "valid", self.inventory, t["valid_max_utterances"])]
        if not self.train_items:
            raise ValueError(f"{corpora}: train.jsonl is empty")

        torch.manual_seed(self.seed)
        self.model = build_model(cfg, self.inventory)
        self.criterion = MtlCriterion(cfg, len(self.inventory["speakers"]))
        if ckpt is None and init_from:
            self._init_from(init_from)
        elif ckpt is None:
            self._estimate_stats()
        self.model.to(self.device)
        self.criterion.to(self.device)
        decay, no_decay = [], []
        for p in list(self.model.parameters()) + list(self.criterion.parameters()):
            (decay if p.dim() >= 2 else no_decay).append(p)
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": t["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
            lr=t["lr"], betas=tuple(t["betas"]))
        self.steps_per_epoch = len(self._epoch_batches(0))
        self.state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "best_score": None, "best_epoch": None,
                      "epochs_since_best": 0, "audio_seconds": 0.0, "train_seconds": 0.0}
        if ckpt is not None:
            self.model.load_state_dict(ckpt["model"])
            self.criterion.load_state_dict(ckpt["criterion"])
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.state.update(ckpt["state"])
            self.log(f"resumed from {last} at step {self.state['step']} (epoch {self.state['epoch']}, "
                     f"batch {self.state['batch_in_epoch']})")

    def _epoch_batches(self, epoch):
        t = self.cfg["train"]
        rng = np.random.default_rng([self.seed, epoch])
        return make_mixed_batches(self.train_items, t["batch_size"], t["max_batch_seconds"], rng, t["real_share"])

    @property
    def total_steps(self):
        return self.cfg["train"]["epochs"] * self.steps_per_epoch

    def _estimate_stats(self):
        t = self.cfg["train"]
        rng = np.random.default_rng([self.seed, 7])
        n = min(len(self.train_items), t["stats_batches"] * t["batch_size"])
        chosen = [self.train_items[i] for i in rng.choice(len(self.train_items), n, replace=False)]
        batches = [collate(chosen[i:i + t["batch_size"]], self.store) for i in range(0, n, t["batch_size"])]
        mean, std = estimate_feature_stats(self.model.frontend, [(b["audio"], b["lengths"]) for b in batches])
        self.log(f"log-mel normalisation from {n} utterances: mean {float(mean.mean()):.2f}, "
                 f"std {float(std.mean()):.2f}")

    def _init_from(self, path):
        """Fine-tuning: copies every tensor whose name and shape match (incl. the log-mel statistics)."""
        own = self.model.state_dict()
        ckpt = None if path.endswith(".onnx") else load_checkpoint(path)
        source = state_from_onnx(path, own) if ckpt is None else ckpt["model"]
        matched = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
        self.model.load_state_dict(matched, strict=False)
        self.log(f"initialised {len(matched)}/{len(own)} tensors from {path}")
        # The speaker classifier (one prototype per training speaker) and the task weights live in the criterion.
        # Without them every fine-tune restarts the speaker head from random prototypes (the speaker loss jumps back to
        # its untrained value and the encoder takes random speaker gradients until they are re-learned); with the same
        # speakers in the same order they carry over.
        if ckpt is not None and "criterion" in ckpt:
            same_speakers = ckpt.get("inventory", {}).get("speakers") == self.inventory["speakers"]
            theirs = ckpt["criterion"]
            mine = self.criterion.state_dict()
            fits = set(theirs) == set(mine) and all(theirs[k].shape == mine[k].shape for k in mine)
            if same_speakers and fits:
                self.criterion.load_state_dict(theirs)
                self.log(f"speaker classifier and task weights from {path} (same {len(self.inventory['speakers'])} speakers)")
            else:
                self.log(f"speaker classifier starts fresh: {path} has "
                         + ("other training speakers" if not same_speakers else "another criterion layout"))
        grown = grow_identity_layers(self.model, matched)
        if grown:
            self.log(f"encoder layers {grown} are not in {path}: they start as identity (zero output projections), "
                     "so the grown model computes what the source model did")

    def _log_json(self, record):
        with open(os.path.join(self.out, "log.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def save(self, name, full=True):
        # The criterion (speaker prototypes, task weights: ~0.6 MB) is in weights-only checkpoints too, so a fine-tune
        # from best.pt or models/checkpoints/*.pt keeps the speaker classifier (_init_from).
        weights = {"config": self.cfg, "inventory": self.inventory, "seed": self.seed,
                   "model": self.model.state_dict(), "criterion": self.criterion.state_dict(), "state": dict(self.state)}
        save_checkpoint(os.path.join(self.out, name),
                        dict(weights, optimizer=self.optimizer.state_dict()) if full else weights)
        keep = int(self.cfg["train"].get("keep_snapshots", 0))
        if name == "last.pt" and keep > 0:
            self._snapshot(weights, keep)

    def _snapshot(self, weights, keep):
        """Weights-only copy of this step's checkpoint for averaging (average.py); the newest `keep` are kept."""
        folder = os.path.join(self.out, "snapshots")
        os.makedirs(folder, exist_ok=True)
        save_checkpoint(os.path.join(folder, f"step-{self.state['step']:07d}.pt"), weights)
        names = sorted(n for n in os.listdir(folder) if n.startswith("step-") and n.endswith(".pt"))
        for old in names[:-keep]:
            os.remove(os.path.join(folder, old))

    def validate(self, epoch, final=False):
        metrics = evaluate(self.model, self.criterion, self.valid_items, self.store, self.cfg, self.device) \
            if self.valid_items else {"score": float("inf"), "loss": {}}
        improved = self.state["best_score"] is None or metrics["score"] < self.state["best_score"]
        if improved:
            self.state["best_score"], self.state["best_epoch"] = metrics["score"], epoch
            self.save("best.pt", full=False)
        if not final:
            self.state["epochs_since_best"] = 0 if improved else self.state["epochs_since_best"] + 1
        rec = {"type": "valid", "epoch": epoch, "step": self.state["step"], "final": final, "improved": improved,
               **metrics}
        self._log_json(rec)
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        self.log(f"valid epoch {epoch}: score {metrics['score']:.3f} cer {fmt(metrics.get('cer'))} "
                 f"per {fmt(metrics.get('per'))} emo {fmt(metrics.get('emotion_acc'))} "
                 f"spk {fmt(metrics.get('speaker_acc'))} vad_f1 {fmt(metrics.get('vad_f1'))}"
                 f"{' *' if improved else ''}")
        return metrics

    def train(self, max_minutes=None, max_steps=None):
        """Runs until the configured epochs, early stopping, max_minutes or max_steps (this call)."""
        t = self.cfg["train"]
        started = time.time()
        with open(os.path.join(self.out, "config.json"), "w", encoding="utf-8") as f:
            json.dump(self.cfg, f, indent=2)
        with open(os.path.join(self.out, "inventory.json"), "w", encoding="utf-8") as f:
            json.dump(self.inventory, f, indent=2, ensure_ascii=False)
        last_ckpt = time.time()
        n_params = count_parameters(self.model)
        self.log(f"model {self.cfg['name']}: {n_params / 1e6:.2f} M parameters; tasks {enabled_tasks(self.cfg)} "
                 f"({self.cfg['loss_weighting']}); {len(self.train_items)} train / {len(self.valid_items)} valid "
                 f"utterances, {self.steps_per_epoch} steps/epoch, {t['epochs']} epochs")
        reason = "epochs"
        steps_this_call = 0
        acc = {}
        acc_n, acc_audio, acc_time = 0, 0.0, 0.0
        while self.state["epoch"] < t["epochs"]:
            epoch = self.state["epoch"]
            batches = self._epoch_batches(epoch)
            stop = None
            for i in range(self.state["batch_in_epoch"], len(batches)):
                step_start = time.time()
                aug = np.random.default_rng([self.seed, epoch, i])
                torch.manual_seed(self.seed * 1000003 + self.state["step"])
                batch = collate([self.train_items[j] for j in batches[i]], self.store, aug,
                                t["max_seconds"], t["gain_db"])
                batch = batch_to(batch, self.device)
                self.model.train()
                self.criterion.train()
                time_progress = (time.time() - started) / (max_minutes * 60) if max_minutes else 0.0
                lr = lr_at(self.state["step"], self.total_steps, t, time_progress)
                for g in self.optimizer.param_groups:
                    g["lr"] = lr
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=t["amp"] == "bf16"):
                    out = self.model(batch["audio"], batch["lengths"])
                out = {k: v.float() for k, v in out.items()}  # CTC, AAM and cross-entropy in float32
                total, losses, _ = self.criterion(out, batch, self.state["step"])
                if total is not None:
                    self.optimizer.zero_grad(set_to_none=True)
                    total.backward()
                    torch.nn.utils.clip_grad_norm_(
                        list(self.model.parameters()) + list(self.criterion.parameters()), t["grad_clip"])
                    self.optimizer.step()
                    for k, v in losses.items():
                        acc[k] = acc.get(k, 0.0) + float(v)
                    acc["total"] = acc.get("total", 0.0) + float(total)
                    acc_n += 1
                self.state["step"] += 1
                self.state["batch_in_epoch"] = i + 1
                steps_this_call += 1
                dt = time.time() - step_start
                self.state["audio_seconds"] += batch["seconds"]
                self.state["train_seconds"] += dt
                acc_audio += batch["seconds"]
                acc_time += dt
                if acc_n and self.state["step"] % t["log_every"] == 0:
                    rec = {"type": "train", "epoch": epoch, "step": self.state["step"], "lr": lr,
                           "loss": acc.pop("total") / acc_n, "losses": {k: v / acc_n for k, v in acc.items()},
                           "weights": self.criterion.task_scales(), "audio_s_per_s": acc_audio / max(acc_time, 1e-9)}
                    self._log_json(rec)
                    self.log(f"step {rec['step']} ep {epoch} lr {lr:.2e} loss {rec['loss']:.3f} "
                             + " ".join(f"{k} {v:.3f}" for k, v in rec["losses"].items())
                             + f" | {rec['audio_s_per_s']:.1f} audio s/s")
                    acc, acc_n, acc_audio, acc_time = {}, 0, 0.0, 0.0
                if time.time() - last_ckpt > t["checkpoint_minutes"] * 60:
                    self.save("last.pt")
                    last_ckpt = time.time()
                if max_minutes is not None and time.time() - started > max_minutes * 60:
                    stop = "max_minutes"
                elif max_steps is not None and steps_this_call >= max_steps:
                    stop = "max_steps"
                if stop:
                    break
            if stop:
                reason = stop
                if self.state["batch_in_epoch"] >= len(batches):
                    self._end_epoch(epoch)
                else:
                    self.validate(epoch, final=True)
                self.save("last.pt")
                break
            if self._end_epoch(epoch):
                reason = "early_stopping"
                break
        summary = {"reason": reason, "step": self.state["step"], "epoch": self.state["epoch"],
                   "best_score": self.state["best_score"], "best_epoch": self.state["best_epoch"],
                   "parameters": n_params,
                   "audio_s_per_s": self.state["audio_seconds"] / max(self.state["train_seconds"], 1e-9),
                   "audio_hours_seen": self.state["audio_seconds"] / 3600}
        with open(os.path.join(self.out, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
        self.log(f"stopped ({reason}) at step {summary['step']}; best score {summary['best_score']} "
                 f"(epoch {summary['best_epoch']}); throughput {summary['audio_s_per_s']:.1f} audio s/s")
        return summary

    def _end_epoch(self, epoch):
        """Validation + checkpoint after a full epoch; True if early stopping triggers."""
        self.validate(epoch)
        self.state["epoch"] = epoch + 1
        self.state["batch_in_epoch"] = 0
        self.save("last.pt")
        return self.state["epochs_since_best"] >= self.cfg["train"]["patience"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="models/configs/*.json (ignored with --resume when RUNDIR/last.pt exists)")
    p.add_argument("--corpus", required=True, action="append", help="corpus folder; repeat to train on several")
    p.add_argument("--out", required=True, help="RUNDIR")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--max-minutes", type=float)
    p.add_argument("--max-steps", type=int, help="stop after this many steps in this invocation (tests)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init-from", help="fine-tune: start from this checkpoint's weights (matching names/shapes)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--amp", choices=["off", "bf16"], help="override train.amp (bf16 autocast; meant for --device cuda)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = None
    if args.config:
        cfg = load_config(args.config)
    elif not (args.resume and os.path.exists(os.path.join(args.out, "last.pt"))):
        p.error("--config is required unless resuming")
    trainer = Trainer(cfg, args.corpus, args.out, args.device, args.seed, args.resume, init_from=args.init_from)
    if args.epochs is not None:
        trainer.cfg["train"]["epochs"] = args.epochs
    if args.amp is not None:
        trainer.cfg["train"]["amp"] = args.amp
    trainer.train(args.max_minutes, args.max_steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
