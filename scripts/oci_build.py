#!/usr/bin/env python3
"""Deterministic OCI image assembly and ground-truth inventory for onus's test images.

Used by scripts/build-test-images.sh (and bench/gen_large_image.py). Standard library only.

Subcommands:
  layer      pack a staging root into a deterministic layer (tar, tar.gz, layer.json)
  inv-debs   ground truth for .deb files unpacked distroless-style (dpkg-deb -f)
  inv-dpkg   ground truth for a root with a real dpkg database (dpkg-query --admindir)
  inv-pip    ground truth for a site-packages directory (dist-info/egg-info metadata)
  inv-npm    ground truth for a node_modules tree (every package root's package.json)
  inv-go     ground truth for Go binaries (go version -m)
  inv-jar    ground truth for jars, nested jars included (META-INF/maven/**/pom.properties)
  fix-pip-scripts  move pip --target console scripts to <prefix>/bin with a portable shebang
  image      write the OCI layout, the docker-archive tar and expected.json from a spec

Determinism: entries sorted bytewise, parents first; every mtime is SOURCE_DATE_EPOCH; owner
names are empty; gzip headers carry no name and mtime 0. The same staging input gives
byte-identical blobs.
"""

from __future__ import annotations

import argparse
import base64
import csv
import email.parser
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib
from pathlib import Path

CHUNK = 1 << 20
GZIP_LEVEL = 6


def source_date_epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", "1704067200"))


