#!/usr/bin/env python3
"""Hostile layers for the memory and time benchmarks of the image reader (bench/README.md).

Writes OCI layouts under target/bench-images/hostile/<name>/ (cached):
  empty-1m     one layer of 1,000,001 empty files (other scanners read it)
  pax-paths    one layer of 1,000,000 entries with 4,000-byte PAX paths (small once compressed)
  sparse-1pib  one GNU sparse file with a 1 PiB hole (a 1.5 KiB layer)
  sparse-200   200 GNU sparse files with 8 GiB holes each (1.6 TiB of holes)
Usage: bench/gen_hostile.py [--out DIR] [NAME...]
"""
import argparse, gzip, hashlib, json, os, sys

BLOCK = 512


def octal(value, width):
    return f"{value:0{width - 1}o}".encode() + b"\0"


def base256(value, width):
    return b"\x80" + value.to_bytes(width - 1, "big")


def header(name, kind=b"0", size=0, extra=None):
    h = bytearray(BLOCK)
    h[0:len(name)] = name
    h[100:108] = octal(0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(0, 12)
    h[156:157] = kind
    h[257:265] = b"ustar\x0000"
    if extra:
        extra(h)
    h[148:156] = b" " * 8
    h[148:156] = f"{sum(h):06o}\0 ".encode()
    return bytes(h)


def pad(n):
    return b"\0" * (-n % BLOCK)


def pax(records):
    body = b""
    for key, value in records:
        line = f" {key}={value}\n".encode()
        n = len(line) + 1
        while len(str(n).encode() + line) != n:
            n += 1
        body += str(n).encode() + line
    return header(b"PaxHeaders/x", b"x", len(body)) + body + pad(len(body))


def sparse(name, hole, data):
    def extra(h):
        h[257:263] = b"ustar "
        h[263:265] = b" \0"
        h[386:398] = base256(hole, 12)
        h[398:410] = octal(len(data), 12)
        h[483:495] = base256(hole + len(data), 12)
    return header(name, b"S", len(data), extra) + data + pad(len(data))


def layers(name):
    if name == "empty-1m":
        yield header(b"d/", b"5")
        for i in range(1_000_001):
            yield header(f"d/f{i}".encode())
    elif name == "pax-paths":
        stem = "p/" + "x" * 3980
        for i in range(1_000_000):
            path = f"{stem}{i:010d}"
            yield pax([("path", path)]) + header(b"placeholder")
    elif name == "sparse-1pib":
        yield sparse(b"huge", 1 << 50, b"tail")
    elif name == "sparse-200":
        for i in range(200):
            yield sparse(f"hole-{i}".encode(), 8 << 30, b"x")
    else:
        sys.exit(f"unknown hostile layer {name}")
    yield b"\0" * (2 * BLOCK)


def write_layout(out, name):
    root = os.path.join(out, name)
    if os.path.exists(os.path.join(root, "index.json")):
        return root
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    tmp = os.path.join(blobs, "layer.tmp")
    diff = hashlib.sha256()
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        for chunk in layers(name):
            diff.update(chunk)
            gz.write(chunk)
    digest = hashlib.sha256(open(tmp, "rb").read()).hexdigest()
    size = os.path.getsize(tmp)
    os.rename(tmp, os.path.join(blobs, digest))

    def blob(obj):
        data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
        d = hashlib.sha256(data).hexdigest()
        open(os.path.join(blobs, d), "wb").write(data)
        return {"digest": f"sha256:{d}", "size": len(data)}

    config = blob({"architecture": "amd64", "os": "linux", "config": {},
                   "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff.hexdigest()}"]}})
    manifest = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                     "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                 "digest": f"sha256:{digest}", "size": size}]})
    json.dump({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest}]},
        open(os.path.join(root, "index.json"), "w"))
    open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
    print(f"{name}: layer {size} bytes", file=sys.stderr)
    return root


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "target", "bench-images", "hostile"))
    ap.add_argument("names", nargs="*", default=["sparse-1pib", "sparse-200", "empty-1m", "pax-paths"])
    args = ap.parse_args()
    for name in args.names:
        print(write_layout(args.out, name))


if __name__ == "__main__":
    main()
