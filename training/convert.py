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

import gguf_raw

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


def copy_tokenizer_from(src: Path, base_path: Path, dest: Path) -> None:
    """Writes `dest`: `src` with every tokenizer.* key taken from `base_path` instead."""
    base = gguf_raw.read(base_path)
    tok = {k: v for k, v in base.kv.items() if k.startswith("tokenizer.")}
    gguf_raw.write_with(src, dest, tok, "tokenizer.")


def tokenizer_mismatches(path: Path, base_path: Path) -> list[str]:
    """The tokenizer keys whose encoded values differ between the two files."""
    out, base = gguf_raw.read(path), gguf_raw.read(base_path)
    return [k for k in TOKENIZER_KEYS if base.kv.get(k) != out.kv.get(k)]


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
    mismatches: list[str] = []
    if a.base is not None and not a.keep_tokenizer:
        differ = tokenizer_mismatches(tmp, a.base)
        if differ:
            log(f"taking the tokenizer metadata from {a.base.name} (the converter wrote other {', '.join(differ)})")
            tmp2 = a.out.with_name(a.out.name + ".tok.part")
            copy_tokenizer_from(tmp, a.base, tmp2)
            os.replace(tmp2, tmp)
            log(f"tokenizer metadata copied ({time.monotonic() - t:.1f}s)")
    os.replace(tmp, a.out)
    seconds = time.monotonic() - t

    out = gguf_raw.read(a.out)
    arch = out.string("general.architecture")
    if a.base is not None:
        mismatches = tokenizer_mismatches(a.out, a.base)
        if mismatches:
            log(f"WARNING: tokenizer metadata differs from the base model's: {', '.join(mismatches)}")
    report = {
        "gguf": str(a.out.resolve()),
        "outtype": a.outtype,
        "seconds": round(seconds, 2),
        "size_mb": round(a.out.stat().st_size / 1e6, 1),
        "architecture": arch,
        "tensors": out.tensor_count,
        "tokenizer_matches_base": (not mismatches) if a.base is not None else None,
        "mismatches": mismatches,
    }
    print(json.dumps(report), flush=True)
    if a.strict and mismatches:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
