"""Validation metrics: greedy CTC decoding, CER/PER, accuracy, frame-level VAD F1."""


def greedy_ctc(ids):
    """Argmax ids [T] -> label ids with repeats collapsed and blanks (0) removed."""
    out, prev = [], -1
    for i in ids:
        if i != prev and i != 0:
            out.append(i)
        prev = i
    return out


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


class ErrorRate:
    """Corpus-level error rate: total edits / total reference tokens."""

    def __init__(self):
        self.edits = 0
        self.ref = 0

    def add(self, hyp, ref):
        self.edits += edit_distance(hyp, ref)
        self.ref += len(ref)

    @property
    def value(self):
        return self.edits / self.ref if self.ref else None


class Accuracy:
    def __init__(self):
        self.correct = 0
        self.total = 0

    def add(self, pred, ref):
        self.correct += int(pred == ref)
        self.total += 1

    @property
    def value(self):
        return self.correct / self.total if self.total else None


class BinaryF1:
    def __init__(self):
        self.tp = self.fp = self.fn = 0

    def add(self, pred, ref):
        """pred, ref: iterables of 0/1."""
        for p, r in zip(pred, ref):
            if p and r:
                self.tp += 1
            elif p:
                self.fp += 1
            elif r:
                self.fn += 1

    @property
    def value(self):
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else None
