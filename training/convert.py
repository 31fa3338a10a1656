"""Convert a fine-tuned Hugging Face model dir to GGUF (Q8_0 by default) with llama.cpp's converter.

Runs llama.cpp's `convert_hf_to_gguf.py` (from the venv that scripts/setup-train.sh made), then
reads the new file's header back and, given the base GGUF, makes the tokenizer metadata
(vocabulary, merges, pre-tokenizer, special token ids, chat template) the base model's own: the
tokenizer transformers rebuilds from a GGUF is a LlamaTokenizerFast, which the converter writes
as a SentencePiece-style "llama" vocabulary with other special ids, so the runtime would split
text differently from what the model was trained on. The weights are copied unchanged.

Keep tuned models at q8_0 (or f16): re-quantized to Q4_1, the tuning of a 135M model is lost.

Prints one JSON line on stdout:
{"gguf", "outtype", "seconds", "size_mb", "architecture", "tensors", "tokenizer_matches_base", "mismatches"}.

Usage: python convert.py --hf HF_DIR --out OUT.gguf [--outtype q8_0|f16|bf16|f32]
                         [--convert convert_hf_to_gguf.py] [--base BASE.gguf]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# Tokenizer keys that must be equal in the base model and its fine-tuned copy.
TOKENIZER_KEYS = [
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.padding_token_id",
    "tokenizer.ggml.unknown_token_id",
    "tokenizer.chat_template",
]


def log(msg: str) -> None:
    print(f"convert: {msg}", file=sys.stderr, flush=True)


def default_converter() -> Path:
    """llama.cpp's converter in the venv this interpreter runs from."""
    return Path(sys.prefix) / "llama.cpp" / "convert_hf_to_gguf.py"


def field_value(reader, key: str):
    """A GGUF metadata value as plain Python (strings decoded, arrays as lists), or None."""
    from gguf import GGUFValueType

    f = reader.fields.get(key)
    if f is None:
        return None
    types = list(f.types)
    if not types:
        return None
    if types[0] == GGUFValueType.ARRAY:
        sub = types[1] if len(types) > 1 else None
        vals = [f.parts[i] for i in f.data]
        if sub == GGUFValueType.STRING:
            return [bytes(v).decode("utf-8", errors="replace") for v in vals]
        return [v.tolist() for v in vals]
    v = f.parts[f.data[0]]
    if types[0] == GGUFValueType.STRING:
        return bytes(v).decode("utf-8", errors="replace")
    return v.tolist()


def read_header(path: Path, gguf_py: Path | None):
    if gguf_py is not None and gguf_py.is_dir() and str(gguf_py) not in sys.path:
        sys.path.insert(0, str(gguf_py))
    from gguf import GGUFReader

    return GGUFReader(str(path), "r")


def copy_tokenizer_from(src: Path, base_path: Path, dest: Path, gguf_py: Path | None) -> None:
    """Writes `dest`: `src` with every tokenizer.* key taken from `base_path` instead."""
    out = read_header(src, gguf_py)
    base = read_header_cached(base_path, gguf_py)
    import gguf  # after read_header: the converter's own gguf-py comes first on the path

    arch = field_value(out, "general.architecture")
    writer = gguf.GGUFWriter(str(dest), arch=arch, endianess=out.endianess)

    def copy(field) -> None:
        vt = field.types[0]
        sub = field.types[-1] if vt == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vt, sub_type=sub)

    for field in out.fields.values():
        if field.name == "general.architecture" or field.name.startswith("GGUF.") or field.name.startswith("tokenizer."):
            continue
        copy(field)
    for field in base.fields.values():
        if field.name.startswith("tokenizer."):
            copy(field)
    for t in out.tensors:
        writer.add_tensor_info(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for t in out.tensors:
        writer.write_tensor_data(t.data, tensor_endianess=out.endianess)
    writer.close()


def tokenizer_mismatches(path: Path, base_path: Path, gguf_py: Path | None) -> list[str]:
    out, base = read_header(path, gguf_py), read_header_cached(base_path, gguf_py)
    return [k for k in TOKENIZER_KEYS if field_value(base, k) != field_value(out, k)]


_HEADERS: dict = {}


def read_header_cached(path: Path, gguf_py: Path | None):
    """The base GGUF is read three times (compare, copy, check): its header is parsed once."""
    key = str(path.resolve())
    if key not in _HEADERS:
        _HEADERS[key] = read_header(path, gguf_py)
    return _HEADERS[key]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hf", required=True, type=Path, help="Hugging Face model dir (train.py's OUT/hf)")
    p.add_argument("--out", required=True, type=Path, help="GGUF file to write")
    p.add_argument("--outtype", default="q8_0", choices=["q8_0", "f16", "bf16", "f32"])
    p.add_argument("--convert", type=Path, default=None, help="path of llama.cpp's convert_hf_to_gguf.py")
    p.add_argument("--base", type=Path, help="base GGUF whose tokenizer metadata the output must match")
    p.add_argument("--name", help="general.name of the new model")
    p.add_argument("--keep-tokenizer", action="store_true", help="keep the converter's tokenizer metadata")
    p.add_argument("--strict", action="store_true", help="fail when the tokenizer metadata differs")
    a = p.parse_args(argv)

    conv = (a.convert or default_converter()).resolve()
    if not conv.is_file():
        raise SystemExit(f"convert: {conv} not found: run scripts/setup-train.sh")
    if not (a.hf / "config.json").is_file():
        raise SystemExit(f"convert: {a.hf} is not a Hugging Face model dir (no config.json)")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_name(a.out.name + ".part")

    t = time.monotonic()
    cmd = [sys.executable, str(conv), str(a.hf), "--outfile", str(tmp), "--outtype", a.outtype]
    if a.name:
        cmd += ["--model-name", a.name]
    log(" ".join(cmd))
    # The converter's output is progress: send it to stderr so our stdout stays one JSON line.
    r = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise SystemExit(f"convert: convert_hf_to_gguf.py failed (exit {r.returncode})")
    log(f"converted in {time.monotonic() - t:.1f}s")
    gguf_py = conv.parent / "gguf-py"
    mismatches: list[str] = []
    if a.base is not None and not a.keep_tokenizer:
        differ = tokenizer_mismatches(tmp, a.base, gguf_py)
        if differ:
            log(f"taking the tokenizer metadata from {a.base.name} (the converter wrote other {', '.join(differ)})")
            tmp2 = a.out.with_name(a.out.name + ".tok.part")
            copy_tokenizer_from(tmp, a.base, tmp2, gguf_py)
            os.replace(tmp2, tmp)
            log(f"tokenizer metadata copied ({time.monotonic() - t:.1f}s)")
    os.replace(tmp, a.out)
    seconds = time.monotonic() - t

    out = read_header(a.out, gguf_py)
    arch = field_value(out, "general.architecture")
    if a.base is not None:
        mismatches = tokenizer_mismatches(a.out, a.base, gguf_py)
        if mismatches:
            log(f"WARNING: tokenizer metadata differs from the base model's: {', '.join(mismatches)}")
    report = {
        "gguf": str(a.out.resolve()),
        "outtype": a.outtype,
        "seconds": round(seconds, 2),
        "size_mb": round(a.out.stat().st_size / 1e6, 1),
        "architecture": arch,
        "tensors": len(out.tensors),
        "tokenizer_matches_base": (not mismatches) if a.base is not None else None,
        "mismatches": mismatches,
    }
    print(json.dumps(report), flush=True)
    if a.strict and mismatches:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
