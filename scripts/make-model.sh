#!/usr/bin/env bash
# `make model`: rebuilds lookout's tuned default model from scratch on this machine's CPU and
# prints its wall time. Steps (each one a lookout command, so the recipe is the product's own):
#   1. `lookout synth` turns Atomic Red Team procedures into verified, labelled sessions (plus
#      benign and misconfiguration ones) in a scratch case; every 10th technique is held out.
#   2. `lookout train --method lora` tunes the base model (the PyPI Q4_1 GGUF) on a cause-balanced
#      sample of them with grounded target answers (src/learn/target.rs).
#   3. The LoRA factors (a few MB) go to models/lookout-tuned/adapter.safetensors with
#      manifest.json (recipe, data, figures, sha256 of the adapter and of the merged model);
#      scripts/setup-model.sh then merges them into the base (scripts/merge_adapter.py), as
#      `make setup` does on every machine.
# Environment: ATOMICS, SIGMA (rule folders for synth's verification), EXAMPLES (training
# examples, default 1600), EPOCHS (1), LR (4e-4), MAX_LEN (1024), COUNT (sessions per atomic test, 2),
# BENIGN (copies of each benign and misconfiguration scenario, 12), MAX_VAL (validation examples,
# 150), REAL (1: half of the shared labelled corpora's captures join training), DECISION_WEIGHT (loss weight of the answer's cause/risk/technique tokens, 4), SEED,
# VARY_NAMES (1: the synthetic estate's names vary per session, `train --vary-names`; 0),
# TRAIN_SEED (the training run's own seed, `train --seed`: LoRA initialisation and batch order; 42),
# TRAIN_SEEDS (several runs, one per seed, on the same examples; the run whose kept parameters
# have the best validation decision score ships; default: TRAIN_SEED alone), CHECKPOINTS
# (validation checks per run, the best kept: `train --checkpoints`; 3), FREE_ANSWERS (validation
# prompts the model answers itself at each check, for the score's cause: `train --free-answers`; 30),
# WITHHOLD_RULES (share of sessions whose training prompt shows no rule hits: `train --withhold-rules`; 0),
# BUILTIN_VIEW (share of synthetic sessions whose prompt shows only the built-in rules' hits, as
# the default config does: `train --builtin-view`; 0.5),
# TRAIN_DEVICE (`train --device`: auto = a CUDA GPU when PyTorch sees one, else the CPU; cpu; cuda),
# EXPORT_ONLY (1: stop after writing the training set, to train it on another machine, e.g. one
# with a GPU: training/README.md, "On a GPU machine"), RUNS_FROM (a file of `SEED RUN_DIR` lines,
# each RUN_DIR holding a run's adapter.safetensors and report.json: ship the best of those runs
# instead of training here; the same WORK as the EXPORT_ONLY run),
# WORK (scratch dir), LOOKOUT.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
shared="${LOOKOUT_SHARED:-$repo/../shared}"
ATOMICS="${ATOMICS:-$shared/datasets/atomic-red-team/atomics}"
SIGMA="${SIGMA:-$shared/datasets/sigmahq/rules}"
EXAMPLES="${EXAMPLES:-1600}"
EPOCHS="${EPOCHS:-1}"
LR="${LR:-4e-4}"
MAX_LEN="${MAX_LEN:-1024}"
SEED="${SEED:-1}"
COUNT="${COUNT:-2}"
BENIGN="${BENIGN:-12}"
MAX_VAL="${MAX_VAL:-150}"
REAL="${REAL:-1}"
DECISION_WEIGHT="${DECISION_WEIGHT:-4}"
VARY_NAMES="${VARY_NAMES:-0}"
TRAIN_SEED="${TRAIN_SEED:-42}"
TRAIN_SEEDS="${TRAIN_SEEDS:-$TRAIN_SEED}"
CHECKPOINTS="${CHECKPOINTS:-3}"
FREE_ANSWERS="${FREE_ANSWERS:-30}"
WITHHOLD_RULES="${WITHHOLD_RULES:-0}"
BUILTIN_VIEW="${BUILTIN_VIEW:-0.5}"
TRAIN_DEVICE="${TRAIN_DEVICE:-auto}"
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/lookout-model.XXXXXX")}"
LOOKOUT="${LOOKOUT:-${CARGO_TARGET_DIR:-$HOME/.cache/lookout-target}/debug/lookout}"
out="$repo/models/lookout-tuned"
base="$repo/models/SmolLM2-135M-Instruct.Q4_1.gguf"

