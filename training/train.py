"""Fine-tune lookout's small model on CPU: chat-format examples in, a Hugging Face model dir out.

Loads the base model straight from its GGUF (transformers dequantizes it), renders each example
with the tokenizer's chat template, trains with the loss on the assistant answer only (full
fine-tune or a minimal LoRA written here in plain PyTorch, merged before saving), and saves the
result as safetensors with its tokenizer, ready for convert.py. Deterministic for a given seed.

Progress goes to stderr, one line per optimizer step; the last line on stdout is one JSON object:
{"steps", "train_loss", "val_loss", "val_loss_before", "seconds", "peak_rss_mb", "hf_dir", ...}.

Usage: python train.py --base BASE.gguf --train train.jsonl [--val val.jsonl] --out DIR
                       [--method full|lora] [--epochs N] [--lr LR] [--batch B] [--grad-accum G]
                       [--max-len T] [--seed S] [--steps N] [--grad-ckpt] [--threads N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import resource
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from decisions import Decisions, answer_offsets, decision_positions, free_choice, overlaps
from decisions import score as decision_score

T0 = time.monotonic()

# ChatML, the template SmolLM2-Instruct ships with: used only when the tokenizer has none.
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)
IGNORE = -100
# Prompt tokens kept after the shared prefix (the session's header) when an example is cut.
KEEP_AFTER_PREFIX = 64
# A cut prompt keeps at least this many of its last tokens (the strongest rule hit, the question)
# and its timeline's first lines; the cut falls inside the timeline, not in the session's facts.
MIN_TAIL = 96
TIMELINE_HEAD_LINES = 3
# How the assessor's prompt (src/assess/prompt.rs) opens the timeline, after the session's facts.
TIMELINE_MARKER = "\nTimeline ("


def log(msg: str) -> None:
    print(f"train: {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_has_bf16() -> bool:
    """True where the CPU computes bf16 natively (x86 AVX512-BF16 or AMX; read on Linux only)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def pick_device(torch, want: str):
    """The device `--device` names; `auto` is CUDA when PyTorch sees a GPU (PyPI's torch is the
    CUDA build), else the CPU."""
    if want == "cuda" and not torch.cuda.is_available():
        raise SystemExit("train: --device cuda, but PyTorch sees no CUDA GPU")
    if want == "cuda" or (want == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, type=Path, help="base model GGUF (any quantization transformers reads)")
    p.add_argument("--train", required=True, type=Path, help="chat-format JSONL ({'messages': [...]}) to train on")
    p.add_argument("--val", type=Path, help="chat-format JSONL for the validation loss")
    p.add_argument("--out", required=True, type=Path, help="output dir; the HF model goes to OUT/hf")
    p.add_argument("--method", choices=["full", "lora"], default="full")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, help="peak learning rate (default 1e-4 full, 3e-4 lora)")
    p.add_argument("--batch", type=int, default=4, help="examples per forward pass (they share the prompt prefix's computation)")
    p.add_argument("--grad-accum", type=int, default=1, help="forward passes per optimizer step")
    p.add_argument("--max-len", type=int, default=1024, help="tokens per example (longer prompts are cut in the middle)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--steps", type=int, help="stop after this many optimizer steps (tests)")
    p.add_argument("--warmup", type=float, default=0.05, help="warm-up fraction of the steps")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=float, default=32.0)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--lora-targets", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    p.add_argument(
        "--train-layers",
        type=int,
        default=8,
        help="train only the top N transformer layers (and the final norm); the layers below, the "
        "embeddings and the tied output projection stay frozen, and backward stops at layer N from "
        "the top: much less compute. 0 = all layers and the embeddings",
    )
    p.add_argument("--no-share-prefix", action="store_true", help="compute the common prompt prefix per example")
    p.add_argument("--base-cache", type=Path, help="dir to keep the dequantized base model in (loads in seconds next time)")
    p.add_argument("--grad-ckpt", action="store_true", help="gradient checkpointing (less memory, ~30%% slower)")
    p.add_argument(
        "--bf16",
        choices=["auto", "on", "off"],
        default="auto",
        help="bf16 autocast; auto = on only where the CPU has bf16 instructions (AVX512-BF16, AMX): "
        "elsewhere bf16 is emulated and ~7x slower than float32",
    )
    p.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    p.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="where to train: auto = a CUDA GPU when PyTorch sees one, else the CPU. On a GPU the "
        "run is float32 (bf16 autocast only with --bf16 on); the adapter is the same format",
    )
    p.add_argument(
        "--no-group-by-length",
        dest="group_by_length",
        action="store_false",
        help="random batches instead of batches of similar lengths (more padding, slower)",
    )
    p.add_argument(
        "--decision-weight",
        type=float,
        default=1.0,
        help="loss weight of the answer tokens that spell the cause, the risk level and the "
        "technique ids (1 = every answer token alike); the validation loss stays unweighted",
    )
    p.add_argument("--no-val-before", action="store_true", help="skip the validation loss before training")
    p.add_argument(
        "--checkpoints",
        type=int,
        default=1,
        help="check the validation set at N evenly spaced steps (the last included) and keep the "
        "parameters of the check with the best decision score (decisions.py); 1 = the last step",
    )
    p.add_argument(
        "--free-answers",
        type=int,
        default=0,
        help="at each validation check, also let the model answer N validation prompts greedily "
        "(the causes in turn) and score the cause it reaches after its own summary (decisions.py); "
        "2-8 s an answer here (at most 320 tokens)",
    )
    p.add_argument(
        "--score-adapter",
        type=Path,
        help="train nothing: load this saved LoRA adapter (its r, alpha, targets and layers) into the "
        "base and print the validation loss and decision report of --val",
    )
    a = p.parse_args(argv)
    if a.lr is None:
        a.lr = 1e-4 if a.method == "full" else 3e-4
    for name in ("batch", "grad_accum", "max_len"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.max_len < 128:
        p.error("--max-len must be at least 128")
    if a.epochs <= 0:
        p.error("--epochs must be positive")
    if a.checkpoints < 1:
        p.error("--checkpoints must be at least 1")
    if a.score_adapter and not a.val:
        p.error("--score-adapter needs --val")
    return a


def read_jsonl(path: Path) -> list[list[dict]]:
    """The `messages` lists of a chat JSONL file; a malformed line is an error naming it."""
    out = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"train: {path}:{n}: not JSON: {e}")
            msgs = obj.get("messages") if isinstance(obj, dict) else None
            if (
                not isinstance(msgs, list)
                or len(msgs) < 2
                or not all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in msgs)
                or msgs[-1].get("role") != "assistant"
            ):
                raise SystemExit(
                    f"train: {path}:{n}: expected {{\"messages\": [..., {{\"role\": \"assistant\", \"content\": ...}}]}}"
                )
            out.append(msgs)
    return out


