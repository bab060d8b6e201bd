#!/usr/bin/env bash
# Prints a digest of every file yearbook writes for a fixed set of runs, so that two builds can
# be shown to write byte-identical outputs (a restructuring must not change a single byte):
#
#   scripts/output-digests.sh BIN WORKDIR > before.txt     # BIN: a yearbook binary
#   scripts/output-digests.sh BIN2 WORKDIR2 > after.txt && diff before.txt after.txt
#
# The runs: the sample batch without caches; the sample batch twice with caches (the second run
# takes tables, parse images and charts from the stores); a generated corpus (examples/bench_corpus,
# built beside BIN when CORPUS is unset) cold, and again after one workbook changed; and the same
# corpus through `ingest` and `run --from-parquet`. manifest.json is compared without its
# `timings_seconds` object, the only part that differs between runs of one build.
set -euo pipefail
bin=$(realpath "$1")
work=$2
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$(realpath "${CORPUS:-$(dirname "$bin")/examples/bench_corpus}")
rm -rf "$work" && mkdir -p "$work"
cd "$work"
run() { "$bin" -q run "$@" >/dev/null 2>&1 || [ $? -eq 1 ]; }
digest() { # label pipeline-folder: the period folder its `latest` names
  local d=$2; d="$d/$(cat "$d/latest")"
  (cd "$d" && find . -type f ! -name '.lock' | LC_ALL=C sort | while read -r f; do
    case "$f" in
      */manifest.json) h=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m.pop("timings_seconds",None); print(json.dumps(m,sort_keys=True,ensure_ascii=False))' "$f" | sha256sum) ;;
      *) h=$(sha256sum < "$f") ;;
    esac
    echo "$1 ${h%% *} $f"
  done)
}
run --no-cache --out sample-cold "$root/pipelines/erdao.toml"
digest sample-cold sample-cold/erdao
run --out sample-warm "$root/pipelines/erdao.toml"
run --out sample-warm "$root/pipelines/erdao.toml"
digest sample-warm sample-warm/erdao
"$corpus" 12x300 corpus >/dev/null
# The corpus holds no portal series: drop tables and charts drawn from them.
python3 - corpus/pipeline.toml <<'PY'
import re, sys
p = sys.argv[1]
blocks = re.split(r'(?m)^(?=\[\[)', open(p, encoding="utf-8").read())
keep = [b for b in blocks if 'dataset = "series"' not in b and 'table = "district_gdp"' not in b]
open(p, "w", encoding="utf-8").write("".join(keep))
PY
run --no-cache --out corpus-cold corpus/pipeline.toml
digest corpus-cold corpus-cold/*/
run --out corpus-warm corpus/pipeline.toml
"$corpus" 12x300 corpus --change 1 >/dev/null
run --out corpus-warm corpus/pipeline.toml
digest corpus-changed corpus-warm/*/
"$bin" -q ingest --out parts corpus/pipeline.toml >/dev/null 2>&1 || [ $? -eq 1 ]
run --no-cache --from-parquet parts --out corpus-parquet corpus/pipeline.toml
digest corpus-parquet corpus-parquet/*/
