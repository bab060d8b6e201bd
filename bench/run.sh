#!/usr/bin/env bash
# Times the whole `yearbook run` on generated corpora against the parse floor, and a re-run
# with a warm parse cache after one workbook changed. See BENCHMARKS.md.
#
#   bench/run.sh [[bureau-]small|medium|large|NxR ...]     (default: bureau-medium medium)
#
# Needs hyperfine and GNU time (Debian: apt-get install hyperfine time). Corpora are generated
# once into $BENCH_DIR (default: $TMPDIR/yearbook-bench), outside the repository. On a bureau-
# corpus, when $PEER_PYTHON (default python3) has the packages of bench/requirements.txt,
# bench/peer.py is timed in the same block with polars and with pandas.
#
# With SHORTCUTS=1, each shortcut of src/shortcuts.rs is also timed switched off
# (YEARBOOK_WITHOUT=name) beside the run with all of them, cold and on the warm re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
root=${BENCH_DIR:-${TMPDIR:-/tmp}/yearbook-bench}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked --bin yearbook --example bench_corpus --example parse_floor
bin=$target/release/yearbook
corpus=$target/release/examples/bench_corpus
floor=$target/release/examples/parse_floor
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(bureau-medium medium)
py=${PEER_PYTHON:-python3}
mkdir -p "$root"
for preset in "${presets[@]}"; do
  dir=$root/$preset
  [ -f "$dir/pipeline.toml" ] || "$corpus" "$preset" "$dir"
  echo "== $preset: $(ls "$dir/data" | wc -l) workbooks, $(du -sh "$dir/data" | cut -f1)"
  peers=()
  if [[ $preset == bureau-* ]] && "$py" -c 'import polars, pandas, fastexcel' 2>/dev/null; then
    peers=(-n polars "$py bench/peer.py polars $dir" -n pandas "$py bench/peer.py pandas $dir")
  fi
  # Exit code 1 (done, with warnings) is a successful run.
  hyperfine --runs "$runs" --warmup 1 --ignore-failure --export-json "$root/$preset.json" \
    -n floor "$floor $dir/data" \
    -n run "$bin -q run --no-cache --out $dir/out $dir/pipeline.toml" "${peers[@]}"
  for ((k = 1; k < ${#peers[@]}; k += 3)); do
    /usr/bin/time -f "peak RSS of ${peers[k]}: %M KiB" ${peers[k + 1]} >/dev/null
  done
  /usr/bin/time -f "peak RSS of run: %M KiB" "$bin" -q run --no-cache --out "$dir/out" "$dir/pipeline.toml" || true
  /usr/bin/time -f "peak RSS of floor: %M KiB" "$floor" "$dir/data"
  # Warm cache, one changed workbook per run (a new variant each time, so never cached).
  "$bin" -q run --out "$dir/out" "$dir/pipeline.toml" || true
  echo 0 > "$root/$preset.variant"
  hyperfine --runs "$runs" --ignore-failure --export-json "$root/$preset-warm.json" \
    --prepare "sh -c 'n=\$(( \$(cat $root/$preset.variant) + 1 )); echo \$n > $root/$preset.variant; $corpus $preset $dir --change \$n'" \
    -n warm "$bin -q run --out $dir/out $dir/pipeline.toml"
  if [ "${SHORTCUTS:-0}" = 1 ]; then
    names=$(sed -n 's/.*Shortcut::[A-Za-z]* => "\([a-z-]*\)",/\1/p' src/shortcuts.rs)
    cold=(-n all "$bin -q run --no-cache --out $dir/out $dir/pipeline.toml")
    warm=(-n all "$bin -q run --out $dir/out $dir/pipeline.toml")
    for name in $names; do
      cold+=(-n "without $name" "env YEARBOOK_WITHOUT=$name $bin -q run --no-cache --out $dir/out $dir/pipeline.toml")
      warm+=(-n "without $name" "env YEARBOOK_WITHOUT=$name $bin -q run --out $dir/out $dir/pipeline.toml")
    done
    hyperfine --runs "$runs" --warmup 1 --ignore-failure --export-json "$root/$preset-shortcuts.json" "${cold[@]}"
    hyperfine --runs "$runs" --ignore-failure --export-json "$root/$preset-shortcuts-warm.json" \
      --prepare "sh -c 'n=\$(( \$(cat $root/$preset.variant) + 1 )); echo \$n > $root/$preset.variant; $corpus $preset $dir --change \$n'" \
      "${warm[@]}"
  fi
done