@dataclass
class Example:
    ids: list[int]
    labels: list[int]
    # The loss weight of each position (1.0 where unset; only answer positions count).
    weights: list[float] | None = None


# The answer's decisions: the cause, the risk level and the technique ids. They are a few
# tokens of an answer of ~130, so with a plain per-token loss the wording of the summary
# outweighs them; --decision-weight multiplies the loss on the tokens that spell them.
DECISION_SPANS = re.compile(
    r'"cause"\s*:\s*"([^"]*)"|"risk_level"\s*:\s*"([^"]*)"|"techniques"\s*:\s*\[([^\]]*)\]'
)


def decision_weights(tok, answer: str, a_ids: list[int], weight: float) -> list[float]:
    """One loss weight per answer token: `weight` on the tokens that overlap a decision's value,
    1.0 elsewhere (and everywhere when the tokenizer gives no offsets or the text differs)."""
    ones = [1.0] * len(a_ids)
    offsets = answer_offsets(tok, answer, a_ids) if weight != 1.0 else None
    if offsets is None:
        return ones
    spans = [m.span(g) for m in DECISION_SPANS.finditer(answer) for g in (1, 2, 3) if m.group(g) is not None]
    return [weight if any(overlaps(t, span) for span in spans) else 1.0 for t in offsets]