say() { echo "make-model: $*" >&2; }
[[ -d "$ATOMICS" ]] || { say "no Atomic Red Team atomics at $ATOMICS (set ATOMICS)"; exit 1; }
[[ -f "$base" ]] || { say "no base model at $base: run \`make setup\` first"; exit 1; }
[[ -x "$LOOKOUT" ]] || { say "no lookout binary at $LOOKOUT: run \`make build\` (or set LOOKOUT)"; exit 1; }
started=$(date +%s)
export LOOKOUT_DATA_DIR="$WORK/data"
# The training venv (~3 GB) is the user's usual one, not one in the scratch data dir.
export LOOKOUT_TRAIN_VENV="${LOOKOUT_TRAIN_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/lookout/train-venv}"
mkdir -p "$LOOKOUT_DATA_DIR"

# 1. Techniques by parent (T1003 with its sub-techniques), every 10th parent held out whole.
# (atomics/T1003.001.yaml, or atomics/T1003.001/T1003.001.yaml as in the upstream repository)
find "$ATOMICS" -maxdepth 1 -name 'T[0-9]*' -printf '%f\n' | cut -d. -f1 | sort -u \
  > "$WORK/techniques.txt"
[[ -s "$WORK/techniques.txt" ]] || { say "no techniques (T*.yaml or T*/) in $ATOMICS"; exit 1; }
awk 'NR % 10 == 0' "$WORK/techniques.txt" > "$WORK/held-out.txt"
awk 'NR % 10 != 0' "$WORK/techniques.txt" > "$WORK/trained.txt"
say "$(wc -l < "$WORK/trained.txt") techniques to synthesize, $(wc -l < "$WORK/held-out.txt") held out; work dir $WORK"
rules=()
[[ -d "$SIGMA" ]] && rules=(--rules "$SIGMA")
if [[ -s "$WORK/synth-report.json" && -d "$LOOKOUT_DATA_DIR/cases/synth" ]]; then
  say "reusing the synthetic case in $WORK"
else
  # shellcheck disable=SC2046
  "$LOOKOUT" --case synth synth $(cat "$WORK/trained.txt") --atomics "$ATOMICS" "${rules[@]}" \
    --count "$COUNT" --benign "$BENIGN" --seed "$SEED" --out "$WORK/synth" --into-case synth --json \
    > "$WORK/synth-report.json"
fi

# 1b. Real captures: the shared labelled corpora, split by capture (a hash of the file's path):
# the first half joins training as labelled cases, the other half is never trained on and is
# where the tuned model's real-capture figures come from (models/lookout-tuned/real-*.txt).
# (synth's labels are each session's own: `--include-synthetic` splits them one by one.)
cases=(--include-synthetic synth)
if [[ "$REAL" == 1 ]]; then
  for corpus in evtx-attack security-datasets; do
    dir="$shared/datasets/$corpus"
    [[ -f "$dir/labels.tsv" ]] || { say "no $dir/labels.tsv: set REAL=0 to train on synthetic sessions only"; exit 1; }
    : > "$WORK/$corpus-train.txt"; : > "$WORK/$corpus-held-out.txt"
    tail -n +2 "$dir/labels.tsv" | cut -f1 | sort | while IFS= read -r f; do
      case "$(printf '%s' "$f" | sha256sum | cut -c1)" in
        [0-7]) echo "$f" >> "$WORK/$corpus-train.txt" ;;
        *) echo "$f" >> "$WORK/$corpus-held-out.txt" ;;
      esac
    done
    if [[ ! -d "$LOOKOUT_DATA_DIR/cases/real-$corpus" ]]; then
      # The same rules as the synthetic sessions were verified with (ingest reads them from a config).
      printf '[rules]\ndirs = [%s]\n' "$([[ -d "$SIGMA" ]] && printf '"%s"' "$SIGMA")" > "$WORK/rules.toml"
      sed "s|^|$dir/|" "$WORK/$corpus-train.txt" | tr '\n' '\0' \
        | xargs -0 "$LOOKOUT" --case "real-$corpus" --config "$WORK/rules.toml" ingest \
          --labels "$dir/labels.tsv" >&2
    fi
    cases+=(--include-case "real-$corpus")
    say "$corpus: $(wc -l < "$WORK/$corpus-train.txt") captures for training, $(wc -l < "$WORK/$corpus-held-out.txt") held out"
  done
