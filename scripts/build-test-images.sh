#!/usr/bin/env bash
# Build onus's real test images from real packages, into ${ONUS_TEST_IMAGES:-<repo>/target/test-images}:
#   distroless  Debian 12 debs unpacked distroless-style (status.d, no shell, user 65532), 3 layers
#   minbase     debootstrap --variant=minbase bookworm (full dpkg database, shell, apt), 1 layer
#   multilayer  distroless's layers (byte-identical) + pip, npm, Go, jar and whiteout layers
#   runtimes    distroless's layers + one layer of Debian's Python 3.11 and Node.js 18 debs
#   ecosystems  distroless's layers + rpm databases in all three backends (packages built with
#               Debian's rpmbuild, installed with rpm --root), Debian's ruby-* gems and programs
#               copied out of their debs (found by content)
# Each as <name>/oci/ (OCI layout), <name>/docker.tar (docker save) and <name>/expected.json
# (ground truth: every package with ecosystem, name, version and introducing layer).
#
# Usage: scripts/build-test-images.sh [distroless|minbase|multilayer|runtimes|ecosystems ...]   (default: all)
# Env:   ONUS_TEST_IMAGES (output dir), ONUS_TEST_IMAGES_FORCE=1 (rebuild), SOURCE_DATE_EPOCH,
#        ONUS_DEBIAN_MIRROR (debootstrap mirror; default: the machine's apt source).
# Needs root (apt-get, debootstrap); installs missing tools with apt-get. Idempotent: an image is
# skipped when it exists and its recorded input hash matches. Exit 0 = images ready.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT="$REPO/scripts/build-test-images.sh"
HELPER="$REPO/scripts/oci_build.py"
OUT=${ONUS_TEST_IMAGES:-$REPO/target/test-images}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
FORCE=${ONUS_TEST_IMAGES_FORCE:-0}
PY=${PYTHON:-python3}
SUITE=bookworm

ALL_IMAGES=(distroless minbase multilayer runtimes ecosystems)
if [[ $# -gt 0 ]]; then WANT=("$@"); else WANT=("${ALL_IMAGES[@]}"); fi
for w in "${WANT[@]}"; do
  case $w in distroless|minbase|multilayer|runtimes|ecosystems) ;; *) echo "unknown image \`$w\`" >&2; exit 2 ;; esac
done
# multilayer, runtimes and ecosystems are built on distroless.
if [[ " ${WANT[*]} " =~ " "(multilayer|runtimes|ecosystems)" " && " ${WANT[*]} " != *" distroless "* ]]; then
  WANT=(distroless "${WANT[@]}")
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CACHE="$OUT/.cache"
WORK="$OUT/.work"
exec 9>"$OUT/.lock"
flock 9

log() { printf '[build-test-images %4ds] %s\n' "$SECONDS" "$*" >&2; }

RECIPE=$({ cat "$SCRIPT" "$HELPER"; echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"; } | sha256sum | cut -c1-64)

input_hash() {
  case $1 in
    multilayer|runtimes|ecosystems)
      local base
      base=$(sed -n 's/^  "manifest_digest": "\(.*\)",$/\1/p' "$OUT/distroless/expected.json" 2>/dev/null || true)
      echo "$RECIPE+$base" ;;
    *) echo "$RECIPE" ;;
  esac
}

up_to_date() {
  local d="$OUT/$1"
  [[ $FORCE != 1 && -f $d/expected.json && -f $d/docker.tar && -f $d/oci/index.json \
     && "$(cat "$d/input-hash" 2>/dev/null)" == "$(input_hash "$1")" ]] || return 1
  # multilayer and runtimes reuse distroless's layer files from the work directory.
  if [[ $1 == distroless ]]; then
    local l
    for l in L0 L1 L2; do [[ -f $WORK/distroless/$l/layer.tar ]] || return 1; done
  fi
}