def render(tok, msgs: list[dict]) -> tuple[list[int], list[int], str]:
    """Prompt and answer token ids of one conversation, as the chat template lays them out, and
    the answer's text."""
    prompt = tok.apply_chat_template(msgs[:-1], add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(msgs, tokenize=False)
    if full.startswith(prompt):
        answer = full[len(prompt):]
    else:  # a template that renders the history differently once an answer follows
        answer = msgs[-1]["content"] + (tok.eos_token or "")
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(answer, add_special_tokens=False)["input_ids"]
    return p_ids, a_ids, answer


def fit(p_ids: list[int], a_ids: list[int], max_len: int, keep_head: int, a_w: list[float] | None = None) -> tuple[Example, bool]:
    """One example of at most max_len tokens, loss on the answer only; True when it was cut.
    A long prompt loses its middle: its first keep_head tokens (the system prompt and the session's
    facts up to its first timeline lines) and its end (at least MIN_TAIL tokens: the strongest rule
    hit and the question) stay; an answer that still does not fit loses its end."""
    cut = False
    if len(p_ids) + len(a_ids) > max_len:
        cut = True
        a_ids = a_ids[: max_len - min(keep_head, max_len // 2) - 16]
        a_w = a_w[: len(a_ids)] if a_w else a_w
        room = max_len - len(a_ids)
        if len(p_ids) > room:
            keep_head = max(0, min(keep_head, room - MIN_TAIL))
            tail = room - keep_head
            p_ids = p_ids[:keep_head] + p_ids[len(p_ids) - tail:]
    weights = [1.0] * len(p_ids) + list(a_w) if a_w else None
    return Example(p_ids + a_ids, [IGNORE] * len(p_ids) + list(a_ids), weights), cut


def facts_end(tok, msgs: list[dict], prompt_len: int) -> int:
    """Tokens of the rendered prompt up to its timeline's first TIMELINE_HEAD_LINES lines: what a
    cut must keep, since the answer names the host, user and programs given before them (0 when
    the prompt has no timeline)."""
    prompt = tok.apply_chat_template(msgs[:-1], add_generation_prompt=True, tokenize=False)
    at = prompt.find(TIMELINE_MARKER)
    if at < 0:
        return 0
    end = at + 1
    for _ in range(TIMELINE_HEAD_LINES + 1):
        nl = prompt.find("\n", end)
        if nl < 0:
            return prompt_len
        end = nl + 1
    return len(tok(prompt[:end], add_special_tokens=False)["input_ids"])


def common_prefix(seqs: list[list[int]]) -> int:
    if not seqs:
        return 0
    n = min(len(x) for x in seqs)
    first = seqs[0]
    for i in range(n):
        t = first[i]
        if any(x[i] != t for x in seqs):
            return i
    return n


def save_hf(model, tok, hf_dir: Path) -> None:
    """Saves model (safetensors) and tokenizer where from_pretrained and the converter read them."""
    hf_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(hf_dir), safe_serialization=True)
    tok.save_pretrained(str(hf_dir))
    # A tokenizer read from a GGUF saves the GGUF itself as its "tokenizer.model"; converters
    # would take it for a SentencePiece model. tokenizer.json holds the whole tokenizer.
    spm = hf_dir / "tokenizer.model"
    if spm.is_file():
        with spm.open("rb") as f:
            if f.read(4) == b"GGUF":
                spm.unlink()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_base(path: Path, cache: Path | None):
    """Tokenizer and float32 model of a GGUF; with `cache`, kept there dequantized for next time."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = path.resolve()
    if not path.is_file():
        raise SystemExit(f"train: base model {path} not found")
    t = time.monotonic()
    cached = None
    if cache is not None:
        cached = cache / f"{path.stem}-{file_sha256(path)[:16]}"
        if (cached / "config.json").is_file() and (cached / "tokenizer.json").is_file():
            tok = AutoTokenizer.from_pretrained(str(cached))
            model = AutoModelForCausalLM.from_pretrained(str(cached), dtype=torch.float32)
            log(f"loaded {path.name} from the cache {cached} in {time.monotonic() - t:.1f}s")
            return tok, model
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    # A dequantized GGUF model keeps its quantizer; without it the model saves as plain weights.
    model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        try:
            model.is_quantized = False
        except AttributeError:
            pass
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    if not tok.chat_template:
        log("the tokenizer has no chat template; using ChatML")
        tok.chat_template = CHATML_TEMPLATE
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    log(f"loaded {path.name} in {time.monotonic() - t:.1f}s: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")
    if cached is not None:
        part = cached.with_name(cached.name + f".part{os.getpid()}")
        shutil.rmtree(part, ignore_errors=True)
        save_hf(model, tok, part)
        shutil.rmtree(cached, ignore_errors=True)
        os.replace(part, cached)
        log(f"kept the dequantized base in {cached}")
    return tok, model


class LoRALinear:
    """Factory for a LoRA wrapper of nn.Linear (built lazily so torch imports stay in main)."""

    @staticmethod
    def make(torch):
        nn = torch.nn

        class _LoRALinear(nn.Module):
            def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
                super().__init__()
                self.base = base
                self.scale = alpha / r
                self.drop = nn.Dropout(dropout)
                self.lora_a = nn.Parameter(torch.empty(r, base.in_features))
                self.lora_b = nn.Parameter(torch.zeros(base.out_features, r))
                nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

            def forward(self, x):
                return self.base(x) + (self.drop(x) @ self.lora_a.t() @ self.lora_b.t()) * self.scale

            def merged(self) -> nn.Linear:
                with torch.no_grad():
                    self.base.weight += (self.lora_b @ self.lora_a) * self.scale
                return self.base

        return _LoRALinear


def add_lora(torch, model, targets: set[str], r: int, alpha: float, dropout: float) -> int:
    cls = LoRALinear.make(torch)
    n = 0
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in targets and isinstance(child, torch.nn.Linear):
                setattr(module, child_name, cls(child, r, alpha, dropout))
                n += 1
    if n == 0:
        raise SystemExit(f"train: no LoRA target among {sorted(targets)} in the model")
    return n


def save_adapter(torch, model, path: Path, meta: dict) -> int:
    """The LoRA factors alone (safetensors, float16): `<base weight name>.lora_a` (r x in) and
    `.lora_b` (out x r), the scale in the metadata. scripts/merge_adapter.py adds
    `scale * b @ a` to the base GGUF's tensors: the tuned model ships as these few MB."""
    from safetensors.torch import save_file

    tensors = {}
    scale = None
    for mod_name, module in model.named_modules():
        for child_name, child in module.named_children():
            if type(child).__name__ == "_LoRALinear":
                key = f"{mod_name}.{child_name}.weight"
                tensors[f"{key}.lora_a"] = child.lora_a.detach().to("cpu", torch.float16).contiguous()
                tensors[f"{key}.lora_b"] = child.lora_b.detach().to("cpu", torch.float16).contiguous()
                scale = child.scale
    meta = {k: str(v) for k, v in meta.items()}
    meta["scale"] = repr(scale)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=meta)
    return len(tensors) // 2


def merge_lora(torch, model) -> None:
    cls_name = "_LoRALinear"
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if type(child).__name__ == cls_name:
                setattr(module, child_name, child.merged())


def length_groups(examples: list[Example], batch: int, gen: random.Random | None) -> list[list[int]]:
    """Example indices `batch` at a time, each batch of similar lengths so that little of it is
    padding (random batches of the exported sets are ~28% padding). Shuffled like Hugging Face's
    group_by_length: a random order cut into megabatches of 16 batches, each megabatch sorted by
    length, then the batches shuffled. No `gen`: all sorted, for validation."""
    order = list(range(len(examples)))
    mega = len(order)
    if gen is not None:
        gen.shuffle(order)
        mega = batch * 16
    groups: list[list[int]] = []
    for i in range(0, len(order), mega):
        chunk = sorted(order[i:i + mega], key=lambda j: len(examples[j].ids), reverse=True)
        groups += [chunk[k:k + batch] for k in range(0, len(chunk), batch)]
    if gen is not None:
        gen.shuffle(groups)
    return groups


def random_groups(examples: list[Example], batch: int, gen: random.Random) -> list[list[int]]:
    """Example indices `batch` at a time in a random order (--no-group-by-length)."""
    order = list(range(len(examples)))
    gen.shuffle(order)
    return [order[i:i + batch] for i in range(0, len(order), batch)]


def batches(examples: list[Example], groups: list[list[int]], pad_id: int):
    """Right-padded (ids, labels, weights) tensors, one per group of example indices."""
    import torch

    for group in groups:
        chunk = [examples[j] for j in group]
        width = max(len(e.ids) for e in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), IGNORE, dtype=torch.long)
        weights = torch.ones((len(chunk), width), dtype=torch.float32)
        for k, e in enumerate(chunk):
            ids[k, : len(e.ids)] = torch.tensor(e.ids)
            labels[k, : len(e.labels)] = torch.tensor(e.labels)
            if e.weights:
                weights[k, : len(e.weights)] = torch.tensor(e.weights)
        yield group, ids, labels, weights