fi

# 2. Train the adapter: one run per seed on the same examples (the first run exports them), each
# keeping its checkpoint with the best validation decision score; the best run ships. Runs of
# one recipe differ a lot in how they name techniques, and the validation loss does not see it
# (training/decisions.py).
vary=()
[[ "$VARY_NAMES" == 1 ]] && vary=(--vary-names)
dataset=()
if [[ "${EXPORT_ONLY:-0}" == 1 ]]; then
  "$LOOKOUT" --case synth train "${cases[@]}" --method lora --out lookout-tuned \
    --max-examples "$EXAMPLES" --max-val "$MAX_VAL" --withhold-rules "$WITHHOLD_RULES" \
    --builtin-view "$BUILTIN_VIEW" --export-only "${vary[@]}"
  say "training set written in $LOOKOUT_DATA_DIR/train-data/lookout-tuned/dataset ($(( $(date +%s) - started )) s)"
  exit 0
fi
if [[ -n "${RUNS_FROM:-}" ]]; then
  TRAIN_SEEDS=""
  cp "$RUNS_FROM" "$WORK/runs.txt"
else
  : > "$WORK/runs.txt"
fi
for train_seed in $TRAIN_SEEDS; do
  "$LOOKOUT" --case synth train "${cases[@]}" --method lora --out lookout-tuned \
    --base "$base" --max-examples "$EXAMPLES" --epochs "$EPOCHS" --lr "$LR" --max-len "$MAX_LEN" \
    --max-val "$MAX_VAL" --decision-weight "$DECISION_WEIGHT" --eval-sample 0 --replace \
    --seed "$train_seed" --checkpoints "$CHECKPOINTS" --free-answers "$FREE_ANSWERS" \
    --withhold-rules "$WITHHOLD_RULES" --builtin-view "$BUILTIN_VIEW" --device "$TRAIN_DEVICE" "${dataset[@]}" \
    "${vary[@]}"
  run="$(ls -td "$LOOKOUT_DATA_DIR"/train-runs/*/ | head -n 1)"
  [[ -f "$run/adapter.safetensors" ]] || { say "the run left no adapter in $run"; exit 1; }
  echo "$train_seed $run" >> "$WORK/runs.txt"
  dataset=(--dataset "$LOOKOUT_DATA_DIR/train-data/lookout-tuned/dataset")
done
# The run to ship: the best decision score (the first run on a tie).
run=""
read -r TRAIN_SEED run < <(python3 - "$WORK/runs.txt" <<'PY'
import json, os, sys
best = None
for line in open(sys.argv[1]).read().splitlines():
    seed, run = line.split(" ", 1)
    train = json.load(open(f"{run}/report.json")).get("train", {})
    decision = train.get("decision") or {}
    score = decision.get("score")
    print(f"make-model: seed {seed}: validation decision score {score}, step {train.get('selected_step')} "
          f"of {train.get('steps')}, val loss {train.get('val_loss')}", file=sys.stderr)
    score = -1.0 if score is None else score
    if best is None or score > best[0]:
        best = (score, seed, run, decision)
named = best[3].get("techniques_named")
if named == 0.0 and os.environ.get("FORCE") != "1":
    # Two runs of the shipped recipe ended like this (seeds 42 and 7, session 18): on held-out
    # real captures such a model named no right technique (partial 0.00, tactic 0.03).
    print("make-model: the best run begins no named technique list right on the validation set "
          "(techniques_named 0.00): not replacing models/lookout-tuned/ (FORCE=1 ships it anyway; "
          "try other TRAIN_SEEDS)", file=sys.stderr)
    sys.exit(1)
print(best[1], best[2])
PY
)
[[ -f "$run/adapter.safetensors" ]] || { say "no run to ship"; exit 1; }
say "shipping the run of seed $TRAIN_SEED ($run)"