todo=()
for img in "${WANT[@]}"; do up_to_date "$img" || todo+=("$img"); done
if [[ ${#todo[@]} -eq 0 ]]; then
  log "up to date: ${WANT[*]} in $OUT"
  exit 0
fi
# Images built on a rebuilt base are rebuilt too (their hash names the base digest).
log "building: ${todo[*]} into $OUT"

if [[ $(id -u) -ne 0 ]]; then
  echo "build-test-images: must run as root (apt-get, debootstrap, dpkg-deb ownership)" >&2
  exit 3
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
  echo "build-test-images: needs a Debian system (apt-get, dpkg-deb)" >&2
  exit 3
}
export DEBIAN_FRONTEND=noninteractive

APT_UPDATED=0
apt_update() {
  if [[ $APT_UPDATED == 0 ]]; then
    log "apt-get update"
    apt-get update -qq >&2
    APT_UPDATED=1
  fi
}

# Install the Debian packages for missing tools only.
ensure_tools() {
  local need=()
  for img in "${todo[@]}"; do
    case $img in
      minbase) command -v debootstrap >/dev/null || need+=(debootstrap) ;;
      multilayer)
        command -v go >/dev/null || need+=(golang-go)
        [[ -d /usr/share/gocode/src/github.com/pkg/errors ]] || need+=(golang-github-pkg-errors-dev)
        [[ -d /usr/share/gocode/src/golang.org/x/text ]] || need+=(golang-golang-x-text-dev)
        command -v npm >/dev/null || need+=(npm)
        "$PY" -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
        ;;
      ecosystems)
        command -v rpmbuild >/dev/null || need+=(rpm)
        command -v db5.3_load >/dev/null || need+=(db5.3-util)
        ;;
    esac
  done
  if [[ ${#need[@]} -gt 0 ]]; then
    apt_update
    log "apt-get install ${need[*]}"
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
}

# apt-get download into a fresh directory; refresh the lists once if the candidate is gone.
download_debs() {
  local dir=$1; shift
  rm -rf "$dir"; mkdir -p "$dir"
  if ! (cd "$dir" && apt-get download -qq "$@" >&2 2>/dev/null); then
    apt_update
    (cd "$dir" && apt-get download -qq "$@" >&2)
  fi
}

# Unpack .deb files distroless-style: data only, /var/lib/dpkg/status.d/<pkg>{,.md5sums}.
unpack_distroless() {
  local root=$1 layer_dir=$2 index=$3; shift 3
  mkdir -p "$root/var/lib/dpkg/status.d"
  local deb pkg
  for deb in "$@"; do
    pkg=$(dpkg-deb -f "$deb" Package)
    dpkg-deb -x "$deb" "$root"
    dpkg-deb -f "$deb" > "$root/var/lib/dpkg/status.d/$pkg"
    # Whole control archive into a scratch dir (no early-closing pipe: pipefail would see SIGPIPE).
    rm -rf "$WORK/ctrl"; mkdir -p "$WORK/ctrl"
    dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$WORK/ctrl"
    if [[ -f $WORK/ctrl/md5sums ]]; then
      cp "$WORK/ctrl/md5sums" "$root/var/lib/dpkg/status.d/$pkg.md5sums"
      chmod 0644 "$root/var/lib/dpkg/status.d/$pkg.md5sums"
    fi
  done
  "$PY" "$HELPER" inv-debs --layer "$index" --out "$layer_dir/packages.jsonl" "$@"
}

pack_layer() { # layer_dir [extra args]
  local dir=$1; shift
  "$PY" "$HELPER" layer --root "$dir/root" --out "$dir" "$@" >&2
}

# ------------------------------------------------------------------------------------------
# (a) distroless

DL_STATIC=(base-files netbase tzdata media-types ca-certificates)
DL_BASE=(libc6 libssl3 zlib1g)
DL_CC=(gcc-12-base libgcc-s1 libgomp1 libstdc++6)

build_distroless() {
  local W="$WORK/distroless"
  rm -rf "$W"; mkdir -p "$W"
  log "distroless: apt-get download"
  download_debs "$W/debs/static" "${DL_STATIC[@]}"
  download_debs "$W/debs/base" "${DL_BASE[@]}"
  download_debs "$W/debs/cc" "${DL_CC[@]}"

  local L0="$W/L0" L1="$W/L1" L2="$W/L2"
  mkdir -p "$L0/root" "$L1/root" "$L2/root"
  unpack_distroless "$L0/root" "$L0" 0 "$W"/debs/static/*.deb
  unpack_distroless "$L1/root" "$L1" 1 "$W"/debs/base/*.deb
  unpack_distroless "$L2/root" "$L2" 2 "$W"/debs/cc/*.deb

  # What distroless adds beside the packages: users, the CA bundle, home and tmp.
  local r="$L0/root"
  cat > "$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat > "$r/etc/group" <<'EOF'
root:x:0:
tty:x:5:
staff:x:50:
nogroup:x:65534:
nonroot:x:65532:
EOF
  printf 'passwd:         files\ngroup:          files\nshadow:         files\nhosts:          files dns\nnetworks:       files\nprotocols:      files\nservices:       files\nethers:         files\nrpc:            files\n' > "$r/etc/nsswitch.conf"
  chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/etc/nsswitch.conf"
  mkdir -p "$r/home/nonroot" "$r/etc/ssl/certs" "$r/tmp" "$r/root"
  chmod 0700 "$r/home/nonroot" "$r/root"
  chmod 1777 "$r/tmp"
  # update-ca-certificates would build this bundle; there is no shell to run it.
  find "$r/usr/share/ca-certificates" -name '*.crt' -print0 | LC_ALL=C sort -z | xargs -0 cat \
    > "$r/etc/ssl/certs/ca-certificates.crt"
  chmod 0644 "$r/etc/ssl/certs/ca-certificates.crt"

  pack_layer "$L0" --force-root --owner home/nonroot=65532:65532
  pack_layer "$L1" --force-root
  pack_layer "$L2" --force-root

  cat > "$W/spec.json" <<EOF
{
  "name": "distroless",
  "repo": "onus-test/distroless",
  "tag": "latest",
  "out": "$OUT/distroless",
  "os_release_root": "$L0/root",
  "layers": ["$L0", "$L1", "$L2"],
  "history": [
    {"created_by": "COPY debs ${DL_STATIC[*]} + passwd/group/nsswitch/ca bundle / # distroless static"},
    {"created_by": "COPY debs ${DL_BASE[*]} / # distroless base"},
    {"created_by": "COPY debs ${DL_CC[*]} / # distroless cc"},
    {"created_by": "USER 65532:65532", "empty_layer": true},
    {"created_by": "WORKDIR /home/nonroot", "empty_layer": true}
  ],
  "config": {
    "User": "65532",
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
    "WorkingDir": "/home/nonroot",
    "Labels": {
      "org.opencontainers.image.title": "onus-test distroless",
      "org.opencontainers.image.description": "Distroless-style Debian 12: real debs unpacked, status.d, no shell",
      "org.opencontainers.image.vendor": "onus test images"
    }
  },
  "notes": ["debs are unpacked, never configured: no maintainer scripts ran",
            "/etc/ssl/certs/ca-certificates.crt is the sorted concatenation of /usr/share/ca-certificates/**/*.crt"]
}
EOF
  mkdir -p "$OUT/distroless"
  "$PY" "$HELPER" image --spec "$W/spec.json" >&2
}

# ------------------------------------------------------------------------------------------
# (b) minbase

debian_mirror() {
  if [[ -n ${ONUS_DEBIAN_MIRROR:-} ]]; then echo "$ONUS_DEBIAN_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [[ -z $m ]] && m=$(grep -hE '^deb +(\[[^]]*\] +)?https?://[^ ]+/debian/? +bookworm ' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}' | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

normalize_minbase() {
  local r=$1
  # Device nodes, logs, caches and host files differ per run; the official images drop them too.
  rm -rf "${r:?}"/dev/* "$r"/proc/* "$r"/sys/* "$r"/debootstrap
  rm -f "$r"/var/log/bootstrap.log "$r"/var/log/alternatives.log "$r"/var/log/dpkg.log
  rm -rf "$r"/var/log/apt/*
  rm -f "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old "$r"/var/cache/ldconfig/aux-cache
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
  mkdir -p "$r/var/lib/apt/lists/partial"
  rm -f "$r/etc/hostname" "$r/etc/resolv.conf" "$r/etc/machine-id"
  # shadow files record the day of the last password change: pin it to SOURCE_DATE_EPOCH.
  local day=$((SOURCE_DATE_EPOCH / 86400)) f
  for f in "$r"/etc/shadow "$r"/etc/shadow-; do
    [[ -f $f ]] || continue
    awk -F: -v d="$day" 'BEGIN {OFS=":"} { if ($3 != "") $3 = d; print }' "$f" > "$f.tmp"
    cat "$f.tmp" > "$f"; rm -f "$f.tmp"
  done
}

build_minbase() {
  local W="$WORK/minbase"
  rm -rf "$W"; mkdir -p "$W/L0" "$CACHE/debootstrap"
  local mirror; mirror=$(debian_mirror)
  log "minbase: debootstrap --variant=minbase $SUITE ($mirror)"
  debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap" "$SUITE" "$W/L0/root" "$mirror" \
    > "$W/debootstrap.log" 2>&1 || { tail -n 30 "$W/debootstrap.log" >&2; return 1; }
  log "minbase: debootstrap done; normalising and packing"
  normalize_minbase "$W/L0/root"
  "$PY" "$HELPER" inv-dpkg --layer 0 --out "$W/L0/packages.jsonl" --root "$W/L0/root"
  pack_layer "$W/L0"
  cat > "$W/spec.json" <<EOF
{
  "name": "minbase",
  "repo": "onus-test/minbase",
  "tag": "latest",
  "out": "$OUT/minbase",
  "os_release_root": "$W/L0/root",
  "layers": ["$W/L0"],
  "history": [
    {"created_by": "ADD rootfs / # debootstrap --variant=minbase $SUITE, logs and caches removed"},
    {"created_by": "CMD [\"bash\"]", "empty_layer": true}
  ],
  "config": {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["bash"],
    "Labels": {
      "org.opencontainers.image.title": "onus-test minbase",
      "org.opencontainers.image.description": "debootstrap --variant=minbase bookworm: dpkg status, shell, apt",
      "org.opencontainers.image.vendor": "onus test images"
    }
  },
  "notes": ["packages from the $SUITE release only (debootstrap does not add the security suite)",
            "file owners are dpkg's (e.g. group shadow/utmp), not forced to 0"]
}
EOF
  mkdir -p "$OUT/minbase"
  "$PY" "$HELPER" image --spec "$W/spec.json" >&2
  rm -rf "$W/L0/root" "$W/L0/layer.tar"
}

# ------------------------------------------------------------------------------------------
# (c) multilayer

PIP_PKGS=(requests==2.19.1 urllib3==1.24.1 chardet==3.0.4 idna==2.7 certifi==2018.4.16
          jinja2==2.10 markupsafe==2.1.3 pyyaml==5.3)
NPM_PKGS=(lodash@4.17.15 minimist@1.2.0 debug@2.6.8 ms@2.1.3 mkdirp@0.5.1)
NPM_REPLACEMENT=minimist@1.2.8
JAVA_DEBS=(libcommons-lang3-java libcommons-io-java)
SITE=usr/local/lib/python3.11/site-packages

build_multilayer() {
  local W="$WORK/multilayer" DW="$WORK/distroless"
  rm -rf "$W"; mkdir -p "$W" "$CACHE/pip" "$CACHE/npm" "$CACHE/go-build"
  local LP="$W/L3" LN="$W/L4" LG="$W/L5" LJ="$W/L6" LW="$W/L7"
  mkdir -p "$LP/root" "$LN/root" "$LG/root" "$LJ/root" "$LW/root"

  log "multilayer: pip install ${PIP_PKGS[*]}"
  # Build-time tools for the one sdist (pyyaml 5.3) are pinned so its wheel metadata is stable.
  printf 'setuptools==75.8.0\nwheel==0.45.1\n' > "$W/pip-constraints.txt"
  local pip_extra=()
  if "$PY" -m pip install --help 2>/dev/null | grep -q -- --break-system-packages; then
    pip_extra+=(--break-system-packages)
  fi
  PIP_CACHE_DIR="$CACHE/pip" PIP_CONSTRAINT="$W/pip-constraints.txt" PIP_ROOT_USER_ACTION=ignore \
    "$PY" -m pip install -q --disable-pip-version-check --no-input --no-compile --no-deps \
    "${pip_extra[@]}" --target "$LP/root/$SITE" "${PIP_PKGS[@]}" >&2
  "$PY" "$HELPER" fix-pip-scripts --site "$LP/root/$SITE" --bin "$LP/root/usr/local/bin" \
    --interpreter /usr/local/bin/python3.11
  find "$LP/root" -name __pycache__ -type d -prune -exec rm -rf {} +
  "$PY" "$HELPER" inv-pip --layer 3 --out "$LP/packages.jsonl" --root "$LP/root" --site "$SITE"

  log "multilayer: npm install ${NPM_PKGS[*]}"
  mkdir -p "$LN/root/app"
  printf '{\n  "name": "onus-demo-app",\n  "version": "1.0.0",\n  "private": true\n}\n' \
    > "$LN/root/app/package.json"
  (cd "$LN/root/app" && npm install --prefix "$LN/root/app" --cache "$CACHE/npm" --no-audit --no-fund \
    --ignore-scripts --no-update-notifier --save-exact --loglevel=error "${NPM_PKGS[@]}" >&2)
  "$PY" "$HELPER" inv-npm --layer 4 --out "$LN/packages.jsonl" --root "$LN/root" --dir /app/node_modules

  log "multilayer: go build (golang-go, vendored Debian golang-*-dev modules)"
  local src="$W/go-src"
  mkdir -p "$src/vendor/github.com/pkg" "$src/vendor/golang.org/x" "$LG/root/app/bin"
  cat > "$src/go.mod" <<'EOF'
module example.com/onus-demo

go 1.19

require (
	github.com/pkg/errors v0.9.1
	golang.org/x/text v0.7.0
)
EOF
  cat > "$src/main.go" <<'EOF'
// Command onus-demo is a tiny program whose build info names its dependency modules.
package main

import (
	"fmt"
	"os"

	"github.com/pkg/errors"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

func main() {
	title := cases.Title(language.English).String("hello from onus-demo")
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, errors.Wrap(errors.New(os.Args[1]), "unexpected argument"))
		os.Exit(2)
	}
	fmt.Println(title)
}
EOF
  cp -r /usr/share/gocode/src/github.com/pkg/errors "$src/vendor/github.com/pkg/"
  cp -rL /usr/share/gocode/src/golang.org/x/text "$src/vendor/golang.org/x/"
  # Module versions are the Debian packages' upstream versions.
  local errors_ver text_ver
  errors_ver=v$(dpkg-query -W -f '${Version}' golang-github-pkg-errors-dev | sed 's/-[^-]*$//')
  text_ver=v$(dpkg-query -W -f '${Version}' golang-golang-x-text-dev | sed 's/-[^-]*$//')
  sed -i "s#github.com/pkg/errors v0.9.1#github.com/pkg/errors $errors_ver#; s#golang.org/x/text v0.7.0#golang.org/x/text $text_ver#" "$src/go.mod"
  cat > "$src/vendor/modules.txt" <<EOF
# github.com/pkg/errors $errors_ver
## explicit
github.com/pkg/errors
# golang.org/x/text $text_ver
## explicit; go 1.17
golang.org/x/text/cases
golang.org/x/text/internal
golang.org/x/text/internal/language
golang.org/x/text/internal/language/compact
golang.org/x/text/internal/tag
golang.org/x/text/language
golang.org/x/text/transform
golang.org/x/text/unicode/norm
EOF
  (cd "$src" && GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on CGO_ENABLED=0 \
    GOCACHE="$CACHE/go-build" GOPATH="$W/gopath" \
    go build -trimpath -buildvcs=false -o "$LG/root/app/bin/onus-demo" . >&2)
  chmod 0755 "$LG/root/app/bin/onus-demo"
  "$PY" "$HELPER" inv-go --layer 5 --out "$LG/packages.jsonl" --root "$LG/root" /app/bin/onus-demo

  log "multilayer: jars from ${JAVA_DEBS[*]}"
  download_debs "$W/debs/java" "${JAVA_DEBS[@]}"
  mkdir -p "$W/java" "$LJ/root/app/lib"
  local deb
  for deb in "$W"/debs/java/*.deb; do dpkg-deb -x "$deb" "$W/java"; done
  local lang3_ver
  lang3_ver=$(dpkg-deb -f "$W"/debs/java/libcommons-lang3-java_*.deb Version | sed 's/-[^-]*$//')
  cp "$(readlink -f "$W/java/usr/share/java/commons-lang3.jar")" "$LJ/root/app/lib/commons-lang3-$lang3_ver.jar"
  chmod 0644 "$LJ/root/app/lib/commons-lang3-$lang3_ver.jar"
  "$PY" "$HELPER" fatjar --out "$LJ/root/app/onus-demo-app.jar" --group com.example.onus \
    --artifact onus-demo-app --version 1.0.0 --lib "$(readlink -f "$W/java/usr/share/java/commons-io.jar")"
  chmod 0644 "$LJ/root/app/onus-demo-app.jar"
  "$PY" "$HELPER" inv-jar --layer 6 --out "$LJ/packages.jsonl" --root "$LJ/root" \
    "/app/lib/commons-lang3-$lang3_ver.jar" /app/onus-demo-app.jar

  log "multilayer: whiteouts (rm /etc/issue, pip uninstall chardet) and opaque node_modules/minimist"
  local r="$LW/root"
  mkdir -p "$r/etc" "$r/$SITE" "$r/usr/local/bin" "$r/app/node_modules/minimist"
  : > "$r/etc/.wh.issue"
  : > "$r/$SITE/.wh.chardet"
  : > "$r/$SITE/.wh.chardet-3.0.4.dist-info"
  : > "$r/usr/local/bin/.wh.chardetect"
  : > "$r/app/node_modules/minimist/.wh..wh..opq"
  (cd "$W" && npm pack --cache "$CACHE/npm" --loglevel=error --pack-destination "$W" "$NPM_REPLACEMENT" >/dev/null)
  tar -xzf "$W"/minimist-*.tgz --no-same-owner --strip-components=1 -C "$r/app/node_modules/minimist"
  "$PY" "$HELPER" inv-npm --layer 7 --out "$LW/packages.jsonl" --root "$r" --dir /app/node_modules

  local L
  for L in "$LP" "$LN" "$LG" "$LJ" "$LW"; do pack_layer "$L" --force-root; done

  cat > "$W/spec.json" <<EOF
{
  "name": "multilayer",
  "repo": "onus-test/multilayer",
  "tag": "latest",
  "out": "$OUT/multilayer",
  "base": {"spec": "$DW/spec.json", "name": "onus-test/distroless:latest"},
  "layers": ["$LP", "$LN", "$LG", "$LJ", "$LW"],
  "history": [
    {"created_by": "RUN pip install --no-deps --target /$SITE ${PIP_PKGS[*]}"},
    {"created_by": "RUN npm install --prefix /app ${NPM_PKGS[*]}"},
    {"created_by": "COPY onus-demo /app/bin/onus-demo # go build, deps vendored"},
    {"created_by": "COPY commons-lang3-$lang3_ver.jar onus-demo-app.jar /app/"},
    {"created_by": "RUN rm /etc/issue && pip uninstall -y chardet && rm -rf /app/node_modules/minimist && npm install $NPM_REPLACEMENT"},
    {"created_by": "ENV PYTHONPATH=/$SITE", "empty_layer": true},
    {"created_by": "ENTRYPOINT [\"/app/bin/onus-demo\"]", "empty_layer": true}
  ],
  "config": {
    "User": "65532",
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            "PYTHONPATH=/$SITE"],
    "Entrypoint": ["/app/bin/onus-demo"],
    "WorkingDir": "/app",
    "Labels": {
      "org.opencontainers.image.title": "onus-test multilayer",
      "org.opencontainers.image.description": "Customer layers (pip, npm, Go, jar, whiteouts) on onus-test/distroless",
      "org.opencontainers.image.vendor": "onus test images",
      "org.opencontainers.image.base.name": "onus-test/distroless:latest"
    }
  },
  "notes": ["layers 0-2 are distroless's blobs, byte-identical",
            "layer 7 whites out /etc/issue, chardet (pip uninstall) and makes /app/node_modules/minimist opaque with minimist 1.2.8",
            "/app/package-lock.json still names minimist 1.2.0 (the lock file was not updated by layer 7)",
            "/app/package.json (onus-demo-app 1.0.0) is the project, not a node_modules package",
            "golang records: role stdlib (Go toolchain), main (the main module, version (devel)), dep",
            "maven records in /app/onus-demo-app.jar: the jar itself and BOOT-INF/lib/ nested jars (path jar:entry)"]
}
EOF
  mkdir -p "$OUT/multilayer"
  "$PY" "$HELPER" image --spec "$W/spec.json" >&2
}

# ------------------------------------------------------------------------------------------
# (d) runtimes

# Debian's own interpreters, not a vendor repository's: `/bookworm` pins the origin (and keeps
# nodejs and libnode108, which must match exactly, from the same suite).
RT_DEBS=(python3.11-minimal libpython3.11-minimal libexpat1
         nodejs/bookworm libnode108/bookworm libuv1 libc-ares2 libnghttp2-14 libbrotli1 libicu72)

build_runtimes() {
  local W="$WORK/runtimes" DW="$WORK/distroless"
  rm -rf "$W"; mkdir -p "$W"
  log "runtimes: apt-get download ${RT_DEBS[*]}"
  download_debs "$W/debs" "${RT_DEBS[@]}"
  local L3="$W/L3"
  mkdir -p "$L3/root"
  unpack_distroless "$L3/root" "$L3" 3 "$W"/debs/*.deb
  pack_layer "$L3" --force-root
  local py_ver node_ver
  py_ver=$(dpkg-deb -f "$W"/debs/python3.11-minimal_*.deb Version)
  node_ver=$(dpkg-deb -f "$W"/debs/nodejs_*.deb Version)

  cat > "$W/spec.json" <<EOF
{
  "name": "runtimes",
  "repo": "onus-test/runtimes",
  "tag": "latest",
  "out": "$OUT/runtimes",
  "base": {"spec": "$DW/spec.json", "name": "onus-test/distroless:latest"},
  "layers": ["$L3"],
  "history": [
    {"created_by": "COPY debs python3.11-minimal=$py_ver nodejs=$node_ver and their libraries / # runtimes"},
    {"created_by": "ENTRYPOINT [\"/usr/bin/node\"]", "empty_layer": true}
  ],
  "config": {
    "User": "65532",
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
    "Entrypoint": ["/usr/bin/node"],
    "WorkingDir": "/home/nonroot",
    "Labels": {
      "org.opencontainers.image.title": "onus-test runtimes",
      "org.opencontainers.image.description": "Debian 12's Python 3.11 and Node.js 18 on onus-test/distroless",
      "org.opencontainers.image.vendor": "onus test images",
      "org.opencontainers.image.base.name": "onus-test/distroless:latest"
    }
  },
  "notes": ["layers 0-2 are distroless's blobs, byte-identical",
            "layer 3 unpacks the Python and Node.js debs distroless-style; node's JavaScript dependencies (node-acorn, node-undici, ...) are left out, so node is for inventory, not for running"]
}
EOF
  mkdir -p "$OUT/runtimes"
  "$PY" "$HELPER" image --spec "$W/spec.json" >&2
}

# ------------------------------------------------------------------------------------------
# (e) ecosystems

# rpm packages built here with Debian's rpmbuild (noarch, a file each): name|epoch|version|release|
# license|subpackage. Debian's rpm 4.18 writes only SQLite databases; the Berkeley DB and NDB
# databases are written from the real header blobs of a SQLite one (scripts/oci_build.py
# rpmdb-bdb uses Berkeley DB's own db5.3_load; rpmdb-ndb lays out rpm's NDB format).
RPM_SQLITE=("onus-hello|2|1.2.3|4.el9|MIT AND Apache-2.0|doc" "onus-data||0.9|1.el9|BSD-3-Clause|")
RPM_BDB=("onus-legacy||7.4|2.el7|GPLv2+|libs")
RPM_NDB=("onus-suse-conf|1|15.5|150500.1.1|GPL-2.0-or-later|")
GEM_DEBS=(ruby-rack ruby-tilt)
# Programs copied out of their debs into /opt/scratch, as into a scratch image: no package owns
# them, so they are found by content. deb|file in the deb|name the classifier gives|name in the
# image (default: the file's; Debian's redis-server is a link to redis-check-rdb).
SCRATCH_BINS=("busybox|bin/busybox|busybox" "curl|usr/bin/curl|curl"
              "libcurl4|usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0|curl" "nginx|usr/sbin/nginx|nginx"
              "redis-tools|usr/bin/redis-check-rdb|redis|redis-server" "haproxy|usr/sbin/haproxy|haproxy"
              "python3.11-minimal|usr/bin/python3.11|python" "libssl3|usr/lib/x86_64-linux-gnu/libcrypto.so.3|openssl")

# rpmbuild one spec per entry into $1/RPMS/noarch.
build_rpms() {
  local top=$1; shift
  local entry name epoch version release license sub
  mkdir -p "$top/SPECS"
  for entry in "$@"; do
    IFS='|' read -r name epoch version release license sub <<<"$entry"
    {
      echo "Name: $name"
      if [[ -n $epoch ]]; then echo "Epoch: $epoch"; fi
      echo "Version: $version"
      echo "Release: $release"
      echo "Summary: onus test package $name"
      echo "License: $license"
      echo "BuildArch: noarch"
      echo "%description"
      echo "A package built for onus's rpm cataloger tests."
      if [[ -n $sub ]]; then
        echo "%package $sub"
        echo "Summary: $name $sub"
        echo "%description $sub"
        echo "The $sub subpackage of $name."
        echo "%files $sub"
        echo "/usr/share/$name-$sub/README"
      fi
      echo "%install"
      echo "mkdir -p %{buildroot}/usr/share/$name"
      echo "echo '$name $version' > %{buildroot}/usr/share/$name/README"
      if [[ -n $sub ]]; then
        echo "mkdir -p %{buildroot}/usr/share/$name-$sub"
        echo "echo '$name-$sub $version' > %{buildroot}/usr/share/$name-$sub/README"
      fi
      echo "%files"
      echo "/usr/share/$name/README"
    } > "$top/SPECS/$name.spec"
    rpmbuild -bb --quiet --define "_topdir $top" --define "_buildhost onus-test" \
      --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
      --define "debug_package %{nil}" "$top/SPECS/$name.spec" >&2
  done
}

# rpm -i the packages into a root with an SQLite database at $2; files and database stay there.
rpm_install() {
  local root=$1 dbpath=$2; shift 2
  mkdir -p "$root$dbpath"
  rpm --root "$root" --dbpath "$dbpath" --define "_db_backend sqlite" --initdb
  # Debian's rpm warns that alien is the way to install; these are not Debian packages.
  rpm --root "$root" --dbpath "$dbpath" --define "_db_backend sqlite" -i --nodeps --noscripts \
    --nosignature "$@" 2>/dev/null
  rm -f "$root$dbpath/.rpm.lock" "$root$dbpath/rpmdb.sqlite-shm" "$root$dbpath/rpmdb.sqlite-wal"
}

build_ecosystems() {
  local W="$WORK/ecosystems" DW="$WORK/distroless"
  rm -rf "$W"; mkdir -p "$W"
  local L3="$W/L3" L4="$W/L4" L5="$W/L5" L6="$W/L6" L7="$W/L7"
  mkdir -p "$L3/root" "$L4/root" "$L5/root" "$L6/root" "$L7/root/opt/scratch"

  log "ecosystems: rpmbuild and rpm -i (SQLite database, /usr/lib/sysimage/rpm)"
  build_rpms "$W/rpm-sqlite" "${RPM_SQLITE[@]}"
  rpm_install "$L3/root" /usr/lib/sysimage/rpm "$W"/rpm-sqlite/RPMS/noarch/*.rpm
  "$PY" "$HELPER" inv-rpm --layer 3 --out "$L3/packages.jsonl" --root "$L3/root" \
    --dbpath /usr/lib/sysimage/rpm --path /usr/lib/sysimage/rpm/rpmdb.sqlite

  log "ecosystems: Berkeley DB /var/lib/rpm/Packages from real headers"
  build_rpms "$W/rpm-bdb" "${RPM_BDB[@]}"
  rpm_install "$W/bdb-root" /var/lib/rpm "$W"/rpm-bdb/RPMS/noarch/*.rpm
  "$PY" "$HELPER" inv-rpm --layer 4 --out "$L4/packages.jsonl" --root "$W/bdb-root" \
    --dbpath /var/lib/rpm --path /var/lib/rpm/Packages
  "$PY" "$HELPER" rpmdb-bdb --sqlite "$W/bdb-root/var/lib/rpm/rpmdb.sqlite" --out "$L4/root/var/lib/rpm/Packages"
  cp -a "$W/bdb-root/usr" "$L4/root/"

  log "ecosystems: NDB /var/lib/rpm/Packages.db from real headers"
  build_rpms "$W/rpm-ndb" "${RPM_NDB[@]}"
  rpm_install "$W/ndb-root" /var/lib/rpm "$W"/rpm-ndb/RPMS/noarch/*.rpm
  "$PY" "$HELPER" inv-rpm --layer 5 --out "$L5/packages.jsonl" --root "$W/ndb-root" \
    --dbpath /var/lib/rpm --path /var/lib/rpm/Packages.db
  "$PY" "$HELPER" rpmdb-ndb --sqlite "$W/ndb-root/var/lib/rpm/rpmdb.sqlite" --out "$L5/root/var/lib/rpm/Packages.db"
  cp -a "$W/ndb-root/usr" "$L5/root/"

  log "ecosystems: apt-get download ${GEM_DEBS[*]}"
  download_debs "$W/debs" "${GEM_DEBS[@]}"
  unpack_distroless "$L6/root" "$L6" 6 "$W"/debs/*.deb
  "$PY" "$HELPER" inv-gems --layer 6 --out "$L6/packages.jsonl" --root "$L6/root" \
    --dir /usr/share/rubygems-integration/all/specifications

  log "ecosystems: programs copied out of their debs into /opt/scratch"
  local entry deb file name dest debs=()
  for entry in "${SCRATCH_BINS[@]}"; do debs+=("${entry%%|*}"); done
  download_debs "$W/scratch-debs" "${debs[@]}"
  for entry in "${SCRATCH_BINS[@]}"; do
    IFS='|' read -r deb file name dest <<<"$entry"
    dest=${dest:-${file##*/}}
    rm -rf "$W/x"; mkdir -p "$W/x"
    dpkg-deb -x "$W"/scratch-debs/"${deb}"_*.deb "$W/x"
    cp "$W/x/$file" "$L7/root/opt/scratch/$dest"
    # The upstream version: the deb's version without epoch and Debian revision.
    local version
    version=$(dpkg-deb -f "$W"/scratch-debs/"${deb}"_*.deb Version | sed 's/^[0-9]*://; s/-[^-]*$//; s/[+~].*$//')
    printf '{"ecosystem": "binary", "layer": 7, "name": "%s", "path": "/opt/scratch/%s", "version": "%s"}\n' \
      "$name" "$dest" "$version" >> "$L7/packages.jsonl"
  done

  local L
  for L in "$L3" "$L4" "$L5" "$L6" "$L7"; do pack_layer "$L" --force-root; done

  cat > "$W/spec.json" <<EOF
{
  "name": "ecosystems",
  "repo": "onus-test/ecosystems",
  "tag": "latest",
  "out": "$OUT/ecosystems",
  "base": {"spec": "$DW/spec.json", "name": "onus-test/distroless:latest"},
  "layers": ["$L3", "$L4", "$L5", "$L6", "$L7"],
  "history": [
    {"created_by": "RUN rpm -i --dbpath /usr/lib/sysimage/rpm onus-hello onus-hello-doc onus-data # SQLite"},
    {"created_by": "COPY Packages /var/lib/rpm/ # Berkeley DB hash: onus-legacy onus-legacy-libs"},
    {"created_by": "COPY Packages.db /var/lib/rpm/ # NDB: onus-suse-conf"},
    {"created_by": "COPY debs ${GEM_DEBS[*]} / # gems"},
    {"created_by": "COPY busybox curl libcurl.so nginx redis-server haproxy python3.11 libcrypto.so.3 /opt/scratch/ # no package"}
  ],
  "config": {
    "User": "65532",
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "WorkingDir": "/home/nonroot",
    "Labels": {
      "org.opencontainers.image.title": "onus-test ecosystems",
      "org.opencontainers.image.description": "rpm databases (SQLite, Berkeley DB, NDB) and Ruby gems on onus-test/distroless",
      "org.opencontainers.image.vendor": "onus test images",
      "org.opencontainers.image.base.name": "onus-test/distroless:latest"
    }
  },
  "notes": ["layers 0-2 are distroless's blobs, byte-identical",
            "rpm versions are [epoch:]version-release as rpm -qa prints them",
            "the Berkeley DB and NDB databases hold the header blobs rpm wrote into SQLite; rpm's install times make the databases differ from build to build"]
}
EOF
  mkdir -p "$OUT/ecosystems"
  "$PY" "$HELPER" image --spec "$W/spec.json" >&2
}

# ------------------------------------------------------------------------------------------

ensure_tools
for img in "${WANT[@]}"; do
  if up_to_date "$img"; then log "$img: up to date"; continue; fi
  start=$SECONDS
  rm -f "$OUT/$img/input-hash"
  "build_$img"
  input_hash "$img" > "$OUT/$img/input-hash"
  log "$img: built in $((SECONDS - start))s"
done
log "done: ${WANT[*]} in $OUT"
