"""Fuzzing ember: random public-op calls checked against both kernel tables, numpy and
PyTorch, in worker subprocesses so crashes and hangs are caught (see run.py)."""
