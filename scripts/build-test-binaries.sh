#!/usr/bin/env bash
# Build the test binaries the catalogers are checked against (they need crates.io, so they are
# built here, like the test images, never by the tests):
#   target/test-binaries/audit-demo   tests/fixtures/audit-demo built with `cargo auditable`
#                                     (cargo-auditable installed from crates.io when missing)
# Usage: scripts/build-test-binaries.sh   (returns at once when the binaries are up to date)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/target/test-binaries"
TOOLS="$OUT/tools"
mkdir -p "$OUT"
if [[ -x "$OUT/audit-demo" && "$OUT/audit-demo" -nt "$REPO/tests/fixtures/audit-demo/Cargo.lock" ]]; then
  exit 0
fi
if ! command -v cargo-auditable >/dev/null 2>&1 && [[ ! -x "$TOOLS/bin/cargo-auditable" ]]; then
  echo "[build-test-binaries] installing cargo-auditable from crates.io" >&2
  cargo install -q --locked cargo-auditable --root "$TOOLS"
fi
export PATH="$TOOLS/bin:$PATH"
echo "[build-test-binaries] cargo auditable build: audit-demo" >&2
cargo auditable build -q --release --locked \
  --manifest-path "$REPO/tests/fixtures/audit-demo/Cargo.toml" \
  --target-dir "$OUT/build"
cp "$OUT/build/release/audit-demo" "$OUT/audit-demo"
