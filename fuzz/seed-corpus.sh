#!/usr/bin/env bash
# Writes the sample workbooks as seeds for the `ingest` fuzz target (one byte naming the
# format, 0 xlsx, 1 xls, 2 ods, then the file), and the pipeline files of the repository as
# seeds for the `pipeline` target.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus/ingest
mkdir -p "$out"
n=0
while IFS= read -r -d '' f; do
  case "$f" in
    *.xlsx) tag='\000' ;;
    *.xls) tag='\001' ;;
    *.ods) tag='\002' ;;
    *) continue ;;
  esac
  { printf "$tag"; cat "$f"; } >"$out/seed-$n"
  n=$((n + 1))
done < <(find sample-data -type f -print0 | sort -z)
echo "$n seeds in $out"
p=fuzz/corpus/pipeline
mkdir -p "$p"
cp pipelines/*.toml "$p"/
echo "$(ls "$p" | wc -l) seeds in $p"
