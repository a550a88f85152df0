#!/usr/bin/env bash
# Build the test binaries the catalogers are checked against (they need crates.io, so they are
# built here, like the test images, never by the tests):
#   target/test-binaries/audit-demo   tests/fixtures/audit-demo built with `cargo auditable`
#                                     (cargo-auditable installed from crates.io when missing)
#   target/test-binaries/go-cross/    tests/fixtures/go-cross built by the machine's Go for
#                                     linux/amd64 (ELF), windows/amd64 (PE) and darwin/arm64
#                                     (Mach-O), version 1.4.2 set with -ldflags -X main.version
#                                     (no -trimpath: with it Go does not record -ldflags)
# Usage: scripts/build-test-binaries.sh   (returns at once when the binaries are up to date)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$REPO/target/test-binaries"
TOOLS="$OUT/tools"
mkdir -p "$OUT"

# Go: no network (standard library only).
GO_SRC="$REPO/tests/fixtures/go-cross"
if [[ ! -f "$OUT/go-cross/onus-cross.exe" || "$GO_SRC/main.go" -nt "$OUT/go-cross/onus-cross.exe" ]]; then
  echo "[build-test-binaries] go build: onus-cross for linux, windows and darwin" >&2
  mkdir -p "$OUT/go-cross"
  for target in linux/amd64/onus-cross-linux windows/amd64/onus-cross.exe darwin/arm64/onus-cross-darwin; do
    IFS=/ read -r goos goarch name <<<"$target"
    (cd "$GO_SRC" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOFLAGS=-mod=mod GOCACHE="$OUT/go-cache" \
      go build -buildvcs=false -ldflags "-X main.version=1.4.2" -o "$OUT/go-cross/$name" .)
  done
fi

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
