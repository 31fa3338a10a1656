"""A GGUF header read as raw bytes: each metadata value kept as its encoded bytes, so that two
files' values compare byte for byte and a file can be rewritten with some keys taken from
another without decoding them.

gguf-py's GGUFReader builds a numpy view per array element: ~8 s for the default model's
49,152-token vocabulary and merges, which convert.py used to pay five times per conversion.
This reads the same header in well under a second. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

# Sizes of the fixed-size value types, by GGUF type id; 8 is STRING, 9 is ARRAY.
FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9
DEFAULT_ALIGNMENT = 32


class GGUFError(ValueError):
    pass


@dataclass
class Header:
    version: int
    # key -> the value's type id and bytes exactly as encoded after the key (type id included)
    kv: dict[str, bytes]
    tensor_count: int
    tensor_infos: bytes
    data_offset: int  # where the tensor data starts in the file

    def string(self, key: str) -> str | None:
        raw = self.kv.get(key)
        if raw is None or struct.unpack_from("<I", raw)[0] != STRING:
            return None
        (n,) = struct.unpack_from("<Q", raw, 4)
        return raw[12 : 12 + n].decode("utf-8", errors="replace")


def alignment(kv: dict[str, bytes]) -> int:
    """`general.alignment` (an unsigned integer of any width), else GGUF's default of 32."""
    raw = kv.get("general.alignment")
    if raw is not None:
        fmt = {0: "<B", 2: "<H", 4: "<I", 10: "<Q"}.get(struct.unpack_from("<I", raw)[0])
        if fmt:
            return struct.unpack_from(fmt, raw, 4)[0] or DEFAULT_ALIGNMENT
    return DEFAULT_ALIGNMENT


class _Cursor:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise GGUFError("truncated GGUF header")
        b = self.buf[self.pos : self.pos + n]
        self.pos += n
        return b

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def skip_string(self) -> None:
        self.take(self.u64())

    def skip_value(self, t: int) -> None:
        if t in FIXED:
            self.take(FIXED[t])
        elif t == STRING:
            self.skip_string()
        elif t == ARRAY:
            sub, n = self.u32(), self.u64()
            if sub in FIXED:
                self.take(FIXED[sub] * n)
            else:
                for _ in range(n):
                    self.skip_value(sub)
        else:
            raise GGUFError(f"unknown GGUF value type {t}")


def read(path: Path) -> Header:
    """The header of the GGUF file at `path` (the tensor data is not read)."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24 or head[:4] != b"GGUF":
            raise GGUFError(f"{path} is not a GGUF file")
        version, n_tensors, n_kv = struct.unpack("<IQQ", head[4:])
        size = 1 << 20
        while True:  # grow the read until the whole header fits (vocabularies are a few MB)
            f.seek(0)
            buf = f.read(size)
            try:
                return _parse(buf, version, n_tensors, n_kv)
            except GGUFError:
                if len(buf) < size:
                    raise
                size *= 4


def _parse(buf: bytes, version: int, n_tensors: int, n_kv: int) -> Header:
    c = _Cursor(buf)
    c.pos = 24
    kv: dict[str, bytes] = {}
    for _ in range(n_kv):
        key = c.take(c.u64()).decode("utf-8", errors="replace")
        start = c.pos
        c.skip_value(c.u32())
        kv[key] = buf[start : c.pos]
    start = c.pos
    for _ in range(n_tensors):
        c.skip_string()
        c.take(8 * c.u32())  # dims
        c.take(4 + 8)  # type, offset
    infos = buf[start : c.pos]
    align = alignment(kv)
    return Header(version, kv, n_tensors, infos, -(-c.pos // align) * align)


def _encode_key(key: str) -> bytes:
    b = key.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def write_with(src: Path, dest: Path, replace: dict[str, bytes], drop_prefix: str) -> None:
    """Writes `dest`: `src` without its keys starting with `drop_prefix`, plus `replace`'s raw
    values (from [`read`]), with the tensor infos and the tensor data copied unchanged (their
    offsets are relative to the data section, which only moves)."""
    h = read(src)
    kv = {k: v for k, v in h.kv.items() if not k.startswith(drop_prefix)}
    kv.update(replace)
    body = b"".join(_encode_key(k) + v for k, v in kv.items()) + h.tensor_infos
    head = b"GGUF" + struct.pack("<IQQ", h.version, h.tensor_count, len(kv))
    pad = -(len(head) + len(body)) % alignment(kv)
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        fout.write(head + body + b"\0" * pad)
        fin.seek(h.data_offset)
        shutil.copyfileobj(fin, fout, 16 << 20)
