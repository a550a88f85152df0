#!/usr/bin/env python3
"""Rebuild the example images under examples/images/ (committed; run this only after changing it).

Two OCI layouts made with scripts/oci_build.py (deterministic, so a rebuild gives the same bytes):
  base  one layer, a Wolfi-style base as a vendor's apko build writes it: an apk database of real
        Wolfi package names and versions (November 2023) and their files as small stubs.
  app   the base layer plus the customer's layer: `pip install requests==2.19.1`, as a real
        dist-info (METADATA, RECORD, INSTALLER) of that release, with the base annotations.
The files are stubs: onus reads package databases and metadata, not program code.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILDER = HERE.parent / "scripts" / "oci_build.py"
EPOCH = "1700006400"  # 2023-11-15T00:00:00Z

# (name, version, origin, files) as apk's installed database records them.
BASE = [
    ("wolfi-baselayout", "20230201-r7", "wolfi-baselayout", ["etc/os-release"]),
    ("ca-certificates-bundle", "20230506-r0", "ca-certificates", ["etc/ssl/certs/ca-certificates.crt"]),
    ("glibc", "2.38-r5", "glibc", ["lib/libc.so.6"]),
    ("libcrypto3", "3.1.4-r0", "openssl", ["usr/lib/libcrypto.so.3"]),
    ("libssl3", "3.1.4-r0", "openssl", ["usr/lib/libssl.so.3"]),
    ("busybox", "1.36.1-r2", "busybox", ["bin/busybox"]),
    ("zlib", "1.3-r0", "zlib", ["usr/lib/libz.so.1"]),
    ("python-3.11", "3.11.6-r0", "python-3.11", ["usr/bin/python3.11"]),
]

OS_RELEASE = (
    'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n'
    'HOME_URL="https://wolfi.dev"\n'
)

SITE = "usr/lib/python3.11/site-packages"
# requests 2.19.1's own METADATA header (the long description left out).
REQUESTS_METADATA = """Metadata-Version: 2.1
Name: requests
Version: 2.19.1
Summary: Python HTTP for Humans.
Home-page: http://python-requests.org
Author: Kenneth Reitz
Author-email: me@kennethreitz.org
License: Apache 2.0
Platform: UNKNOWN
Classifier: Programming Language :: Python :: 3.6
Requires-Dist: chardet (<3.1.0,>=3.0.2)
Requires-Dist: idna (<2.8,>=2.5)
Requires-Dist: urllib3 (<1.24,>=1.21.1)
Requires-Dist: certifi (>=2017.4.17)

"""


def apk_database(packages):
    out = []
    for name, version, origin, files in packages:
        out.append(f"P:{name}\nV:{version}\nA:x86_64\nL:MIT\no:{origin}\n")
        dirs = {}
        for f in files:
            d, b = f.rsplit("/", 1)
            dirs.setdefault(d, []).append(b)
        for d in sorted(dirs):
            out.append(f"F:{d}\n" + "".join(f"R:{b}\n" for b in sorted(dirs[d])))
        out.append("\n")
    return "".join(out)


def write(path: Path, text: str, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def run(*args):
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    subprocess.run([sys.executable, str(BUILDER), *map(str, args)], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def main():
    images = HERE / "images"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_root = tmp / "root-base"
        for name, version, _, files in BASE:
            for f in files:
                text = OS_RELEASE if f == "etc/os-release" else f"# {name} {version}\n"
                write(base_root / f, text, 0o644 if f.startswith("etc/") else 0o755)
        write(base_root / "lib/apk/db/installed", apk_database(BASE))
        app_root = tmp / "root-app"
        dist = app_root / SITE / "requests-2.19.1.dist-info"
        write(dist / "METADATA", REQUESTS_METADATA)
        write(dist / "INSTALLER", "pip\n")
        write(dist / "top_level.txt", "requests\n")
        write(app_root / SITE / "requests/__init__.py", "__version__ = '2.19.1'\n")
        write(dist / "RECORD", "requests/__init__.py,,\nrequests-2.19.1.dist-info/METADATA,,\n"
              "requests-2.19.1.dist-info/INSTALLER,,\nrequests-2.19.1.dist-info/RECORD,,\n"
              "requests-2.19.1.dist-info/top_level.txt,,\n")
        for name in ("base", "app"):
            run("layer", "--root", tmp / f"root-{name}", "--out", tmp / f"layer-{name}", "--force-root")
        config = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                  "User": "65532", "Cmd": ["/usr/bin/python3.11"]}
        base_spec = {"out": str(tmp / "out-base"), "layers": [str(tmp / "layer-base")],
                     "history": [{"created_by": "apko"}], "config": config, "annotations": {},
                     "name": "example-base", "repo": "registry.example/vendor/python",
                     "tag": "3.11-20231115", "os_release_root": str(base_root)}
        (tmp / "base.json").write_text(json.dumps(base_spec))
        run("image", "--spec", tmp / "base.json")
        app_spec = {"out": str(tmp / "out-app"), "layers": [str(tmp / "layer-app")],
                    "history": [{"created_by": "RUN pip install requests==2.19.1"}],
                    "config": config, "annotations": {}, "name": "example-app",
                    "repo": "registry.example/team/app", "tag": "1.0",
                    "base": {"spec": str(tmp / "base.json"),
                             "name": "registry.example/vendor/python:3.11-20231115"}}
        (tmp / "app.json").write_text(json.dumps(app_spec))
        run("image", "--spec", tmp / "app.json")
        for name in ("base", "app"):
            dest = images / name
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(tmp / f"out-{name}" / "oci", dest)
    print(f"wrote {images}/base and {images}/app")


if __name__ == "__main__":
    main()