def iso_time(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def canonical_json(value) -> bytes:
    """The exact bytes hashed for OCI/docker JSON documents."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# layer


def depth_first_sorted(root: Path):
    """Depth-first, sorted: a directory's whole subtree comes right after it (tar convention)."""
    def rec(rel: str, path: Path):
        entries = sorted(os.scandir(path), key=lambda e: e.name.encode("utf-8", "surrogateescape"))
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            yield child_rel, Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                yield from rec(child_rel, Path(entry.path))
    yield from rec("", root)


def write_layer_tar(root: Path, out_tar: Path, owners: dict[str, tuple[int, int]], mtime: int,
                    force_root: bool) -> int:
    """Write root's content as a deterministic tar; returns the number of entries."""
    count = 0
    with open(out_tar, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel, path in depth_first_sorted(root):
                st = os.lstat(path)
                if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                    continue  # device nodes, fifos and sockets have no place in a layer
                info = tar.gettarinfo(str(path), arcname=rel)
                info.mtime = mtime
                info.uname = ""
                info.gname = ""
                if force_root:
                    info.uid = 0
                    info.gid = 0
                if rel in owners:
                    info.uid, info.gid = owners[rel]
                info.pax_headers = {}
                if info.isreg():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
                count += 1
    return count


def compress_and_hash(tar_path: Path, gz_path: Path) -> tuple[str, str, int]:
    """Return (diff_id hex, blob digest hex, blob size) and write the gzip blob."""
    diff = hashlib.sha256()
    with open(tar_path, "rb") as src, open(gz_path, "wb") as dst:
        with gzip.GzipFile(filename="", mode="wb", fileobj=dst, compresslevel=GZIP_LEVEL, mtime=0) as gz:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                diff.update(chunk)
                gz.write(chunk)
    return diff.hexdigest(), sha256_file(gz_path), gz_path.stat().st_size


def scan_whiteouts(tar_path: Path) -> dict:
    whiteouts, opaque = [], []
    with tarfile.open(tar_path, "r:") as tar:
        for member in tar:
            name = member.name
            base = name.rsplit("/", 1)[-1]
            parent = name.rsplit("/", 1)[0] if "/" in name else ""
            if base == ".wh..wh..opq":
                opaque.append("/" + parent)
            elif base.startswith(".wh."):
                target = (parent + "/" if parent else "") + base[len(".wh."):]
                whiteouts.append("/" + target)
    return {"whiteouts": sorted(whiteouts), "opaque_dirs": sorted(opaque)}


def cmd_layer(args) -> None:
    root = Path(args.root)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    owners = {}
    for spec in args.owner or []:
        rel, ids = spec.split("=", 1)
        uid, gid = ids.split(":", 1)
        owners[rel.strip("/")] = (int(uid), int(gid))
    tar_path = out / "layer.tar"
    entries = write_layer_tar(root, tar_path, owners, source_date_epoch(), args.force_root)
    diff_id, digest, size = compress_and_hash(tar_path, out / "layer.tar.gz")
    meta = {
        "diff_id": f"sha256:{diff_id}",
        "digest": f"sha256:{digest}",
        "size": size,
        "uncompressed_size": tar_path.stat().st_size,
        "entries": entries,
        **scan_whiteouts(tar_path),
    }
    (out / "layer.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(f"layer {out.name}: {entries} entries, {meta['uncompressed_size']} bytes, {meta['diff_id']}")


# --------------------------------------------------------------------------------------------
# inventories (ground truth), one JSON object per line


def emit(out: Path, records: list[dict]) -> None:
    with open(out, "a") as f:
        for rec in records:
            f.write(json.dumps(rec, sort_keys=True) + "\n")


def dpkg_fields(deb: str) -> dict:
    keys = ["Package", "Version", "Architecture", "Source"]
    values = {}
    for key in keys:
        res = subprocess.run(["dpkg-deb", "-f", deb, key], check=True, capture_output=True, text=True)
        values[key] = res.stdout.strip()
    return values


def split_source(source: str, version: str, package: str) -> tuple[str, str]:
    """`Source: glibc (2.36-9)` → (glibc, 2.36-9); empty → (package, version)."""
    if not source:
        return package, version
    m = re.match(r"^(\S+)(?:\s+\((.+)\))?$", source)
    if not m:
        return source, version
    return m.group(1), m.group(2) or version


def cmd_inv_debs(args) -> None:
    recs = []
    for deb in args.debs:
        f = dpkg_fields(deb)
        src, src_ver = split_source(f["Source"], f["Version"], f["Package"])
        recs.append({
            "ecosystem": "deb", "name": f["Package"], "version": f["Version"],
            "arch": f["Architecture"], "source": src, "source_version": src_ver,
            "layer": args.layer, "path": f"/var/lib/dpkg/status.d/{f['Package']}",
        })
    emit(Path(args.out), recs)


def cmd_inv_dpkg(args) -> None:
    admindir = Path(args.root) / "var/lib/dpkg"
    fmt = "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n"
    res = subprocess.run(["dpkg-query", f"--admindir={admindir}", "-W", "-f", fmt],
                         check=True, capture_output=True, text=True)
    recs = []
    for line in sorted(res.stdout.splitlines()):
        name, version, arch, src, src_ver, status = line.split("\t")
        if not status.startswith("ii"):
            continue
        recs.append({
            "ecosystem": "deb", "name": name, "version": version, "arch": arch,
            "source": src, "source_version": src_ver, "layer": args.layer,
            "path": "/var/lib/dpkg/status",
        })
    emit(Path(args.out), recs)


def read_metadata(path: Path) -> dict:
    msg = email.parser.Parser().parsestr(path.read_text(errors="replace"), headersonly=True)
    return {"name": msg.get("Name", ""), "version": msg.get("Version", "")}


def cmd_inv_pip(args) -> None:
    root = Path(args.root)
    site = root / args.site.lstrip("/")
    recs = []
    for entry in sorted(site.iterdir()):
        if entry.name.endswith(".dist-info"):
            meta = entry / "METADATA"
        elif entry.name.endswith(".egg-info"):
            meta = entry / "PKG-INFO" if entry.is_dir() else entry
        else:
            continue
        md = read_metadata(meta)
        recs.append({"ecosystem": "pypi", "name": md["name"], "version": md["version"],
                     "layer": args.layer, "path": "/" + str(meta.relative_to(root))})
    emit(Path(args.out), recs)


def npm_package_roots(node_modules: Path):
    """Every directory node_modules/<name> or node_modules/@scope/<name>, recursively."""
    if not node_modules.is_dir():
        return
    for entry in sorted(node_modules.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir() or entry.is_symlink():
            continue
        if entry.name.startswith("@"):
            candidates = sorted(p for p in entry.iterdir() if p.is_dir() and not p.is_symlink())
        else:
            candidates = [entry]
        for pkg in candidates:
            if (pkg / "package.json").is_file():
                yield pkg
            yield from npm_package_roots(pkg / "node_modules")


def cmd_inv_npm(args) -> None:
    root = Path(args.root)
    recs = []
    for pkg in npm_package_roots(root / args.dir.lstrip("/")):
        manifest = json.loads((pkg / "package.json").read_text())
        recs.append({"ecosystem": "npm", "name": manifest.get("name", ""),
                     "version": manifest.get("version", ""), "layer": args.layer,
                     "path": "/" + str((pkg / "package.json").relative_to(root))})
    emit(Path(args.out), recs)


def cmd_inv_go(args) -> None:
    root = Path(args.root)
    recs = []
    for binary in args.bins:
        host = root / binary.lstrip("/")
        res = subprocess.run(["go", "version", "-m", str(host)], check=True, capture_output=True, text=True)
        lines = res.stdout.splitlines()
        go_version = lines[0].split(":", 1)[1].strip()
        recs.append({"ecosystem": "golang", "name": "stdlib", "version": go_version, "role": "stdlib",
                     "layer": args.layer, "path": binary})
        for line in lines[1:]:
            parts = line.strip().split("\t")
            if parts[0] in ("mod", "dep") and len(parts) >= 3:
                recs.append({"ecosystem": "golang", "name": parts[1], "version": parts[2],
                             "role": "main" if parts[0] == "mod" else "dep",
                             "layer": args.layer, "path": binary})
    emit(Path(args.out), recs)


def jar_records(data: bytes, location: str, layer: int) -> list[dict]:
    recs = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
                props = {}
                for line in zf.read(name).decode("utf-8", "replace").splitlines():
                    if "=" in line and not line.lstrip().startswith("#"):
                        k, v = line.split("=", 1)
                        props[k.strip()] = v.strip()
                recs.append({"ecosystem": "maven",
                             "name": f"{props.get('groupId', '')}:{props.get('artifactId', '')}",
                             "group": props.get("groupId", ""), "artifact": props.get("artifactId", ""),
                             "version": props.get("version", ""), "layer": layer,
                             "path": location, "role": "nested" if ":" in location else "jar"})
            elif name.endswith((".jar", ".war", ".ear")):
                recs.extend(jar_records(zf.read(name), f"{location}:{name}", layer))
    return recs


def cmd_inv_jar(args) -> None:
    root = Path(args.root)
    recs = []
    for jar in args.jars:
        recs.extend(jar_records((root / jar.lstrip("/")).read_bytes(), jar, args.layer))
    emit(Path(args.out), recs)


def cmd_fix_pip_scripts(args) -> None:
    """pip --target leaves console scripts in <site>/bin with the build host's interpreter."""
    site = Path(args.site)
    prefix_bin = Path(args.bin)
    src_bin = site / "bin"
    if not src_bin.is_dir():
        return
    prefix_bin.mkdir(parents=True, exist_ok=True)
    rel_from_site = os.path.relpath(prefix_bin, site)
    moved = {}
    for script in sorted(src_bin.iterdir()):
        data = script.read_bytes()
        if data.startswith(b"#!"):
            data = f"#!{args.interpreter}".encode() + data[data.index(b"\n"):]
        dest = prefix_bin / script.name
        dest.write_bytes(data)
        os.chmod(dest, 0o755)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        moved[script.name] = (f"{rel_from_site}/{script.name}", f"sha256={digest}", str(len(data)))
    shutil.rmtree(src_bin)
    for record in sorted(site.glob("*.dist-info/RECORD")):
        rows = list(csv.reader(record.read_text().splitlines()))
        changed = False
        for row in rows:
            if row and row[0].endswith(tuple(f"bin/{n}" for n in moved)):
                name = row[0].rsplit("/", 1)[-1]
                row[:] = list(moved[name])
                changed = True
        if changed:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            record.write_text(buf.getvalue())


# --------------------------------------------------------------------------------------------
# image


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar: tarfile.TarFile, name: str, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = mtime
    tar.addfile(info)


def add_file(tar: tarfile.TarFile, name: str, path: Path, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = mtime
    info.mode = 0o644
    with open(path, "rb") as f:
        tar.addfile(info, f)


def write_blob(blobs: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return f"sha256:{digest}", len(data)


def removed_in(path: str, later: list[tuple[int, dict]]) -> int | None:
    """First later layer whose whiteout or opaque directory hides `path` (jar paths: file part)."""
    path = path.split(":", 1)[0]
    for index, meta in later:
        for target in meta["whiteouts"]:
            if path == target or path.startswith(target.rstrip("/") + "/"):
                return index
        for opaque in meta["opaque_dirs"]:
            if path.startswith(opaque.rstrip("/") + "/"):
                return index
    return None


def cmd_image(args) -> None:
    spec = json.loads(Path(args.spec).read_text())
    spec.setdefault("annotations", {})
    base_info = None
    if spec.get("base"):
        # Build on another image's spec: same layer blobs (byte-identical), its history first.
        base_spec = json.loads(Path(spec["base"]["spec"]).read_text())
        base_expected = json.loads((Path(base_spec["out"]) / "expected.json").read_text())
        spec["layers"] = base_spec["layers"] + spec["layers"]
        spec["history"] = base_spec["history"] + spec["history"]
        spec.setdefault("os_release_root", base_spec.get("os_release_root"))
        base_name = spec["base"]["name"]
        spec["annotations"]["org.opencontainers.image.base.name"] = base_name
        spec["annotations"]["org.opencontainers.image.base.digest"] = base_expected["manifest_digest"]
        base_info = {"name": base_name, "digest": base_expected["manifest_digest"],
                     "layers": len(base_spec["layers"]),
                     "diff_ids": [layer["diff_id"] for layer in base_expected["layers"]]}
    os_release = os_release_of(Path(spec["os_release_root"])) if spec.get("os_release_root") else {}
    mtime = source_date_epoch()
    created = iso_time(mtime)
    out = Path(spec["out"])
    oci = out / "oci"
    if oci.exists():
        shutil.rmtree(oci)
    blobs = oci / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    layers = []  # (layer dir, meta)
    for layer_dir in spec["layers"]:
        layer_dir = Path(layer_dir)
        meta = json.loads((layer_dir / "layer.json").read_text())
        layers.append((layer_dir, meta))
        dest = blobs / meta["digest"].split(":", 1)[1]
        if not dest.exists():
            shutil.copyfile(layer_dir / "layer.tar.gz", dest)

    # History: one entry per layer, plus the empty-layer instructions where the spec puts them.
    history = []
    layer_iter = iter(spec["history"])
    for entry in layer_iter:
        h = {"created": created, "created_by": entry["created_by"]}
        if entry.get("comment"):
            h["comment"] = entry["comment"]
        if entry.get("empty_layer"):
            h["empty_layer"] = True
        history.append(h)
    non_empty = sum(1 for h in history if not h.get("empty_layer"))
    if non_empty != len(layers):
        sys.exit(f"history has {non_empty} non-empty entries for {len(layers)} layers")

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "author": "onus test images",
        "config": spec["config"],
        "rootfs": {"type": "layers", "diff_ids": [m["diff_id"] for _, m in layers]},
        "history": history,
    }
    config_bytes = canonical_json(config)
    config_digest, config_size = write_blob(blobs, config_bytes)

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": m["digest"], "size": m["size"]} for _, m in layers],
        "annotations": {"org.opencontainers.image.created": created, **spec.get("annotations", {})},
    }
    manifest_bytes = canonical_json(manifest)
    manifest_digest, manifest_size = write_blob(blobs, manifest_bytes)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"org.opencontainers.image.ref.name": spec["tag"],
                            "io.containerd.image.name": f"{spec['repo']}:{spec['tag']}",
                            **spec.get("annotations", {})},
        }],
    }
    (oci / "index.json").write_bytes(canonical_json(index))
    (oci / "oci-layout").write_bytes(canonical_json({"imageLayoutVersion": "1.0.0"}))

    # docker save (classic format): manifest.json, <config hex>.json, <id>/{VERSION,json,layer.tar}
    config_hex = config_digest.split(":", 1)[1]
    docker_tmp = out / "docker.tar.tmp"
    layer_paths = []
    parent = ""
    v1 = []
    for layer_dir, meta in layers:
        chain = hashlib.sha256(f"{parent}\n{meta['diff_id']}".encode()).hexdigest()
        v1.append((chain, parent, layer_dir))
        layer_paths.append(f"{chain}/layer.tar")
        parent = chain
    with tarfile.open(docker_tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        seen = set()
        for chain, parent_id, layer_dir in v1:
            if chain in seen:
                continue
            seen.add(chain)
            add_dir(tar, chain, mtime)
            add_bytes(tar, f"{chain}/VERSION", b"1.0", mtime)
            v1_json = {"id": chain, "created": created, "os": "linux"}
            if parent_id:
                v1_json["parent"] = parent_id
            add_bytes(tar, f"{chain}/json", canonical_json(v1_json), mtime)
            add_file(tar, f"{chain}/layer.tar", layer_dir / "layer.tar", mtime)
        add_bytes(tar, f"{config_hex}.json", config_bytes, mtime)
        docker_manifest = [{"Config": f"{config_hex}.json",
                            "RepoTags": [f"{spec['repo']}:{spec['tag']}"],
                            "Layers": layer_paths}]
        add_bytes(tar, "manifest.json", canonical_json(docker_manifest), mtime)
        add_bytes(tar, "repositories", canonical_json({spec["repo"]: {spec["tag"]: v1[-1][0]}}), mtime)
    os.replace(docker_tmp, out / "docker.tar")

    # expected.json: ground truth for tests.
    packages, removed = [], []
    for index_no, (layer_dir, _) in enumerate(layers):
        inv = layer_dir / "packages.jsonl"
        if not inv.exists():
            continue
        for line in inv.read_text().splitlines():
            rec = json.loads(line)
            rec["layer"] = index_no
            gone = removed_in(rec["path"], [(j, layers[j][1]) for j in range(index_no + 1, len(layers))])
            if gone is None:
                packages.append(rec)
            else:
                rec["removed_in_layer"] = gone
                removed.append(rec)

    def sort_key(r):
        return (r["ecosystem"], r["name"], r["version"], r["path"])

    packages.sort(key=sort_key)
    removed.sort(key=sort_key)
    counts: dict[str, int] = {}
    for rec in packages:
        counts[rec["ecosystem"]] = counts.get(rec["ecosystem"], 0) + 1
    layer_history = [h for h in history if not h.get("empty_layer")]
    expected = {
        "schema": "onus.test-image-expected/v1",
        "image": spec["name"],
        "reference": f"{spec['repo']}:{spec['tag']}",
        "manifest_digest": manifest_digest,
        "config_digest": config_digest,
        "os_release": os_release,
        "config": spec["config"],
        "annotations": spec.get("annotations", {}),
        "base": base_info,
        "layers": [{
            "index": i, "diff_id": m["diff_id"], "digest": m["digest"], "size": m["size"],
            "uncompressed_size": m["uncompressed_size"], "entries": m["entries"],
            "created_by": layer_history[i]["created_by"],
            "whiteouts": m["whiteouts"], "opaque_dirs": m["opaque_dirs"],
        } for i, (_, m) in enumerate(layers)],
        "history_entries": len(history),
        "counts": dict(sorted(counts.items())),
        "packages": packages,
        "removed_packages": removed,
        "notes": spec.get("notes", []),
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=False) + "\n")
    print(f"image {spec['name']}: manifest {manifest_digest}, {len(packages)} packages "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), {len(removed)} removed")


