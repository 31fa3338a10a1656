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
import json
import math
import os
import random
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
# Prompt tokens always kept from the start (system prompt, chat header) when an example is cut.
KEEP_HEAD = 96


def log(msg: str) -> None:
    print(f"train: {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, type=Path, help="base model GGUF (any quantization transformers reads)")
    p.add_argument("--train", required=True, type=Path, help="chat-format JSONL ({'messages': [...]}) to train on")
    p.add_argument("--val", type=Path, help="chat-format JSONL for the validation loss")
    p.add_argument("--out", required=True, type=Path, help="output dir; the HF model goes to OUT/hf")
    p.add_argument("--method", choices=["full", "lora"], default="full")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, help="peak learning rate (default 5e-5 full, 2e-4 lora)")
    p.add_argument("--batch", type=int, default=1, help="examples per forward pass")
    p.add_argument("--grad-accum", type=int, default=4, help="forward passes per optimizer step")
    p.add_argument("--max-len", type=int, default=1024, help="tokens per example (longer prompts are cut in the middle)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--steps", type=int, help="stop after this many optimizer steps (tests)")
    p.add_argument("--warmup", type=float, default=0.05, help="warm-up fraction of the steps")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=float, default=32.0)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--lora-targets", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    p.add_argument("--grad-ckpt", action="store_true", help="gradient checkpointing (less memory, ~30%% slower)")
    p.add_argument("--no-bf16", action="store_true", help="train in float32 (no bf16 autocast)")
    p.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    p.add_argument("--no-val-before", action="store_true", help="skip the validation loss before training")
    a = p.parse_args(argv)
    if a.lr is None:
        a.lr = 5e-5 if a.method == "full" else 2e-4
    for name in ("batch", "grad_accum", "max_len"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if a.max_len <= KEEP_HEAD + 16:
        p.error(f"--max-len must be more than {KEEP_HEAD + 16}")
    if a.epochs <= 0:
        p.error("--epochs must be positive")
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


def encode(tok, msgs: list[dict], max_len: int) -> tuple[Example, bool]:
    """Token ids and labels (IGNORE on the prompt) of one conversation; True when it was cut."""
    prompt = tok.apply_chat_template(msgs[:-1], add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(msgs, tokenize=False)
    if full.startswith(prompt):
        answer = full[len(prompt):]
    else:  # a template that renders the history differently once an answer follows
        answer = msgs[-1]["content"] + (tok.eos_token or "")
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(answer, add_special_tokens=False)["input_ids"]
    cut = False
    if len(p_ids) + len(a_ids) > max_len:
        cut = True
        # Keep the answer whole when it fits beside the prompt's head; cut the prompt's middle.
        a_ids = a_ids[: max_len - KEEP_HEAD - 16]
        room = max_len - len(a_ids)
        if len(p_ids) > room:
            tail = room - KEEP_HEAD
            p_ids = p_ids[:KEEP_HEAD] + p_ids[len(p_ids) - tail:]
    return Example(p_ids + a_ids, [IGNORE] * len(p_ids) + list(a_ids)), cut


def load_base(path: Path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = path.resolve()
    if not path.is_file():
        raise SystemExit(f"train: base model {path} not found")
    t = time.monotonic()
    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, torch_dtype=torch.float32)
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
    for p in model.parameters():
        p.requires_grad_(False)
    n = 0
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in targets and isinstance(child, torch.nn.Linear):
                setattr(module, child_name, cls(child, r, alpha, dropout))
                n += 1
    if n == 0:
        raise SystemExit(f"train: no LoRA target among {sorted(targets)} in the model")
    return n


def merge_lora(torch, model) -> None:
    cls_name = "_LoRALinear"
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if type(child).__name__ == cls_name:
                setattr(module, child_name, child.merged())


def batches(examples: list[Example], batch: int, pad_id: int, order: list[int]):
    import torch

    for i in range(0, len(order), batch):
        chunk = [examples[j] for j in order[i:i + batch]]
        width = max(len(e.ids) for e in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for k, e in enumerate(chunk):
            ids[k, : len(e.ids)] = torch.tensor(e.ids)
            labels[k, : len(e.labels)] = torch.tensor(e.labels)
            mask[k, : len(e.ids)] = 1
        yield ids, labels, mask


def answer_loss(torch, model, ids, labels, mask, bf16: bool):
    """Summed cross-entropy over the answer tokens and their count. The vocabulary projection
    runs only on the positions that predict an answer token (most of a sequence is prompt)."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        target = labels[:, 1:]
        keep = target != IGNORE
        h = hidden[:, :-1][keep]
        logits = model.lm_head(h).float()
    tgt = target[keep]
    return torch.nn.functional.cross_entropy(logits, tgt, reduction="sum"), int(tgt.numel())


def evaluate(torch, model, examples: list[Example], batch: int, pad_id: int, bf16: bool) -> float | None:
    if not examples:
        return None
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for ids, labels, mask in batches(examples, batch, pad_id, list(range(len(examples)))):
            s, n = answer_loss(torch, model, ids, labels, mask, bf16)
            total += float(s)
            count += n
    model.train()
    return total / count if count else None


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    import numpy as np
    import torch

    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    bf16 = not a.no_bf16

    train_msgs = read_jsonl(a.train)
    val_msgs = read_jsonl(a.val) if a.val and a.val.exists() else []
    if not train_msgs:
        raise SystemExit(f"train: {a.train} has no examples")

    tok, model = load_base(a.base)
    pad_id = tok.pad_token_id
    train_ex, val_ex, cut = [], [], 0
    for msgs in train_msgs:
        e, c = encode(tok, msgs, a.max_len)
        train_ex.append(e)
        cut += c
    for msgs in val_msgs:
        e, c = encode(tok, msgs, a.max_len)
        val_ex.append(e)
        cut += c
    n_tokens = sum(len(e.ids) for e in train_ex)
    n_answer = sum(sum(1 for x in e.labels if x != IGNORE) for e in train_ex)
    log(
        f"{len(train_ex)} train / {len(val_ex)} val examples; {n_tokens} train tokens "
        f"({n_answer} answer tokens), {cut} cut to --max-len {a.max_len}"
    )

    if a.method == "lora":
        n = add_lora(torch, model, set(a.lora_targets.split(",")), a.lora_r, a.lora_alpha, a.lora_dropout)
        log(f"LoRA r={a.lora_r} alpha={a.lora_alpha} on {n} linear layers")
    params = [p for p in model.parameters() if p.requires_grad]
    log(f"training {sum(p.numel() for p in params) / 1e6:.2f}M parameters ({a.method})")
    if a.grad_ckpt:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if a.method == "lora":
            model.enable_input_require_grads()
    model.config.use_cache = False

    val_before = None if a.no_val_before else evaluate(torch, model, val_ex, a.batch, pad_id, bf16)
    if val_before is not None:
        log(f"val loss before: {val_before:.4f}")

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
    gen = random.Random(a.seed)
    model.train()
    t_train = time.monotonic()
    step, micro, epoch = 0, 0, 0
    step_losses: list[float] = []
    acc_sum, acc_n = 0.0, 0
    # The logged step loss is token-weighted over the step's micro-batches.
    order: list[int] = []
    while micro < total_micro:
        if not order:
            order = list(range(len(train_ex)))
            gen.shuffle(order)
            epoch += 1
            stream = batches(train_ex, a.batch, pad_id, order)
        try:
            ids, labels, mask = next(stream)
        except StopIteration:
            order = []
            continue
        # Each micro-batch's mean answer-token loss, averaged over the step's micro-batches.
        s, n = answer_loss(torch, model, ids, labels, mask, bf16)
        if n:
            (s / n / a.grad_accum).backward()
        acc_sum += float(s)
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
            if step >= total_steps:
                break
    train_seconds = time.monotonic() - t_train

    val_loss = evaluate(torch, model, val_ex, a.batch, pad_id, bf16)
    if val_loss is not None:
        log(f"val loss after: {val_loss:.4f}")

    if a.method == "lora":
        merge_lora(torch, model)
    if a.grad_ckpt:
        model.gradient_checkpointing_disable()
    model.config.use_cache = True
    hf_dir = a.out / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(hf_dir), safe_serialization=True)
    tok.save_pretrained(str(hf_dir))
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
        "examples": len(train_ex),
        "val_examples": len(val_ex),
        "train_tokens": n_tokens,
        "answer_tokens": n_answer,
        "cut": cut,
        "method": a.method,
        "epochs": a.epochs,
        "lr": a.lr,
        "batch": a.batch,
        "grad_accum": a.grad_accum,
        "train_seconds": round(train_seconds, 2),
        "seconds": round(time.monotonic() - T0, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "hf_dir": str(hf_dir.resolve()),
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
