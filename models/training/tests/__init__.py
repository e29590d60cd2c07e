import os

# Before torch loads OpenMP (see train.py): idle OpenMP threads sleep instead of spinning on a shared machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