def parse_os_release(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k] = v.strip().strip('"')
    return out


def os_release_of(root: Path) -> dict:
    for cand in ("etc/os-release", "usr/lib/os-release"):
        p = root / cand
        if p.is_symlink():
            target = os.readlink(p)
            p = (p.parent / target) if not target.startswith("/") else root / target.lstrip("/")
        if p.is_file():
            return parse_os_release(p)
    return {}


def cmd_os_release(args) -> None:
    print(json.dumps(os_release_of(Path(args.root)), sort_keys=True))


def jar_coordinates(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
                props = {}
                for line in zf.read(name).decode("utf-8", "replace").splitlines():
                    if "=" in line and not line.lstrip().startswith("#"):
                        k, v = line.split("=", 1)
                        props[k.strip()] = v.strip()
                return props
    return {}


def zip_write(zf: zipfile.ZipFile, name: str, data: bytes, when: tuple, compress: int) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = compress
    info.external_attr = (0o644 | stat.S_IFREG) << 16
    info.create_system = 3
    zf.writestr(info, data)


def cmd_fatjar(args) -> None:
    """A Spring-Boot-style executable jar: own pom.properties plus BOOT-INF/lib/*.jar (stored)."""
    when = time.gmtime(source_date_epoch())[:6]
    manifest = (
        "Manifest-Version: 1.0\r\n"
        f"Implementation-Title: {args.artifact}\r\n"
        f"Implementation-Version: {args.version}\r\n"
        "Main-Class: org.springframework.boot.loader.JarLauncher\r\n"
        f"Start-Class: {args.group}.Main\r\n"
        "Spring-Boot-Classes: BOOT-INF/classes/\r\n"
        "Spring-Boot-Lib: BOOT-INF/lib/\r\n\r\n"
    )
    props = (f"artifactId={args.artifact}\ngroupId={args.group}\nversion={args.version}\n")
    pom = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        f"  <modelVersion>4.0.0</modelVersion>\n  <groupId>{args.group}</groupId>\n"
        f"  <artifactId>{args.artifact}</artifactId>\n  <version>{args.version}</version>\n</project>\n"
    )
    meta = f"META-INF/maven/{args.group}/{args.artifact}"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.out, "w") as zf:
        zip_write(zf, "META-INF/MANIFEST.MF", manifest.encode(), when, zipfile.ZIP_DEFLATED)
        zip_write(zf, f"{meta}/pom.properties", props.encode(), when, zipfile.ZIP_DEFLATED)
        zip_write(zf, f"{meta}/pom.xml", pom.encode(), when, zipfile.ZIP_DEFLATED)
        for lib in sorted(args.lib):
            data = Path(lib).read_bytes()
            coords = jar_coordinates(data)
            name = f"{coords.get('artifactId', Path(lib).stem)}-{coords.get('version', '0')}.jar"
            zip_write(zf, f"BOOT-INF/lib/{name}", data, when, zipfile.ZIP_STORED)