def answer_logits(torch, runner, ids, labels, bf16: bool, keys=None, cache=None):
    """The logits at the positions that predict an answer token (flattened, row by row), those
    tokens, and the mask of the positions kept. The vocabulary projection runs only there.
    Right padding needs no mask: under the causal mask, real tokens never see it."""
    with torch.autocast(runner.device.type, dtype=torch.bfloat16, enabled=bf16):
        hidden = runner.hidden(ids, keys, cache)
        target = labels[:, 1:]
        keep = target != IGNORE
        h = hidden[:, :-1][keep]
        logits = runner.model.lm_head(h).float()
    return logits, target[keep], keep


def answer_loss(torch, runner, ids, labels, bf16: bool, keys=None, cache=None, weights=None):
    """Summed cross-entropy over the answer tokens of suffixes (the shared prefix cut off) and
    their count; with `weights`, each token's loss and count weighted."""
    logits, tgt, keep = answer_logits(torch, runner, ids, labels, bf16, keys, cache)
    if weights is None:
        return torch.nn.functional.cross_entropy(logits, tgt, reduction="sum"), int(tgt.numel())
    w = weights[:, 1:][keep]
    ce = torch.nn.functional.cross_entropy(logits, tgt, reduction="none")
    return (ce * w).sum(), float(w.sum())


