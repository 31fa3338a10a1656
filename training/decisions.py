"""The validation answers' decisions, checked with teacher forcing: for every validation answer,
whether the model's most likely next token is the answer's own at each token that spells its
technique list (brackets included, so that an empty list `[]` is a decision too), its cause and
its risk level. Cheap: the same forward pass as the validation loss.

Why: the validation loss is an average over ~130 answer tokens, nearly all of them the summary's
wording. Two runs of the same recipe and data reached the same validation loss (0.542 / 0.543)
while one of them had stopped naming techniques (real captures: technique partial 0.00 against
0.14). The score below looks only at the decisions, so train.py can keep the checkpoint, and
`make model` the run, that decides best.

The score is the mean of three shares, each over the validation answers where it applies:
technique lists that name a technique spelled right, empty technique lists kept empty, and the
cause spelled right (balanced over the causes present). Risk is reported, not scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = {
    "techniques": re.compile(r'"techniques"\s*:\s*(\[[^\]]*\])'),
    "cause": re.compile(r'"cause"\s*:\s*"([^"]*)"'),
    "risk": re.compile(r'"risk_level"\s*:\s*"([^"]*)"'),
}
TECHNIQUE_ID = re.compile(r"T\d{4}")


@dataclass
class Decisions:
    """Where one answer spells its decisions: answer-token indices per field."""

    positions: dict[str, list[int]] = field(default_factory=dict)
    cause: str | None = None
    # Whether the technique list names a technique (None: no list found).
    named: bool | None = None


def decision_positions(tok, answer: str, a_ids: list[int]) -> Decisions:
    """The answer tokens that overlap each decision's text; none when the tokenizer gives no
    offsets or tokenizes the answer text differently from `a_ids`."""
    try:
        enc = tok(answer, add_special_tokens=False, return_offsets_mapping=True)
    except (NotImplementedError, ValueError, TypeError):
        return Decisions()
    if list(enc["input_ids"]) != list(a_ids):
        return Decisions()
    offsets = enc["offset_mapping"]
    d = Decisions()
    for name, rx in FIELDS.items():
        m = rx.search(answer)
        if not m or m.start(1) == m.end(1):
            continue
        s, e = m.span(1)
        d.positions[name] = [i for i, (a, b) in enumerate(offsets) if a < e and s < b]
        if name == "cause":
            d.cause = m.group(1)
        elif name == "techniques":
            d.named = bool(TECHNIQUE_ID.search(m.group(1)))
    return d


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def score(checked: list[tuple[Decisions, list[bool]]]) -> dict:
    """The decision report of (decisions, per answer token: was it the model's most likely)
    pairs. A field whose tokens were cut from the example (a long answer) is not counted."""
    named, empty, risk = [], [], []
    by_cause: dict[str, list[bool]] = {}
    for d, correct in checked:

        def right(name: str) -> bool | None:
            idx = d.positions.get(name)
            if not idx or max(idx) >= len(correct):
                return None
            return all(correct[i] for i in idx)

        t = right("techniques")
        if t is not None and d.named is not None:
            (named if d.named else empty).append(t)
        c = right("cause")
        if c is not None and d.cause is not None:
            by_cause.setdefault(d.cause, []).append(c)
        r = right("risk")
        if r is not None:
            risk.append(r)
    causes = {k: _mean(v) for k, v in sorted(by_cause.items())}
    cause_balanced = _mean(list(causes.values()))
    return {
        "score": _mean([_mean(named), _mean(empty), cause_balanced]),
        "techniques_named": _mean(named),
        "techniques_named_n": len(named),
        "techniques_empty": _mean(empty),
        "techniques_empty_n": len(empty),
        "cause_balanced": cause_balanced,
        "cause": causes,
        "risk": _mean(risk),
        "answers": len(checked),
    }
