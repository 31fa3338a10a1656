"""A training forward pass for Llama-architecture models that shares the common prompt prefix.

Every example lookout exports starts with the same tokens (the assessor's fixed system prompt and
the chat header): a third or more of each sequence. This runner computes that prefix once and
lets each example's remaining tokens (its suffix) attend to the prefix's keys and values:

- in the frozen bottom layers (`--train-layers K` freezes all but the top K), the prefix is
  computed once for the whole run, and the suffix runs without autograd;
- in the trained top layers the prefix depends on the weights being trained, so it is computed
  once per micro-batch (with gradients) and shared by the micro-batch's examples.

It drives the Hugging Face model's own modules (norms, projections, rotary embedding), so
training updates the model that is saved, LoRA wrappers included. `check_against_hf` compares its
logits with the model's own forward pass: train.py runs it before training.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class PrefixRunner:
    def __init__(self, model, first_trained_layer: int, grad_ckpt: bool = False, device=None):
        cfg = model.config
        self.model = model
        # Where the model's weights are (train.py makes new tensors there by default).
        self.device = device if device is not None else next(model.parameters()).device
        self.layers = list(model.model.layers)
        self.k0 = first_trained_layer
        self.n_heads = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.grad_ckpt = grad_ckpt
        self.prefix_ids: list[int] = []
        self.bottom_kv: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.prefix_boundary: torch.Tensor | None = None  # prefix hidden state entering layer k0

    # -- pieces ---------------------------------------------------------------------------------

    def rope(self, h: torch.Tensor, start: int, length: int):
        pos = torch.arange(start, start + length, device=self.device).unsqueeze(0)
        cos, sin = self.model.model.rotary_emb(h, pos)
        return cos.unsqueeze(1), sin.unsqueeze(1)

    def layer(self, idx: int, h, cos, sin, past, mask):
        """One decoder layer on h (B, T, hidden) after `past` (keys, values of earlier positions,
        batch 1). Returns the new hidden state and this chunk's keys and values."""
        layer = self.layers[idx]
        attn = layer.self_attn
        b, t, _ = h.shape
        x = layer.input_layernorm(h)
        q = attn.q_proj(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = attn.k_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        v = attn.v_proj(x).view(b, t, self.n_kv, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            pk, pv = past
            kk = torch.cat([pk.expand(b, -1, -1, -1).to(k.dtype), k], dim=2)
            vv = torch.cat([pv.expand(b, -1, -1, -1).to(v.dtype), v], dim=2)
        else:
            kk, vv = k, v
        rep = self.n_heads // self.n_kv
        if rep > 1:
            kk = kk.repeat_interleave(rep, dim=1)
            vv = vv.repeat_interleave(rep, dim=1)
        o = F.scaled_dot_product_attention(q, kk, vv, attn_mask=mask, is_causal=mask is None)
        h = h + attn.o_proj(o.transpose(1, 2).reshape(b, t, self.n_heads * self.head_dim))
        x = layer.post_attention_layernorm(h)
        mlp = layer.mlp
        h = h + mlp.down_proj(mlp.act_fn(mlp.gate_proj(x)) * mlp.up_proj(x))
        return h, k, v

    def run_layers(self, lo: int, hi: int, h, start: int, pasts, train: bool):
        """Layers lo..hi on a chunk at positions start.. that follows `pasts[i]` (or nothing)."""
        t = h.shape[1]
        cos, sin = self.rope(h, start, t)
        mask = None
        if pasts is not None and start > 0:
            # Every suffix position sees the whole prefix, and itself and what precedes it.
            mask = torch.ones(t, start + t, dtype=torch.bool, device=self.device).tril(diagonal=start)
        kvs = []
        for i in range(lo, hi):
            past = pasts[i - lo] if pasts is not None else None
            if train and self.grad_ckpt:
                h, k, v = torch.utils.checkpoint.checkpoint(
                    self.layer, i, h, cos, sin, past, mask, use_reentrant=False
                )
            else:
                h, k, v = self.layer(i, h, cos, sin, past, mask)
            kvs.append((k, v))
        return h, kvs

    # -- the prefix -----------------------------------------------------------------------------

    def set_prefix(self, ids: list[int]) -> None:
        """Computes the shared prefix through the frozen bottom layers, once."""
        self.prefix_ids = list(ids)
        self.bottom_kv, self.prefix_boundary = [], None
        if not ids:
            return
        with torch.no_grad():
            h = self.model.model.embed_tokens(torch.tensor([ids], device=self.device))
            if self.k0 > 0:
                h, self.bottom_kv = self.run_layers(0, self.k0, h, 0, None, train=False)
            self.prefix_boundary = h.detach()

    # -- a micro-batch --------------------------------------------------------------------------

    def bottom(self, suffix: torch.Tensor) -> torch.Tensor:
        """Suffix tokens (B, S) through the embeddings and the frozen bottom: layer k0's input."""
        p = len(self.prefix_ids)
        trained_embeddings = self.k0 == 0 and self.model.model.embed_tokens.weight.requires_grad
        with torch.set_grad_enabled(trained_embeddings and torch.is_grad_enabled()):
            h = self.model.model.embed_tokens(suffix)
        if self.k0 == 0:
            return h
        with torch.no_grad():
            pasts = self.bottom_kv if p else None
            h, _ = self.run_layers(0, self.k0, h, p, pasts, train=False)
        return h.detach()

    def top(self, boundary: torch.Tensor) -> torch.Tensor:
        """Layer k0's input for the suffix (B, S, hidden) through the trained layers and the final
        norm. The prefix is recomputed here when the layers it goes through are trained."""
        p = len(self.prefix_ids)
        pasts = None
        train = torch.is_grad_enabled()
        if p:
            if self.k0 == 0:
                ph = self.model.model.embed_tokens(torch.tensor([self.prefix_ids], device=self.device))
            else:
                ph = self.prefix_boundary
            _, pasts = self.run_layers(self.k0, len(self.layers), ph, 0, None, train)
        h, _ = self.run_layers(self.k0, len(self.layers), boundary, p, pasts, train)
        return self.model.model.norm(h)

    def hidden(self, suffix: torch.Tensor, keys: list | None = None, cache: dict | None = None) -> torch.Tensor:
        """The final hidden states of suffixes (B, S). With `cache` and one key per row, the frozen
        bottom's output is kept per example and reused (later epochs, the second validation)."""
        if cache is None or keys is None or self.k0 == 0:
            return self.top(self.bottom(suffix))
        missing = [i for i, k in enumerate(keys) if k not in cache]
        if missing:
            h = self.bottom(suffix[missing])
            for row, i in enumerate(missing):
                cache[keys[i]] = h[row].clone()
        width = suffix.shape[1]
        rows = []
        for k in keys:
            c = cache[k]
            if c.shape[0] < width:  # the same example padded wider in this batch
                c = torch.cat([c, c.new_zeros(width - c.shape[0], c.shape[1])])
            rows.append(c[:width])
        return self.top(torch.stack(rows))


def check_against_hf(model, ids: list[int], prefix_len: int, k0: int) -> float:
    """Largest absolute difference between the runner's logits and the model's own forward pass
    on one sequence split after `prefix_len` tokens (float32, no autograd)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            full = torch.tensor([ids], device=next(model.parameters()).device)
            ref = model(input_ids=full).logits[0, prefix_len:]
            r = PrefixRunner(model, k0)
            r.set_prefix(ids[:prefix_len])
            got = model.lm_head(r.hidden(full[:, prefix_len:]))[0]
        return float((ref - got).abs().max())
    finally:
        model.train(was_training)
