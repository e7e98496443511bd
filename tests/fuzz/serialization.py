"""Fuzzing ``ember.load`` with mutated files, in worker subprocesses.

Each mutation of a valid archive (bit flips, byte runs, truncation, insertion,
deletion, edits of the JSON manifest or an ``.npy`` header, re-zipped so the CRCs
pass) must either load cleanly or raise ``ember._serialization.SerializationError``:
never another exception, never a crash or a hang. A worker logs each mutation's index
before loading it, so a dead or stuck worker is reported with the mutation at fault.

    python tests/fuzz/serialization.py --mutations 100000
"""
from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import zipfile

FUZZ_PARENT = str(pathlib.Path(__file__).resolve().parents[1])
_BOOT = ("import sys; sys.path.insert(0, {!r}); from fuzz.serialization import worker; worker()")


def sample_archive():
    """A valid archive with nested containers, several dtypes, an empty and a 0-d tensor."""
    import ember
    obj = {"w": ember.arange(6.0).reshape(2, 3), "b": ember.tensor([1, 2], dtype=ember.int8),
           "h": ember.ones(2, dtype=ember.bfloat16), "flags": ember.tensor([True, False]),
           "e": ember.zeros(0, 3), "s": ember.tensor(3.5), "step": 7, "lr": 0.1,
           "name": "mlp", "nested": [(1, None), {"k": b"\x00\x01"}], "dtype": ember.float16}
    buffer = io.BytesIO()
    ember.save(obj, buffer)
    return buffer.getvalue()


def _rezip(data, edit):
    """Apply `edit(name, bytes) -> bytes` to the archive's members, keeping CRCs valid."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return out.getvalue()


def _mutate_bytes(rng, blob):
    blob = bytearray(blob)
    if not blob:
        return bytes(blob)
    kind = rng.randrange(6)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(blob))
            blob[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # a run of random or extreme bytes
        i = rng.randrange(len(blob))
        fill = rng.choice((b"\xff", b"\x00", b"\x7f", bytes([rng.randrange(256)])))
        blob[i:i + rng.randint(1, 16)] = fill * rng.randint(1, 16)
    elif kind == 2:  # truncation
        del blob[rng.randrange(len(blob)):]
    elif kind == 3:  # insertion
        i = rng.randrange(len(blob) + 1)
        blob[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    elif kind == 4:  # deletion
        i = rng.randrange(len(blob))
        del blob[i:i + rng.randint(1, 64)]
    else:  # a copied chunk (duplicated headers, repeated entries)
        i, j = sorted(rng.randrange(len(blob)) for _ in range(2))
        k = rng.randrange(len(blob))
        blob[k:k] = blob[i:j][:256]
    return bytes(blob)


_JSON_VALUES = (None, -1, 0, 2 ** 63, 1e308, float("nan"), "", "x" * 50, [], {}, [[[]]],
                {"__tensor__": 0}, {"__tensor__": 99}, {"__tensor__": -1}, {"__tensor__": "0"},
                {"__dtype__": "complex64"}, {"__device__": "cuda:99"}, {"__tuple__": 5},
                {"__bytes__": "%%%"}, {"__odict__": [[1]]}, "\ud800", True)


def _mutate_json(rng, text):
    try:
        doc = json.loads(text)
    except ValueError:
        return _mutate_bytes(rng, text)

    def walk(node, depth):
        if isinstance(node, dict) and node:
            key = rng.choice(list(node))
            if rng.random() < 0.4 or depth > 6:
                r = rng.random()
                if r < 0.7:
                    node[key] = rng.choice(_JSON_VALUES)
                elif r < 0.85:
                    del node[key]
                else:
                    node[rng.choice(("__tensor__", "__dtype__", "__tuple__", "format", "version",
                                     "zz"))] = rng.choice(_JSON_VALUES)
            else:
                walk(node[key], depth + 1)
        elif isinstance(node, list) and node:
            i = rng.randrange(len(node))
            if rng.random() < 0.4 or depth > 6:
                node[i] = rng.choice(_JSON_VALUES)
            else:
                walk(node[i], depth + 1)

    walk(doc, 0)
    text = json.dumps(doc)
    if rng.random() < 0.05:  # deep nesting (written as text: json.dumps would recurse)
        depth = rng.choice((50, 500, 5000))
        key = rng.choice(('{"format": "ember.save", "version": 1, "object": ', "["))
        text = key * depth + text + ("}" if key[0] == "{" else "]") * depth
    return text.encode()


def _mutate_npy(rng, blob):
    header_end = blob.find(b"\n") + 1
    if header_end <= 0 or rng.random() < 0.3:
        return _mutate_bytes(rng, blob)
    header = blob[:header_end].decode("latin1")
    replacements = [("'descr': '", rng.choice(("'descr': '|O", "'descr': '>", "'descr': '<c16",
                                               "'descr': '<U9", "'descr': '"))),
                    ("'shape': (", rng.choice(("'shape': (-1, ", "'shape': (2**62, ",
                                               "'shape': (99999999999, ", "'shape': (0, 0, "))),
                    ("False", "True")]
    old, new = rng.choice(replacements)
    return header.replace(old, new, 1).encode("latin1") + blob[header_end:]


def mutate(rng, data):
    """One mutated archive."""
    r = rng.random()
    if r < 0.4:
        return _mutate_bytes(rng, data)
    if r < 0.7:
        return _rezip(data, lambda name, b: _mutate_json(rng, b.decode("utf-8", "replace"))
                      if name == "manifest.json" else b)
    if r < 0.9:
        target = rng.choice([n for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                             if n.endswith(".npy")])
        return _rezip(data, lambda name, b: _mutate_npy(rng, b) if name == target else b)
    members = zipfile.ZipFile(io.BytesIO(data)).namelist()
    drop = rng.choice(members)
    return _rezip(data, lambda name, b: b"" if name == drop else b)


def worker(argv=None):
    """Load mutations [start, start + count) of seed `seed`; writes a JSON summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--log", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    import warnings
    warnings.simplefilter("ignore")
    import ember
    from ember._serialization import SerializationError
    data = sample_archive()
    summary = {"loaded": 0, "refused": 0, "wrong": []}
    with open(args.log, "a", encoding="utf-8") as log:
        for index in range(args.start, args.start + args.count):
            log.write(f"{index}\n")
            log.flush()
            blob = mutate(random.Random(f"{args.seed}:{index}"), data)
            try:
                ember.load(io.BytesIO(blob))
                summary["loaded"] += 1
            except SerializationError:
                summary["refused"] += 1
            except Exception as exc:  # noqa: BLE001 - any other type is the finding
                if len(summary["wrong"]) < 20:
                    summary["wrong"].append({"index": index, "error": f"{type(exc).__name__}: {exc}"[:300]})
                else:
                    summary["wrong"].append({"index": index})
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(summary, f)