# 3. Ship: adapter + manifest, then merge as set-up does and record the result's sha256.
mkdir -p "$out"
cp "$run/adapter.safetensors" "$out/adapter.safetensors"
cp "$WORK/held-out.txt" "$out/held-out-techniques.txt"
# Every technique a training answer names: `lookout eval --trained-techniques` scores the
# sessions whose techniques are all outside it apart (synthetic -> real on unseen techniques).
python3 - "$LOOKOUT_DATA_DIR/train-data/lookout-tuned/dataset/train.jsonl" \
  > "$out/trained-techniques.txt" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        answer = [m for m in json.loads(line)["messages"] if m["role"] == "assistant"][0]
        seen.update(json.loads(answer["content"]).get("techniques", []))
print("\n".join(sorted(seen)))
PY
rm -f "$out"/real-*.txt
for corpus in evtx-attack security-datasets; do
  for half in train held-out; do
    [[ -f "$WORK/$corpus-$half.txt" ]] && cp "$WORK/$corpus-$half.txt" "$out/real-$corpus-$half.txt"
  done
done
venv="$repo/models/cache/venv"
merged="$WORK/merged.gguf"
"$venv/bin/python" "$here/merge_adapter.py" "$base" "$out/adapter.safetensors" "$merged" >&2
python3 - "$out" "$run" "$WORK" "$merged" "$base" "$started" "$EXAMPLES" "$EPOCHS" "$LR" "$MAX_LEN" "$SEED" "$DECISION_WEIGHT" "$TRAIN_SEED" "$CHECKPOINTS" "$FREE_ANSWERS" "$WITHHOLD_RULES" "$BUILTIN_VIEW" <<'PY'
import hashlib, json, sys, time
from pathlib import Path
out, run, work, merged, base = map(Path, sys.argv[1:6])
started, examples, epochs, lr, max_len, seed, decision_weight, train_seed, checkpoints, free_answers, withhold_rules, builtin_view = sys.argv[6:18]
sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
synth = json.loads((work / "synth-report.json").read_text())
report = json.loads((run / "report.json").read_text()) if (run / "report.json").is_file() else {}
dataset = next((work / "data" / "train-data" / "lookout-tuned" / "dataset").glob("manifest.json"), None)
manifest = {
    "name": "lookout-tuned",
    "format": "lookout-lora-v1",
    "synthetic_training_data": True,
    "adapter_sha256": sha(out / "adapter.safetensors"),
    "base": base.name,
    "base_sha256": sha(base),
    "merged": "SmolLM2-135M-lookout.Q8_0.gguf",
    "merged_sha256": sha(merged),
    "recipe": {
        "script": "scripts/make-model.sh",
        "examples": int(examples), "epochs": float(epochs), "lr": float(lr),
        "max_len": int(max_len), "synth_seed": int(seed), "method": "lora",
        "decision_weight": float(decision_weight), "train_seed": int(train_seed),
        "checkpoints": int(checkpoints), "free_answers": int(free_answers),
        "withhold_rules": float(withhold_rules),
        "builtin_view": float(builtin_view),
        "held_out_techniques": "held-out-techniques.txt",
    },
    "synth": {k: synth.get(k) for k in (
        "techniques_selected", "techniques_generated", "techniques_rule_verified",
        "sessions", "rounds", "benign", "per_platform", "seconds")},
    "dataset": json.loads(dataset.read_text()) if dataset else None,
    "training": report,
    # Every run of this make (one per seed): the one above is the best validation decision score.
    "runs": [
        {"train_seed": int(s), **{k: (json.loads((Path(r) / "report.json").read_text()).get("train") or {}).get(k)
            for k in ("decision", "selected_step", "val_loss", "steps")}}
        for s, r in (line.split(" ", 1) for line in (work / "runs.txt").read_text().splitlines())
    ],
    "wall_seconds": round(time.time() - int(started)),
}
if manifest["dataset"]:
    manifest["dataset"].pop("files", None)
(out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
print(f"make-model: wrote {out}/manifest.json", file=sys.stderr)
PY
bash "$here/setup-model.sh" >&2
say "done in $(( $(date +%s) - started )) s: models/lookout-tuned/ (commit it) and models/SmolLM2-135M-lookout.Q8_0.gguf"
