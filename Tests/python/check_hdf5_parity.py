#!/usr/bin/env python3
"""HDF5 parity with h5py, both ways.

1. minillm-dist writes its sample file; h5py reads it and checks every dataset's dtype, shape
   and values (computed here from the same formula), and every attribute.
2. h5py writes the same layout; `minillm-dist hdf5-sample verify` must accept it, and must
   reject a copy with one value changed.

Usage: check_hdf5_parity.py PATH/TO/minillm-dist
"""
import os
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np

SHAPES = [(), (7,), (3, 5), (2, 3, 4)]
NOTE = "sample ✓ ünïcode"
TEXT = '{"key": "värde"}\n' * 5000
DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
}


def sample(kind, count):
    n = (np.arange(count, dtype=np.int64) * 37 + 11) % 200
    if kind in ("float32", "float64"):
        return ((n - 100) / 8).astype(DTYPES[kind])
    if kind == "int32":
        return ((n - 100) * 1000).astype(np.int32)
    if kind == "int64":
        return (n - 100) * 10_000_000_000
    return n.astype(np.uint8)


def variants():
    for shape in SHAPES:
        for compressed in ([False] if shape == () else [False, True]):
            yield shape, compressed


def name(kind, shape, compressed):
    return f"{kind}_rank{len(shape)}{'_gz' if compressed else ''}"


passed = 0
failed = 0


def check(label, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {label}")
    else:
        failed += 1
        print(f"FAIL {label} {detail}")


def text_of(value):
    """Our strings are fixed-length UTF-8, which h5py returns as bytes."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_ours(path):
    with h5py.File(path, "r") as f:
        check("our sample file is marked checksummed", text_of(f.attrs.get("checksums", b"")) == "crc32")
        crcs = []

        def stored_crc(name, item):
            if isinstance(item, h5py.Dataset):
                value = item[()]
                raw = value if isinstance(value, bytes) else np.ascontiguousarray(value).astype(value.dtype.newbyteorder("<")).tobytes()
                crcs.append((name, int(item.attrs.get("crc32", -1)), zlib.crc32(raw)))

        f.visititems(stored_crc)
        bad = [(n, s, z) for n, s, z in crcs if s != z]
        check(f"every dataset's crc32 attribute equals zlib.crc32 of its bytes ({len(crcs)} datasets)", crcs and not bad, str(bad[:3]))
        data = f["data"]
        for kind, dtype in DTYPES.items():
            for shape, compressed in variants():
                ds = data[name(kind, shape, compressed)]
                expected = sample(kind, int(np.prod(shape))).reshape(shape)
                label = f"h5py reads our {name(kind, shape, compressed)}"
                ok = ds.dtype == np.dtype(dtype) and ds.shape == shape and np.array_equal(ds[()], expected)
                if compressed:
                    ok = ok and ds.compression == "gzip"
                check(label, ok, f"dtype {ds.dtype} shape {ds.shape}")
        note = text_of(f.attrs["note"])
        check("h5py reads our string attribute", note == NOTE, repr(note))
        check("h5py reads our int64 attribute", int(data.attrs["step"]) == 42 and data.attrs["step"].dtype == np.int64)
        check("h5py reads our float64 array attribute", list(data.attrs["betas"]) == [0.9, 0.95])
        text = f["text"][()]
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        check("h5py reads our long string dataset", text == TEXT, f"{len(text)} chars")


def write_theirs(path, corrupt=False):
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        for kind in DTYPES:
            for shape, compressed in variants():
                values = sample(kind, int(np.prod(shape))).reshape(shape)
                if corrupt and kind == "int64" and shape == (3, 5) and compressed:
                    values = values.copy()
                    values[1, 2] += 1
                data.create_dataset(
                    name(kind, shape, compressed), data=values, compression="gzip" if compressed else None
                )
        f.attrs["note"] = NOTE
        data.attrs["step"] = np.int64(42)
        data.attrs["betas"] = np.array([0.9, 0.95], dtype=np.float64)
        f.create_dataset("text", data=TEXT, dtype=h5py.string_dtype("utf-8"))


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        ours = os.path.join(tmp, "ours.h5")
        subprocess.run([binary, "hdf5-sample", "write", ours], check=True, stdout=subprocess.DEVNULL)
        read_ours(ours)
        theirs = os.path.join(tmp, "theirs.h5")
        write_theirs(theirs)
        result = subprocess.run([binary, "hdf5-sample", "verify", theirs], capture_output=True, text=True)
        check("minillm-dist verifies the file h5py wrote", result.returncode == 0, result.stdout + result.stderr)
        corrupt = os.path.join(tmp, "corrupt.h5")
        write_theirs(corrupt, corrupt=True)
        result = subprocess.run([binary, "hdf5-sample", "verify", corrupt], capture_output=True, text=True)
        check(
            "minillm-dist rejects an h5py file with one changed value",
            result.returncode != 0 and "int64_rank2_gz" in result.stdout,
            result.stdout,
        )
        flipped = os.path.join(tmp, "flipped.h5")
        subprocess.run([binary, "hdf5-sample", "write", flipped], check=True, stdout=subprocess.DEVNULL)
        with h5py.File(flipped, "r+") as f:
            f["data/float32_rank2"][1, 2] += 1  # the crc32 attribute is left as it was
        result = subprocess.run([binary, "hdf5-sample", "verify", flipped], capture_output=True, text=True)
        check(
            "minillm-dist rejects our file after h5py changed one value, naming the dataset",
            result.returncode != 0 and "float32_rank2" in result.stdout + result.stderr and "corrupt" in result.stdout + result.stderr,
            result.stdout + result.stderr,
        )
    print(f"h5py parity: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