def campaign(mutations, seed=0, workers=2, timeout=300):
    """Run `mutations` loads in `workers` subprocesses; a summary with crashes and hangs."""
    import concurrent.futures
    total = {"mutations": 0, "loaded": 0, "refused": 0, "wrong": [], "crashes": [], "hangs": []}
    per = -(-mutations // workers)

    def batch(start, count, tmp):
        reports = []
        while count > 0:
            log, out = os.path.join(tmp, f"{start}.log"), os.path.join(tmp, f"{start}.json")
            cmd = [sys.executable, "-c", _BOOT.format(FUZZ_PARENT), "--seed", str(seed),
                   "--start", str(start), "--count", str(count), "--log", log, "--out", out]
            stderr = b""
            try:
                done = subprocess.run(cmd, capture_output=True, timeout=timeout)
                status, stderr = done.returncode, done.stderr
            except subprocess.TimeoutExpired:
                status = "timeout"
            if status == 0 and os.path.exists(out):
                with open(out, encoding="utf-8") as f:
                    reports.append(("done", json.load(f), count))
                break
            lines = pathlib.Path(log).read_text().split() if os.path.exists(log) else []
            index = int(lines[-1]) if lines else start
            reports.append(("hang" if status == "timeout" else "crash",
                            {"index": index, "seed": seed, "status": status,
                             "stderr": stderr.decode(errors="replace")[-1500:]}, index + 1 - start))
            count -= index + 1 - start
            start = index + 1
        return reports

    with tempfile.TemporaryDirectory(prefix="ember-load-fuzz-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(workers) as pool:
        jobs = [pool.submit(batch, s, min(per, mutations - s), tmp) for s in range(0, mutations, per)]
        for job in jobs:
            for kind, detail, n in job.result():
                total["mutations"] += n
                if kind == "done":
                    total["loaded"] += detail["loaded"]
                    total["refused"] += detail["refused"]
                    total["wrong"] += detail["wrong"]
                else:
                    total["crashes" if kind == "crash" else "hangs"].append(detail)
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--mutations", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    total = campaign(args.mutations, args.seed, args.workers)
    print(json.dumps({k: (v if not isinstance(v, list) else v[:20]) for k, v in total.items()}, indent=1))
    print(f"wrong exceptions: {len(total['wrong'])}")
    return 1 if total["wrong"] or total["crashes"] or total["hangs"] else 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, FUZZ_PARENT)
        from fuzz.serialization import main as _main
        sys.exit(_main())
    sys.exit(main())