# --------------------------------------------------------------------------------------------
# rpm databases in the backends Debian's rpm cannot write, from the real header blobs of an
# rpmdb.sqlite that `rpm --root --dbpath -i` wrote (its Packages table: hnum, blob).


def sqlite_headers(path: Path) -> list[tuple[int, bytes]]:
    import sqlite3
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [(int(h), bytes(b)) for h, b in con.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")]
    finally:
        con.close()


def cmd_rpmdb_bdb(args) -> None:
    """A Berkeley DB hash `Packages` as rpm ≤ 4.15 wrote it: key = the header number as a
    native-endian uint32, value = the header blob. Written by Debian's db5.3_load (the Berkeley
    DB library itself) from its dump format."""
    rows = sqlite_headers(Path(args.sqlite))
    dump = ["VERSION=3", "format=bytevalue", "type=hash", "db_pagesize=4096", "HEADER=END"]
    for hnum, blob in rows:
        dump.append(" " + struct.pack("=I", hnum).hex())
        dump.append(" " + blob.hex())
    dump.append("DATA=END")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    subprocess.run(["db5.3_load", str(out)], input=("\n".join(dump) + "\n").encode(), check=True)


def cmd_rpmdb_ndb(args) -> None:
    """An NDB `Packages.db` (rpm's lib/backend/ndb/rpmpkg.c layout, little-endian): a header
    (magic "RpmP", version 0, generation, slot page count, next package index) sharing the first
    4096-byte slot page with 16-byte slots ("Slot", package index, block offset, block count),
    then 16-byte-aligned blobs: "BlbS", package index, generation, length, the header blob, and
    a 12-byte tail (Adler-32 of the blob, length, "BlbE") in the blob's last bytes."""
    rows = sqlite_headers(Path(args.sqlite))
    slot_pages = 1
    generation = 1
    data = bytearray(slot_pages * 4096)
    slots = []
    block = len(data) // 16
    for index, (_, blob) in enumerate(rows, start=1):
        blocks = (16 + len(blob) + 12 + 15) // 16
        body = bytearray(blocks * 16)
        body[0:16] = b"BlbS" + struct.pack("<III", index, generation, len(blob))
        body[16:16 + len(blob)] = blob
        body[-12:] = struct.pack("<II", zlib.adler32(blob), len(blob)) + b"BlbE"
        slots.append((index, block, blocks))
        data += body
        block += blocks
    data[0:20] = b"RpmP" + struct.pack("<IIII", 0, generation, slot_pages, len(rows) + 1)
    at = 32
    for index, off, count in slots:
        data[at:at + 16] = b"Slot" + struct.pack("<III", index, off, count)
        at += 16
    while at < slot_pages * 4096:
        data[at:at + 16] = b"Slot" + bytes(12)
        at += 16
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bytes(data))


