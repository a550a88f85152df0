#!/usr/bin/env bash
# Run every fuzz target (or the ones named) for a given time, seeded with real inputs, and print
# executions per target. Crashes and timeouts land in fuzz/artifacts/<target>/; turn each into a
# regression test before fixing it.
#
# Usage: fuzz/run.sh [--time SECONDS] [--jobs N] [TARGET...]
#   --time  seconds per target (default 1800: 30 minutes)
#   --jobs  targets run at once (default 1; each uses one core)
# Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on stable through RUSTC_BOOTSTRAP=1.
# Seeds (under target/fuzz-corpus/, never committed): layer blobs of examples/images, of
# target/test-images (scripts/build-test-images.sh) and of the shared apko images when present,
# the package databases inside them, image references and Dockerfiles from the tests.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TIME=1800
JOBS=1
TARGETS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --time) TIME=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -*) echo "unknown option \`$1\`" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
cd "$REPO/fuzz"
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  mapfile -t TARGETS < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^onus-fuzz$')
fi
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-fuzz" >&2
  cargo install -q cargo-fuzz --locked >&2
fi
cargo fuzz build -O >&2

CORPUS=$REPO/target/fuzz-corpus
SHARED=${ONUS_SHARED_DATA:-$REPO/../shared/data}
python3 - "$REPO" "$CORPUS" "$SHARED" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
repo, corpus, shared = sys.argv[1:4]
def put(target, data):
    d = os.path.join(corpus, target); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f: f.write(data)
layouts = [os.path.join(repo, "examples/images", n) for n in ("base", "app")]
for root in (os.path.join(repo, "target/test-images"), os.path.join(shared, "apko-images")):
    if os.path.isdir(root):
        for dirpath, dirs, files in os.walk(root):
            if "oci-layout" in files: layouts.append(dirpath)
for layout in layouts:
    blobs = os.path.join(layout, "blobs", "sha256")
    if not os.path.isdir(blobs): continue
    for name in os.listdir(blobs):
        path = os.path.join(blobs, name)
        if os.path.getsize(path) > 1 << 20: continue
        data = open(path, "rb").read()
        if data[:2] != b"\x1f\x8b": continue
        put("layer_walker", data); put("layer_catalog", data)
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                for m in tar:
                    if not m.isfile() or m.size > 1 << 20: continue
                    if m.name.endswith("apk/db/installed"): put("apk_db", tar.extractfile(m).read())
                    if m.name.endswith("dpkg/status"): put("dpkg_status", tar.extractfile(m).read())
        except Exception:
            pass
for ref in ["nginx", "docker.io/library/nginx:1.25@sha256:" + "a" * 64, "localhost:5000/a/b:c",
            "cgr.dev/chainguard/python:latest-dev", "[::1]:5000/x"]:
    put("image_reference", ref.encode())
for text in ["FROM cgr.dev/chainguard/python:latest AS build\nFROM nginx@sha256:" + "b" * 64 + "\n",
             "image: ghcr.io/org/app:1.2.3\n", "services:\n  web:\n    image: redis:7\n"]:
    put("pin_find", text.encode())
for name in os.listdir(os.path.join(repo, "crates/onus-fleet/fuzz-seeds")):
    put("fleet_submission", open(os.path.join(repo, "crates/onus-fleet/fuzz-seeds", name), "rb").read())
for pair in ["1.2.3-r0\n1.2.3-r1", "1:2.36-9+deb12u4\n2.36-9", "3.11.6\n3.11.10"]:
    put("version_compare", pair.encode())
PY

run_one() {
  local target=$1 log
  log=$(mktemp)
  mkdir -p "$CORPUS/$target"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" "$CORPUS/$target" -- \
    -max_total_time="$TIME" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || true
  local execs crashes
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -n1)
  crashes=$(ls "artifacts/$target" 2>/dev/null | wc -l)
  echo "| $target | $TIME | ${execs:-?} | $crashes |"
  rm -f "$log"
}
export -f run_one
export CORPUS TIME
echo "| target | seconds | executions | artifacts |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}'