def evaluate(torch, runner, examples: list[Example], batch: int, pad_id: int, bf16: bool, cache=None,
             decisions: list[Decisions] | None = None, free=None) -> tuple[float | None, dict | None]:
    """The mean answer-token loss of `examples` and, with their `decisions`, the decision
    report (decisions.py) from the same forward pass; with `free` (a FreeCheck), also from
    answers the model writes itself."""
    if not examples:
        return None, None
    model = runner.model
    model.eval()
    total, count = 0.0, 0
    checked = []
    with torch.no_grad():
        for keys, ids, labels, _ in batches(examples, length_groups(examples, batch, None), pad_id):
            logits, tgt, keep = answer_logits(torch, runner, ids, labels, bf16, keys, cache)
            total += float(torch.nn.functional.cross_entropy(logits, tgt, reduction="sum"))
            count += int(tgt.numel())
            if decisions is not None:
                right = (logits.argmax(-1) == tgt).tolist()
                at = 0
                for k, j in enumerate(keys):
                    n = int(keep[k].sum())
                    checked.append((decisions[j], right[at:at + n]))
                    at += n
    model.train()
    if decisions is None:
        return (total / count if count else None), None
    answers = free.answers(torch, model) if free else None
    return (total / count if count else None), decision_score(checked, answers)


@dataclass
class FreeCheck:
    """A few validation prompts the model answers greedily, as it will in lookout (the same
    prompt tokens as in training, answer decoded with the KV cache)."""

    tok: object
    prompts: list[list[int]]
    decisions: list[Decisions]
    max_new: int = 320

    def answers(self, torch, model) -> list[tuple[Decisions, str]]:
        tok = self.tok
        end = tok.convert_tokens_to_ids("<|im_end|>")
        stop = sorted({x for x in (tok.eos_token_id, end) if isinstance(x, int) and x >= 0})
        model.eval()
        use_cache = model.config.use_cache
        model.config.use_cache = True
        out = []
        # float32 even where training runs under bf16 autocast: autocast casts every frozen
        # weight again at each call, which costs more than a one-token step itself.
        with torch.no_grad():
            for p, d in zip(self.prompts, self.decisions):
                ids = torch.tensor([p], dtype=torch.long)
                g = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=self.max_new,
                                   do_sample=False, eos_token_id=stop, pad_token_id=tok.pad_token_id)
                out.append((d, tok.decode(g[0, len(p):], skip_special_tokens=True)))
        model.config.use_cache = use_cache
        model.train()
        return out


def snapshot(model) -> dict:
    """A copy of the trained parameters (LoRA factors, or the trained layers)."""
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def restore(torch, model, saved: dict) -> None:
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in saved:
                p.copy_(saved[n])


def checkpoint_steps(total_steps: int, k: int) -> set[int]:
    """The steps at which the validation set is checked: `k` evenly spaced, the last included."""
    k = max(1, min(k, total_steps))
    return {max(1, round(total_steps * i / k)) for i in range(1, k + 1)}


def load_adapter(torch, model, path: Path) -> None:
    """Puts a saved adapter's factors (save_adapter's names) into the model's LoRA modules; the
    adapter must fill every one and have the modules' scale."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        scale = float(f.metadata().get("scale", "nan"))
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    loaded = 0
    for name, module in model.named_modules():
        if type(module).__name__ != "_LoRALinear":
            continue
        a, b = tensors.pop(f"{name}.weight.lora_a", None), tensors.pop(f"{name}.weight.lora_b", None)
        if a is None or b is None or a.shape != module.lora_a.shape or b.shape != module.lora_b.shape:
            raise SystemExit(f"train: {path} has no factors of the shape {name} needs")
        if not math.isclose(scale, module.scale, rel_tol=1e-6):
            raise SystemExit(f"train: {path} has scale {scale}, the LoRA modules {module.scale}")
        with torch.no_grad():
            module.lora_a.copy_(a.float())
            module.lora_b.copy_(b.float())
        loaded += 1
    if tensors or not loaded:
        raise SystemExit(f"train: {path} does not match the model's LoRA modules ({len(tensors)} factors left)")


def adapter_shape(path: Path) -> tuple[int, float, str, int]:
    """r, alpha, targets and the lowest layer of a saved adapter."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        keys = list(f.keys())
    layers = [int(m.group(1)) for k in keys if (m := re.search(r"layers\.(\d+)\.", k))]
    try:
        return int(meta["r"]), float(meta["alpha"]), meta["targets"], min(layers)
    except (KeyError, ValueError):
        raise SystemExit(f"train: {path} is not an adapter save_adapter wrote")