def cmd_inv_rpm(args) -> None:
    """Ground truth from rpm itself: `rpm -qa` over the database it wrote."""
    fmt = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n"
    res = subprocess.run(["rpm", "--root", args.root, "--dbpath", args.dbpath, "-qa", "--qf", fmt],
                         check=True, capture_output=True, text=True)
    recs = []
    for line in sorted(res.stdout.splitlines()):
        name, evr, arch, srpm = line.split("\t")
        recs.append({"ecosystem": "rpm", "name": name, "version": evr, "arch": arch,
                     "source_rpm": srpm, "layer": args.layer, "path": args.path})
    emit(Path(args.out), recs)


def cmd_inv_gems(args) -> None:
    """Installed gems: RubyGems names each specification `<name>-<version>.gemspec`."""
    root = Path(args.root)
    recs = []
    for spec in sorted(root.glob(args.dir.lstrip("/") + "/*.gemspec")):
        name, version = spec.name[: -len(".gemspec")].rsplit("-", 1)
        recs.append({"ecosystem": "gem", "name": name, "version": version, "layer": args.layer,
                     "path": "/" + str(spec.relative_to(root))})
    emit(Path(args.out), recs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("layer")
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--owner", action="append", help="REL=UID:GID")
    p.add_argument("--force-root", action="store_true", help="uid/gid 0 for every entry")
    p.set_defaults(func=cmd_layer)

    p = sub.add_parser("inv-debs")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("debs", nargs="+")
    p.set_defaults(func=cmd_inv_debs)

    p = sub.add_parser("inv-dpkg")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.set_defaults(func=cmd_inv_dpkg)

    p = sub.add_parser("inv-pip")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--site", required=True)
    p.set_defaults(func=cmd_inv_pip)

    p = sub.add_parser("inv-npm")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_inv_npm)

    p = sub.add_parser("inv-go")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("bins", nargs="+")
    p.set_defaults(func=cmd_inv_go)

    p = sub.add_parser("inv-jar")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("jars", nargs="+")
    p.set_defaults(func=cmd_inv_jar)

    p = sub.add_parser("fix-pip-scripts")
    p.add_argument("--site", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--interpreter", required=True)
    p.set_defaults(func=cmd_fix_pip_scripts)

    p = sub.add_parser("os-release")
    p.add_argument("--root", required=True)
    p.set_defaults(func=cmd_os_release)

    p = sub.add_parser("fatjar")
    p.add_argument("--out", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--artifact", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--lib", action="append", default=[])
    p.set_defaults(func=cmd_fatjar)

    p = sub.add_parser("rpmdb-bdb")
    p.add_argument("--sqlite", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_rpmdb_bdb)

    p = sub.add_parser("rpmdb-ndb")
    p.add_argument("--sqlite", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_rpmdb_ndb)

    p = sub.add_parser("inv-rpm")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--dbpath", required=True)
    p.add_argument("--path", required=True, help="the database file as the image holds it")
    p.set_defaults(func=cmd_inv_rpm)

    p = sub.add_parser("inv-gems")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_inv_gems)

    p = sub.add_parser("image")
    p.add_argument("--spec", required=True)
    p.set_defaults(func=cmd_image)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
