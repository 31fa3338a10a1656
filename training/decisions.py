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
technique lists that name techniques begun right (the list opened and its first id spelled as
the answer's: what eval's "partial" asks of a list, at least one right id, as far as a
teacher-forced check can tell), empty technique lists kept empty, and the cause right (balanced
over the causes present). Whole lists spelled right and risk are reported, not scored.

Teacher forcing checks the cause given the answer's own summary, which nearly gives it away
(every trained run scores ~1.0 there). With `free` answers (a few validation prompts answered
greedily by the model, train.py --free-answers) the cause share is theirs instead: the cause the
model reaches after writing its own summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = {
    "techniques": re.compile(r'"techniques"\s*:\s*(\[[^\]]*\])'),
    "cause": re.compile(r'"cause"\s*:\s*"([^"]*)"'),
    "risk": re.compile(r'"risk_level"\s*:\s*"([^"]*)"'),
}
TECHNIQUE_ID = re.compile(r"T\d{4}(?:\.\d{3})?")


@dataclass
class Decisions:
    """Where one answer spells its decisions: answer-token indices per field."""

    positions: dict[str, list[int]] = field(default_factory=dict)
    cause: str | None = None
    # Whether the technique list names a technique (None: no list found).
    named: bool | None = None
    techniques: set[str] = field(default_factory=set)


def answer_offsets(tok, answer: str, a_ids: list[int]) -> list[tuple[int, int]] | None:
    """Each answer token's character span in `answer`; None when the tokenizer gives no offsets
    or tokenizes the text differently from `a_ids` (then no token can be tied to a decision)."""
    try:
        enc = tok(answer, add_special_tokens=False, return_offsets_mapping=True)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if list(enc["input_ids"]) != list(a_ids):
        return None
    return list(enc["offset_mapping"])


def overlaps(token: tuple[int, int], span: tuple[int, int]) -> bool:
    """Whether a token's characters overlap a span of the answer text."""
    return token[0] < span[1] and span[0] < token[1]


def decision_positions(tok, answer: str, a_ids: list[int]) -> Decisions:
    """The answer tokens that overlap each decision's text; none when the tokens cannot be tied
    to the text (`answer_offsets`)."""
    offsets = answer_offsets(tok, answer, a_ids)
    if offsets is None:
        return Decisions()
    over = lambda span: [i for i, t in enumerate(offsets) if overlaps(t, span)]
    d = Decisions()
    for name, rx in FIELDS.items():
        m = rx.search(answer)
        if not m or m.start(1) == m.end(1):
            continue
        s, e = m.span(1)
        d.positions[name] = over((s, e))
        first = TECHNIQUE_ID.search(m.group(1)) if name == "techniques" else None
        if first:  # from the bracket to the end of the first id
            d.positions["first_technique"] = over((s, s + first.end()))
        if name == "cause":
            d.cause = m.group(1)
        elif name == "techniques":
            d.techniques = set(TECHNIQUE_ID.findall(m.group(1)))
            d.named = bool(d.techniques)
    return d


def parse_answer(text: str) -> tuple[str | None, set[str] | None]:
    """The cause and the technique ids of a generated answer (None where it has none)."""
    c = FIELDS["cause"].search(text)
    t = FIELDS["techniques"].search(text)
    return (c.group(1) if c else None), (set(TECHNIQUE_ID.findall(t.group(1))) if t else None)


def free_choice(decisions: list[Decisions], n: int) -> list[int]:
    """Up to `n` validation answers to decode freely: the causes in turn, each in file order,
    so that every cause present is checked."""
    by_cause: dict[str, list[int]] = {}
    for i, d in enumerate(decisions):
        if d.cause is not None and d.named is not None:
            by_cause.setdefault(d.cause, []).append(i)
    queues = [q for _, q in sorted(by_cause.items())]
    out: list[int] = []
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop(0))
    return sorted(out)


def score_free(answers: list[tuple[Decisions, str]]) -> dict:
    """Freely decoded answers against their validation answers: the cause (balanced over the
    causes), a right technique among those named (where the answer names some), none named
    (where it names none), and how many answers had no readable cause."""
    named, empty = [], []
    by_cause: dict[str, list[bool]] = {}
    unreadable = 0
    for d, text in answers:
        cause, techniques = parse_answer(text)
        if cause is None:
            unreadable += 1
        by_cause.setdefault(d.cause, []).append(cause == d.cause)
        if d.named:
            named.append(bool(techniques and techniques & d.techniques))
        elif d.named is not None:
            empty.append(not techniques)
    causes = {k: _mean(v) for k, v in sorted(by_cause.items())}
    return {
        "cause_balanced": _mean(list(causes.values())),
        "cause": causes,
        "techniques_named": _mean(named),
        "techniques_empty": _mean(empty),
        "unreadable": unreadable,
        "answers": len(answers),
    }


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def score(checked: list[tuple[Decisions, list[bool]]], free: list[tuple[Decisions, str]] | None = None) -> dict:
    """The decision report of (decisions, per answer token: was it the model's most likely)
    pairs, and of the freely decoded answers when there are some. A field whose tokens were cut
    from the example (a long answer) is not counted."""
    named, named_all, empty, risk = [], [], [], []
    by_cause: dict[str, list[bool]] = {}
    for d, correct in checked:

        def right(name: str) -> bool | None:
            idx = d.positions.get(name)
            if not idx or max(idx) >= len(correct):
                return None
            return all(correct[i] for i in idx)

        t = right("techniques")
        if t is not None and d.named:
            named_all.append(t)
            named.append(right("first_technique"))
        elif t is not None and d.named is not None:
            empty.append(t)
        c = right("cause")
        if c is not None and d.cause is not None:
            by_cause.setdefault(d.cause, []).append(c)
        r = right("risk")
        if r is not None:
            risk.append(r)
    causes = {k: _mean(v) for k, v in sorted(by_cause.items())}
    cause_balanced = _mean(list(causes.values()))
    report_free = score_free(free) if free else None
    scored_cause = report_free["cause_balanced"] if report_free else cause_balanced
    return {
        "score": _mean([_mean(named), _mean(empty), scored_cause]),
        "free": report_free,
        "techniques_named": _mean(named),
        "techniques_named_n": len(named),
        "techniques_named_whole": _mean(named_all),
        "techniques_empty": _mean(empty),
        "techniques_empty_n": len(empty),
        "cause_balanced": cause_balanced,
        "cause": causes,
        "risk": _mean(risk),
        "answers": len(checked),
    }