def fmt(decision: dict | None) -> str:
    """`0.612 (named 0.50 of 40, empty 0.81 of 60, cause 0.53)` for the progress log."""
    if not decision or decision.get("score") is None:
        return "-"
    f = lambda v: "-" if v is None else f"{v:.2f}"
    free = decision.get("free")
    also = ""
    if free:
        also = (f"; {free['answers']} free answers: cause {f(free['cause_balanced'])}, "
                f"named {f(free['techniques_named'])}, empty {f(free['techniques_empty'])}")
    return (
        f"{decision['score']:.3f} (named {f(decision['techniques_named'])} of {decision['techniques_named_n']}, "
        f"empty {f(decision['techniques_empty'])} of {decision['techniques_empty_n']}, "
        f"cause {f(decision['cause_balanced'])}{also})"
    )


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    import numpy as np
    import torch

    from runner import PrefixRunner, check_against_hf

    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    device = pick_device(torch, a.device)
    bf16 = a.bf16 == "on" or (a.bf16 == "auto" and device.type == "cpu" and cpu_has_bf16())
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    log(f"{device.type}: {where}, {'bf16 autocast' if bf16 else 'float32'}")

    train_msgs = read_jsonl(a.train)
    val_msgs = read_jsonl(a.val) if a.val and a.val.exists() else []
    if not train_msgs:
        raise SystemExit(f"train: {a.train} has no examples")
    if a.score_adapter:  # scoring reads the validation examples only
        train_msgs = []

    tok, model = load_base(a.base, a.base_cache)  # on the CPU: transformers dequantizes there
    model.to(device)
    if device.type == "cuda":
        # Every tensor the run makes from here on (LoRA factors, batches, masks) is made there.
        torch.set_default_device(device)
        torch.cuda.manual_seed_all(a.seed)
    pad_id = tok.pad_token_id
    rendered = [render(tok, m) for m in train_msgs + val_msgs]
    # The tokens every example starts with, short of its first answer token's predecessor.
    prefix = 0 if a.no_share_prefix else common_prefix([p for p, _, _ in rendered])
    prefix = max(0, min([prefix] + [len(p) - 1 for p, _, _ in rendered]))
    examples, cut, weighted = [], 0, 0
    val_decisions = [decision_positions(tok, answer, a_ids) for _, a_ids, answer in rendered[len(train_msgs):]]
    for i, (p_ids, a_ids, answer) in enumerate(rendered):
        # Validation keeps plain weights: its loss stays comparable between runs.
        w = a.decision_weight if i < len(train_msgs) else 1.0
        a_w = decision_weights(tok, answer, a_ids, w) if w != 1.0 else None
        weighted += sum(1 for x in a_w or [] if x != 1.0)
        msgs = (train_msgs + val_msgs)[i]
        head = max(prefix + KEEP_AFTER_PREFIX, facts_end(tok, msgs, len(p_ids)))
        e, c = fit(p_ids, a_ids, a.max_len, head, a_w)
        examples.append(e)
        cut += c
    if prefix:  # cutting keeps the prefix unless --max-len is very short: measure it again
        prefix = min(prefix, common_prefix([e.ids for e in examples]))
        prefix = max(0, min([prefix] + [sum(1 for x in e.labels if x == IGNORE) - 1 for e in examples]))
    prefix_ids = examples[0].ids[:prefix] if examples else []
    free = None
    if a.free_answers > 0 and val_msgs:
        full_val = examples[len(train_msgs):]
        chosen = free_choice(val_decisions, a.free_answers)
        prompt_of = lambda e: e.ids[: next(i for i, x in enumerate(e.labels) if x != IGNORE)]
        free = FreeCheck(tok, [prompt_of(full_val[i]) for i in chosen], [val_decisions[i] for i in chosen])
        log(f"{len(chosen)} validation prompts answered freely at each check")
    train_ex, val_ex = examples[: len(train_msgs)], examples[len(train_msgs):]
    n_tokens = sum(len(e.ids) for e in train_ex)
    n_answer = sum(sum(1 for x in e.labels if x != IGNORE) for e in train_ex)
    log(
        f"{len(train_ex)} train / {len(val_ex)} val examples; {n_tokens} train tokens "
        f"({n_answer} answer tokens), {cut} cut to --max-len {a.max_len}; {prefix} tokens shared by all"
    )

    layers = model.model.layers
    n_layers = len(layers)
    if a.score_adapter:  # the adapter says where its factors go
        a.method = "lora"
        a.lora_r, a.lora_alpha, a.lora_targets, lowest = adapter_shape(a.score_adapter)
        a.train_layers = n_layers - lowest
    top = n_layers if a.train_layers <= 0 else min(a.train_layers, n_layers)
    if a.method == "lora":
        n = add_lora(torch, layers[n_layers - top:], set(a.lora_targets.split(",")), a.lora_r, a.lora_alpha, a.lora_dropout)
        for p in model.parameters():
            p.requires_grad_(False)
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.requires_grad_(True)
        log(f"LoRA r={a.lora_r} alpha={a.lora_alpha} on {n} linear layers")
    elif top < n_layers:
        for p in model.parameters():
            p.requires_grad_(False)
        for p in list(layers[n_layers - top:].parameters()) + list(model.model.norm.parameters()):
            p.requires_grad_(True)
    if top < n_layers:
        log(f"training the top {top} of {n_layers} layers; the rest frozen")
    params = [p for p in model.parameters() if p.requires_grad]
    log(f"training {sum(p.numel() for p in params) / 1e6:.2f}M parameters ({a.method})")
    model.config.use_cache = False

    # Before training (and before LoRA dropout could matter): the runner must agree with the
    # model's own forward pass, or the installed transformers lays the model out differently.
    probe = examples[0].ids[: min(len(examples[0].ids), prefix + 48)]
    if prefix and len(probe) > prefix:
        diff = check_against_hf(model, probe, prefix, n_layers - top)
        if diff > 2e-3:
            raise SystemExit(f"train: the prefix-sharing forward pass differs from the model's by {diff:.2e}")
        log(f"prefix-sharing forward pass matches the model's (max logit difference {diff:.1e})")
    runner = PrefixRunner(model, n_layers - top, grad_ckpt=a.grad_ckpt, device=device)
    runner.set_prefix(prefix_ids)
    if a.decision_weight != 1.0:
        log(f"decision tokens weighted x{a.decision_weight}: {weighted} in the training answers")
    cut_w = lambda e: e.weights[prefix:] if e.weights else None
    train_ex = [Example(e.ids[prefix:], e.labels[prefix:], cut_w(e)) for e in train_ex]
    val_ex = [Example(e.ids[prefix:], e.labels[prefix:], cut_w(e)) for e in val_ex]

    # The frozen bottom's output per example, kept when it is needed again (validation twice,
    # later epochs) and fits: ~2.3 KB a token for this model.
    frozen = top < n_layers
    per_token = model.config.hidden_size * 4
    val_cache = {} if frozen and sum(len(e.ids) for e in val_ex) * per_token < (1 << 30) else None
    train_cache = {} if frozen and a.epochs > 1 and n_tokens * per_token < (3 << 30) else None
    if a.score_adapter:
        load_adapter(torch, model, a.score_adapter)
        loss, decision = evaluate(torch, runner, val_ex, a.batch, pad_id, bf16, val_cache, val_decisions, free)
        log(f"{a.score_adapter}: val loss {loss:.4f}, decision score {fmt(decision)}")
        print(json.dumps({"adapter": str(a.score_adapter), "val_loss": loss, "decision": decision,
                          "val_examples": len(val_ex), "seconds": round(time.monotonic() - T0, 2)}), flush=True)
        return 0
    val_before, decision_before = (None, None) if a.no_val_before else evaluate(
        torch, runner, val_ex, a.batch, pad_id, bf16, val_cache, val_decisions)  # the base: no free answers
    if val_before is not None:
        log(f"val loss before: {val_before:.4f}, decision score {fmt(decision_before)}")

    micro_per_epoch = math.ceil(len(train_ex) / a.batch)
    total_micro = max(1, round(micro_per_epoch * a.epochs))
    total_steps = math.ceil(total_micro / a.grad_accum)
    if a.steps is not None:
        total_steps = min(total_steps, max(1, a.steps))
        total_micro = min(total_micro, total_steps * a.grad_accum)
    warmup = max(1, round(total_steps * a.warmup)) if total_steps > 1 else 0

    def lr_at(step: int) -> float:  # linear warm-up, then cosine decay to 10%
        if step < warmup:
            return a.lr * (step + 1) / warmup
        frac = (step - warmup) / max(1, total_steps - warmup)
        return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=a.weight_decay, betas=(0.9, 0.999))
    checks = checkpoint_steps(total_steps, a.checkpoints) if val_ex else set()
    checkpoints: list[dict] = []
    best = None  # (score, step, parameters) of the best check so far
    gen = random.Random(a.seed)
    model.train()
    t_train = time.monotonic()
    step, micro, epoch = 0, 0, 0
    step_losses: list[float] = []
    acc_sum, acc_n = 0.0, 0
    # The logged step loss is token-weighted over the step's micro-batches.
    stream = None
    while micro < total_micro:
        if stream is None:
            groups = (length_groups if a.group_by_length else random_groups)(train_ex, a.batch, gen)
            epoch += 1
            stream = batches(train_ex, groups, pad_id)
        try:
            keys, ids, labels, weights = next(stream)
        except StopIteration:
            stream = None
            continue
        # Each micro-batch's mean answer-token loss, averaged over the step's micro-batches.
        s, n = answer_loss(torch, runner, ids, labels, bf16, keys, train_cache, weights)
        if n:
            (s / n / a.grad_accum).backward()
        acc_sum += float(s.detach())
        acc_n += n
        micro += 1
        if micro % a.grad_accum == 0 or micro == total_micro:
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            loss = acc_sum / max(1, acc_n)
            step_losses.append(loss)
            step += 1
            el = time.monotonic() - t_train
            log(
                f"step {step}/{total_steps} epoch {epoch} loss {loss:.4f} lr {lr_at(step - 1):.2e} "
                f"{el:.0f}s (eta {el / step * (total_steps - step):.0f}s) rss {peak_rss_mb():.0f}MB"
            )
            acc_sum, acc_n = 0.0, 0
            if step in checks:
                loss, decision = evaluate(torch, runner, val_ex, a.batch, pad_id, bf16, val_cache, val_decisions, free)
                checkpoints.append({"step": step, "val_loss": loss, "decision": decision})
                log(f"check at step {step}: val loss {loss:.4f}, decision score {fmt(decision)}")
                score = (decision or {}).get("score")
                score = -1.0 if score is None else score
                # Ties go to the later check: it has seen more of the data.
                if best is None or score >= best[0]:
                    best = (score, step, snapshot(model) if step < total_steps else None)
            if step >= total_steps:
                break
    train_seconds = time.monotonic() - t_train

    selected = checkpoints[-1] if checkpoints else None
    if best is not None and best[1] != step:
        restore(torch, model, best[2])
        selected = next(c for c in checkpoints if c["step"] == best[1])
        log(f"kept the parameters of step {best[1]} (best decision score {best[0]:.3f})")
    val_loss = selected["val_loss"] if selected else None
    if val_loss is not None:
        log(f"val loss after: {val_loss:.4f}")

    adapter = None
    if a.method == "lora":
        adapter = a.out / "adapter.safetensors"
        n = save_adapter(torch, model, adapter, {
            "format": "lookout-lora-v1", "r": a.lora_r, "alpha": a.lora_alpha,
            "targets": a.lora_targets, "base_sha256": file_sha256(a.base), "seed": a.seed,
        })
        log(f"saved {n} LoRA factor pairs to {adapter}")
        merge_lora(torch, model)
    model.config.use_cache = True
    hf_dir = a.out / "hf"
    save_hf(model, tok, hf_dir)
    log(f"saved {hf_dir}")

    # The train loss reported is the mean over the last epoch's steps (all steps if fewer).
    steps_per_epoch = max(1, math.ceil(micro_per_epoch / a.grad_accum))
    tail = step_losses[-steps_per_epoch:]
    report = {
        "steps": step,
        "train_loss": sum(tail) / len(tail) if tail else None,
        "first_loss": step_losses[0] if step_losses else None,
        "val_loss": val_loss,
        "val_loss_before": val_before,
        "decision": selected["decision"] if selected else None,
        "decision_before": decision_before,
        "selected_step": selected["step"] if selected else None,
        "checkpoints": checkpoints,
        "examples": len(train_ex),
        "val_examples": len(val_ex),
        "train_tokens": n_tokens,
        "answer_tokens": n_answer,
        "cut": cut,
        "shared_prefix_tokens": prefix,
        "method": a.method,
        "train_layers": top,
        "epochs": a.epochs,
        "lr": a.lr,
        "batch": a.batch,
        "bf16": bf16,
        "device": device.type,
        "grad_accum": a.grad_accum,
        "decision_weight": a.decision_weight,
        "decision_tokens": weighted,
        "train_seconds": round(train_seconds, 2),
        "seconds": round(time.monotonic() - T0, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "hf_dir": str(hf_dir.resolve()),
        "adapter": str(adapter.resolve()) if adapter else None,
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
