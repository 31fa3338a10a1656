#!/usr/bin/env python3
"""Merges lookout's tuned LoRA adapter into the base GGUF: the tuned default model.

Usage: merge_adapter.py BASE.gguf ADAPTER.safetensors OUT.gguf
       (needs only the PyPI `gguf` package and numpy: the set-up venv of setup-model.sh)

The adapter (written by training/train.py --method lora) holds, per tuned weight of the Hugging
Face model, `NAME.lora_a` (r x in) and `NAME.lora_b` (out x r) in float16 and the scale in its
metadata. Each tuned tensor of the base is dequantized, `scale * b @ a` is added, and the
result is quantized to Q8_0; the base's other quantized tensors are re-quantized to Q8_0 as
requant_q8_0.py does, the rest copied. All metadata is copied.

Deterministic on any machine: the low-rank product is summed rank by rank in float64 with
elementwise operations only (no BLAS, whose summation order varies with the CPU and threads),
so the same inputs give the same bytes and set-up can check the result's sha256.

llama.cpp's converter stores q_proj/k_proj rows permuted for its rotary embedding; the deltas
of those two are permuted the same way before they are added.
"""
import json
import struct
import sys

import gguf
import numpy as np

# The Q8_0 re-quantization's metadata copy and tensor rule (same folder).
from requant_q8_0 import numpy_shape, q8_writer, requantized

# Hugging Face (llama) weight name -> GGUF tensor name.
HF_TO_GGUF = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
DTYPES = {"F16": np.float16, "F32": np.float32, "BF16": None}


def read_safetensors(path):
    """Tensors and metadata of a safetensors file, read with numpy alone."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    for name, info in header.items():
        dtype = DTYPES.get(info["dtype"])
        if dtype is None:
            raise SystemExit(f"merge: unsupported dtype {info['dtype']} for {name}")
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(info["shape"])
    return out, meta


def gguf_name(hf_weight):
    # model.layers.22.mlp.down_proj.weight -> blk.22.ffn_down.weight
    parts = hf_weight.split(".")
    if len(parts) != 6 or parts[0] != "model" or parts[1] != "layers":
        raise SystemExit(f"merge: unexpected weight name {hf_weight}")
    short = HF_TO_GGUF.get(f"{parts[3]}.{parts[4]}")
    if short is None:
        raise SystemExit(f"merge: no GGUF tensor for {hf_weight}")
    return f"blk.{parts[2]}.{short}.weight"


def permute(w, n_head):
    """llama.cpp's rotary permutation of q/k rows (convert_hf_to_gguf.py, LlamaModel.permute)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def low_rank(a, b, scale):
    """scale * b @ a in float64, summed rank by rank in a fixed order (exactly reproducible)."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    out = np.zeros((b.shape[0], a.shape[1]), dtype=np.float64)
    for k in range(a.shape[0]):
        out += b64[:, k : k + 1] * a64[k : k + 1, :]
    return out * scale


def field(reader, key):
    f = reader.get_field(key)
    return None if f is None else f.contents()


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, adapter, dst = sys.argv[1:4]
    factors, meta = read_safetensors(adapter)
    scale = float(meta.get("scale", "nan"))
    if not np.isfinite(scale):
        raise SystemExit("merge: the adapter's metadata has no scale")
    reader = gguf.GGUFReader(base, "r")
    arch = field(reader, gguf.Keys.General.ARCHITECTURE)
    n_head = int(field(reader, f"{arch}.attention.head_count"))
    n_kv = int(field(reader, f"{arch}.attention.head_count_kv") or n_head)

    deltas = {}
    for name in factors:
        if not name.endswith(".lora_a"):
            continue
        weight = name[: -len(".lora_a")]
        d = low_rank(factors[name], factors[weight + ".lora_b"], scale)
        if ".q_proj." in weight:
            d = permute(d, n_head)
        elif ".k_proj." in weight:
            d = permute(d, n_kv)
        deltas[gguf_name(weight)] = d

    writer = q8_writer(reader, dst, renamed=lambda name: f"{name} (lookout tuned)")

    tensors, merged = [], 0
    for t in reader.tensors:
        delta = deltas.get(t.name)
        if delta is not None:
            shape = numpy_shape(t)
            if delta.shape != shape:
                raise SystemExit(f"merge: {t.name} is {shape}, the adapter's delta {delta.shape}")
            f32 = gguf.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float64)
            data = gguf.quantize((f32 + delta).astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            qtype = gguf.GGMLQuantizationType.Q8_0
            merged += 1
        else:
            data, qtype = requantized(t)
        tensors.append((data, qtype))
        writer.add_tensor_info(t.name, data.shape, data.dtype, data.nbytes, qtype)
    if merged != len(deltas):
        missing = sorted(set(deltas) - {t.name for t in reader.tensors})
        raise SystemExit(f"merge: {len(deltas) - merged} adapter tensors not in the base: {missing[:5]}")

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for data, _ in tensors:
        writer.write_tensor_data(data, tensor_endianess=reader.endianess)
    writer.close()
    print(json.dumps({"out": dst, "merged_tensors": merged, "scale": scale}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
