#!/usr/bin/env python3
"""Generate a large, realistic OCI image layout for benchmarking `onus sbom`.

Content: this machine's /etc, /var/lib/dpkg (a real dpkg database), /usr/bin, /usr/sbin, part of
/usr/share and /usr/lib (shared libraries, the Python stdlib, Debian's jars with pom.properties,
Go toolchain binaries with build info), plus generated pip dist-info and npm package trees. By
default about 700 MB uncompressed, tens of thousands of files, six gzip layers.

Usage: bench/gen_large_image.py [--out DIR] [--scale 1.0] [--force]
The result is cached: DIR/large/oci is reused when DIR/large/input-hash matches.
Standard library only; reuses scripts/oci_build.py for deterministic tar and gzip.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import stat
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import oci_build  # noqa: E402  (the shared deterministic packer)

MB = 1 << 20


def host_entries(paths: list[str], budget: int):
    """(arcname, host path) for files below `paths`, sorted, until `budget` bytes of files."""
    total = 0
    inodes: set = set()
    for top in paths:
        top_path = Path(top)
        if not top_path.exists():
            continue
        parts = top.strip("/").split("/")
        for i in range(1, len(parts)):
            parent = "/" + "/".join(parts[:i])
            yield "/".join(parts[:i]), Path(parent)
        yield top.strip("/"), top_path
        if not top_path.is_dir() or top_path.is_symlink():
            continue
        for rel, path in oci_build.depth_first_sorted(top_path):
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                # Hard links (e.g. Mesa's dri drivers) are stored once: count each inode once.
                size = 0 if (st.st_dev, st.st_ino) in inodes else st.st_size
                if total + size > budget or not os.access(path, os.R_OK):
                    continue
                inodes.add((st.st_dev, st.st_ino))
                total += size
            elif not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue
            yield f"{top.strip('/')}/{rel}", path


def add_host(tar: tarfile.TarFile, arcname: str, path: Path, mtime: int, seen: set) -> None:
    if arcname in seen:
        return
    seen.add(arcname)
    try:
        info = tar.gettarinfo(str(path), arcname=arcname)
    except OSError:
        return
    if info is None:
        return
    info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
    if info.isreg():
        try:
            with open(path, "rb") as f:
                tar.addfile(info, f)
        except OSError:
            return
    else:
        tar.addfile(info)


def add_generated(tar: tarfile.TarFile, arcname: str, data: bytes, mtime: int, seen: set,
                  mode: int = 0o644) -> None:
    parts = arcname.split("/")
    for i in range(1, len(parts)):
        d = "/".join(parts[:i])
        if d not in seen:
            seen.add(d)
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
    seen.add(arcname)
    info = tarfile.TarInfo(arcname)
    info.size, info.mode, info.mtime = len(data), mode, mtime
    tar.addfile(info, io.BytesIO(data))


LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
         "ut labore et dolore magna aliqua. ") * 8


def python_packages(count: int):
    """dist-info trees like pip writes them: METADATA, RECORD, WHEEL, top_level.txt, modules."""
    site = "usr/local/lib/python3.11/site-packages"
    for i in range(count):
        name = f"benchpkg_{i:05d}"
        dist = f"bench-pkg-{i:05d}"
        version = f"{1 + i % 9}.{i % 23}.{i % 7}"
        info = f"{site}/{dist.replace('-', '_')}-{version}.dist-info"
        module = (f'"""{dist}: generated for the onus benchmark."""\n\n__version__ = "{version}"\n\n'
                  + "".join(f"def f{j}(x):\n    return x * {j}  # {LOREM[:60]}\n\n" for j in range(40)))
        files = {
            f"{site}/{name}/__init__.py": module.encode(),
            f"{site}/{name}/util.py": (module * 2).encode(),
        }
        metadata = (f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
                    f"Summary: Benchmark package {i}\nLicense: MIT\nRequires-Python: >=3.8\n"
                    f"Requires-Dist: bench-pkg-{(i + 1) % count:05d}\n\n{LOREM}\n")
        files[f"{info}/METADATA"] = metadata.encode()
        files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        files[f"{info}/top_level.txt"] = f"{name}\n".encode()
        files[f"{info}/INSTALLER"] = b"pip\n"
        record = "".join(f"{p[len(site) + 1:]},sha256={hashlib.sha256(d).hexdigest()[:43]},{len(d)}\n"
                         for p, d in files.items())
        record += f"{info[len(site) + 1:]}/RECORD,,\n"
        files[f"{info}/RECORD"] = record.encode()
        yield from sorted(files.items())


def npm_packages(count: int):
    """node_modules/<name>/{package.json,index.js,README.md}, some scoped, some nested."""
    for i in range(count):
        scoped = i % 5 == 0
        name = f"@bench/pkg-{i:05d}" if scoped else f"bench-pkg-{i:05d}"
        version = f"{i % 4}.{i % 31}.{i % 11}"
        base = f"app/node_modules/{name}"
        if i % 10 == 3:  # a nested copy at another version, as npm does on conflicts
            base = f"app/node_modules/bench-pkg-{i - 1:05d}/node_modules/{name}"
        manifest = {"name": name, "version": version, "description": f"Benchmark package {i}",
                    "main": "index.js", "license": "MIT",
                    "dependencies": {f"bench-pkg-{(i + 7) % count:05d}": f"^{(i + 7) % 4}.0.0"}}
        yield f"{base}/package.json", (json.dumps(manifest, indent=2) + "\n").encode()
        yield f"{base}/index.js", ("'use strict';\n" + "".join(
            f"exports.f{j} = function (x) {{ return x * {j}; }}; // {LOREM[:50]}\n" for j in range(30))).encode()
        yield f"{base}/README.md", f"# {name}\n\n{LOREM}\n".encode()


def layer_specs(scale: float):
    s = lambda n: int(n * scale)  # noqa: E731
    go_root = next((p for p in sorted(Path("/usr/lib").glob("go-1.*"))), None)
    go_bins = [str(go_root / "bin"), str(go_root / "pkg/tool")] if go_root else []
    return [
        ("os: /etc, dpkg database, /usr/bin, /usr/sbin",
         ["/etc", "/var/lib/dpkg", "/usr/bin", "/usr/sbin"], s(300 * MB), None),
        ("docs and data: part of /usr/share", ["/usr/share"], s(140 * MB), None),
        ("runtimes: Python stdlib, Debian jars, Go toolchain binaries",
         ["/usr/lib/python3.11", "/usr/share/java", *go_bins], s(140 * MB), None),
        ("pip install: generated dist-info packages", [], 0, ("pypi", s(2500))),
        ("npm install: generated node_modules", [], 0, ("npm", s(5000))),
        ("shared libraries: part of /usr/lib/x86_64-linux-gnu",
         ["/usr/lib/x86_64-linux-gnu"], s(140 * MB), None),
    ]


def build(out: Path, scale: float) -> dict:
    mtime = oci_build.source_date_epoch()
    work = out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    layer_dirs, history = [], []
    for n, (title, paths, budget, generated) in enumerate(layer_specs(scale)):
        d = work / f"L{n}"
        d.mkdir()
        seen: set = set()
        with tarfile.open(d / "layer.tar", "w", format=tarfile.PAX_FORMAT) as tar:
            for arcname, path in host_entries(paths, budget):
                add_host(tar, arcname, path, mtime, seen)
            if generated:
                kind, count = generated
                gen = python_packages(count) if kind == "pypi" else npm_packages(count)
                for arcname, data in gen:
                    add_generated(tar, arcname, data, mtime, seen)
        diff_id, digest, size = oci_build.compress_and_hash(d / "layer.tar", d / "layer.tar.gz")
        meta = {"diff_id": f"sha256:{diff_id}", "digest": f"sha256:{digest}", "size": size,
                "uncompressed_size": (d / "layer.tar").stat().st_size, "entries": len(seen),
                "whiteouts": [], "opaque_dirs": []}
        (d / "layer.json").write_text(json.dumps(meta, indent=2) + "\n")
        (d / "layer.tar").unlink()  # only the OCI layout is written: no docker.tar needed
        print(f"layer {n} ({title}): {len(seen)} entries, {meta['uncompressed_size'] // MB} MB, "
              f"{size // MB} MB gzip", flush=True)
        layer_dirs.append(str(d))
        history.append({"created_by": title})
    spec = {
        "name": "large", "repo": "onus-bench/large", "tag": "latest", "out": str(out),
        "layers": layer_dirs, "history": history,
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["bash"],
                   "Labels": {"org.opencontainers.image.title": "onus benchmark image"}},
        "notes": ["generated by bench/gen_large_image.py from this machine's files"],
    }
    (work / "spec.json").write_text(json.dumps(spec, indent=2))
    return spec


def write_oci_only(spec: dict) -> None:
    """oci_build's image writer also writes docker.tar; here the layer tars are gone, so write
    only the layout (same code path for config/manifest via a minimal copy)."""
    out = Path(spec["out"])
    mtime = oci_build.source_date_epoch()
    created = oci_build.iso_time(mtime)
    oci = out / "oci"
    if oci.exists():
        shutil.rmtree(oci)
    blobs = oci / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    metas = []
    for layer_dir in spec["layers"]:
        meta = json.loads((Path(layer_dir) / "layer.json").read_text())
        metas.append(meta)
        os.replace(Path(layer_dir) / "layer.tar.gz", blobs / meta["digest"].split(":", 1)[1])
    config = {"architecture": "amd64", "os": "linux", "created": created, "config": spec["config"],
              "rootfs": {"type": "layers", "diff_ids": [m["diff_id"] for m in metas]},
              "history": [{"created": created, "created_by": h["created_by"]} for h in spec["history"]]}
    config_digest, config_size = oci_build.write_blob(blobs, oci_build.canonical_json(config))
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": config_digest, "size": config_size},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": m["digest"], "size": m["size"]} for m in metas]}
    manifest_digest, manifest_size = oci_build.write_blob(blobs, oci_build.canonical_json(manifest))
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": manifest_digest, "size": manifest_size,
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    (oci / "index.json").write_bytes(oci_build.canonical_json(index))
    (oci / "oci-layout").write_bytes(oci_build.canonical_json({"imageLayoutVersion": "1.0.0"}))
    summary = {"manifest_digest": manifest_digest,
               "uncompressed_bytes": sum(m["uncompressed_size"] for m in metas),
               "compressed_bytes": sum(m["size"] for m in metas),
               "entries": sum(m["entries"] for m in metas), "layers": len(metas)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    shutil.rmtree(Path(spec["layers"][0]).parent)
    print(f"image large: {summary['layers']} layers, {summary['entries']} entries, "
          f"{summary['uncompressed_bytes'] // MB} MB uncompressed, {summary['compressed_bytes'] // MB} MB gzip")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "target/bench-images"))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    out = Path(args.out) / "large"
    recipe = hashlib.sha256(Path(__file__).read_bytes() + (REPO / "scripts/oci_build.py").read_bytes()
                            + f"scale={args.scale}".encode()).hexdigest()
    stamp = out / "input-hash"
    if not args.force and stamp.is_file() and stamp.read_text().strip() == recipe \
            and (out / "oci/index.json").is_file():
        print(f"up to date: {out / 'oci'}")
        return
    out.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    spec = build(out, args.scale)
    write_oci_only(spec)
    stamp.write_text(recipe + "\n")


if __name__ == "__main__":
    main()
