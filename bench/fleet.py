#!/usr/bin/env python3
"""The fleet service at scale: a generated fleet of N images (reports of the real test images,
component versions varied per image) submitted to `onus serve` on SQLite and on PostgreSQL.

Measures, per backend: ingest rate (reports/s, C clients), a store update that touches 1 % of
the fleet's packages (time until every queued image is re-matched), a full re-match (every image),
p50/p95 latency of /summary and /moves, the server's peak RSS, and the dashboard: every page's
p50/p95 server time (signed in with a read token, as a browser would) and HTML size. Prints
markdown tables.

Each generated image is one of the test images' reports plus 275 components sampled from the
large generated image (bench/gen_large_image.py), 30 % of versions varied.

Usage: bench/fleet.py [--images N] [--clients C] [--backends sqlite,postgres] [--skip-rematch]
Needs: target/release/onus (built when missing; ONUS_BIN overrides), the shared data set
(../shared/data or ONUS_SHARED_DATA), the Debian test images (scripts/build-test-images.sh) and,
for PostgreSQL, Debian's postgresql package. Works under target/bench-fleet/.
"""

import argparse
import concurrent.futures
import glob
import hashlib
import http.client
import urllib.parse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(REPO, "target", "bench-fleet")
NOW = "2026-11-25"


def log(msg):
    print(f"[fleet] {msg}", file=sys.stderr, flush=True)


def run(args, **kw):
    return subprocess.run(args, check=True, **kw)


def onus_bin():
    path = os.environ.get("ONUS_BIN") or os.path.join(REPO, "target/release/onus")
    if not os.environ.get("ONUS_BIN"):
        run(["cargo", "build", "--release", "-q", "-p", "onus"], cwd=REPO)
    return path


def shared_data():
    path = os.environ.get("ONUS_SHARED_DATA") or os.path.join(REPO, "..", "shared", "data")
    if not os.path.isdir(path):
        sys.exit(f"shared data not found at {path} (set ONUS_SHARED_DATA)")
    return os.path.abspath(path)


def store_a(onus, shared):
    path = os.path.join(WORK, "store-a.db")
    if not os.path.exists(path):
        log("building the store from the shared data")
        run([onus, "db", "build", "-q", "--db", path, "--from", shared])
    return path


def templates(onus, store, shared):
    """Reports of the real test images, scanned once."""
    out_dir = os.path.join(WORK, "templates")
    os.makedirs(out_dir, exist_ok=True)
    sources = []
    images = os.path.join(REPO, "target", "test-images")
    for name in ["distroless", "minbase", "multilayer", "runtimes"]:
        if os.path.isdir(os.path.join(images, name, "oci")):
            sources.append((name, [f"oci-dir:{images}/{name}/oci"]))
    for name in ["base_image", "top_image"]:
        sources.append((name, [f"oci-dir:{shared}/apko-images/{name}"]))
    ex = os.path.join(REPO, "examples", "images")
    sources.append(("example-app", [f"oci-dir:{ex}/app", "--base", f"oci-dir:{ex}/base"]))
    result = []
    for name, args in sources:
        path = os.path.join(out_dir, f"{name}.json")
        if not os.path.exists(path):
            run([onus, "scan", "-q", *args, "--db", store, "--now", NOW, "-f", "json", "-o", path])
        with open(path) as f:
            result.append(json.load(f))
    return result


def pool(onus, store):
    """Components of the large generated image (bench/gen_large_image.py): each generated image
    adds a sample of them on top of its template, so images hold ~300 components like real ones."""
    layout = os.path.join(REPO, "target", "bench-images", "large", "oci")
    if not os.path.isdir(layout):
        run([sys.executable, os.path.join(REPO, "bench", "gen_large_image.py")])
    path = os.path.join(WORK, "templates", "large-pool.json")
    if not os.path.exists(path):
        run([onus, "scan", "-q", f"oci-dir:{layout}", "--db", store, "--now", NOW, "-f", "json", "-o", path])
    with open(path) as f:
        return json.load(f)["components"]


def vary(version, k):
    """A different but valid version in the same scheme: bump the last number."""
    m = re.search(r"(\d+)(?!.*\d)", version)
    if not m:
        return version
    n = int(m.group(1)) + k
    return version[: m.start()] + str(n) + version[m.end():]


EXTRA = 275


def make_report(templates_list, pool_list, i):
    t = templates_list[i % len(templates_list)]
    doc = json.loads(json.dumps(t))
    rnd = random.Random(i)
    doc["image"]["manifest_digest"] = "sha256:" + hashlib.sha256(f"bench-{i}".encode()).hexdigest()
    top = max(0, len(doc["image"].get("layers", [])) - 1)
    for c in rnd.sample(pool_list, min(EXTRA, len(pool_list))):
        c = dict(c)
        c["layer"] = top
        doc["components"].append(c)
    for k, c in enumerate(doc["components"]):
        if rnd.random() < 0.3:
            c = doc["components"][k] = dict(c)
            old = c["version"]
            new = vary(old, rnd.randint(1, 3))
            c["version"] = new
            c["purl"] = c["purl"].replace("@" + old, "@" + new, 1)
    doc["findings"] = []
    return json.dumps(doc).encode()


class Server:
    def __init__(self, onus, data, store, env=None):
        self.proc = subprocess.Popen(
            [onus, "serve", "--listen", "127.0.0.1:0", "--data", data, "--db", store,
             "--now", NOW, "--poll", "500ms", "--recheck-every", "0", "--rate-limit", "1000000",
             "--max-body", "64M"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
        self.url = None
        self.lines = []
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.lines.append(line.rstrip())
                m = re.search(r"listening on (\S+)", line)
                if m:
                    self.url = m.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(600)
        if not self.url:
            sys.exit("onus serve did not start:\n" + "\n".join(self.lines))

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def call(url, token, method="GET", body=None):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, json.loads(r.read() or b"null")


def wait_idle(api, token, since_store=None, timeout=3600):
    start = time.time()
    while time.time() - start < timeout:
        _, s = call(f"{api}/summary", token)
        if s["pending_jobs"] == 0 and (since_store is None or s["store"] != since_store):
            return s
        time.sleep(0.2)
    sys.exit("timed out waiting for the re-match")


def latency(api, token, path, n=200):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        call(f"{api}{path}", token)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


# Tags move: image i is pushed as svc-(i % TAGS):latest, so each tag has a digest history and the
# older images are stale, as in a real fleet.
TAGS = 2500


class Browser:
    """A signed-in dashboard session over plain HTTP (the sign-in form, its CSRF cookie, the
    session cookie), timing each page."""

    def __init__(self, base, token):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        status, headers, body = self.request("GET", "/signin")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', body.decode()).group(1)
        cookie = headers["set-cookie"].split(";")[0]
        form = urllib.parse.urlencode({"csrf": csrf, "token": token})
        status, headers, _ = self.request("POST", "/signin", form.encode(), {
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 303, status
        self.cookie = next(c.split(";")[0] for c in headers.get_all("set-cookie")
                           if c.startswith("onus_session="))

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r.headers, data

    def page(self, path, n=50):
        times, size = [], 0
        for _ in range(n):
            t = time.perf_counter()
            status, _, body = self.request("GET", path, headers={"Cookie": self.cookie})
            times.append((time.perf_counter() - t) * 1000)
            assert status in (200, 303), (path, status, body[:300])
            size = len(body)
        times.sort()
        return statistics.median(times), times[int(len(times) * 0.95) - 1], size


def dashboard_pages(server, api, token, onus, data):
    """Every page of the dashboard, timed: p50/p95 ms and HTML bytes."""
    read = subprocess.run([onus, "serve", "token", "create", "--scope", "read", "--data", data],
                          check=True, capture_output=True, text=True).stdout.strip()
    browser = Browser(server.url, read)
    _, moves = call(f"{api}/moves?party=customer&limit=5", token)
    first = moves["moves"][0] if moves["moves"] else None
    digest = first["images"][0] if first else None
    vuln = first["ids"][0] if first and first["ids"] else None
    _, report = call(f"{api}/images/{digest}", token)
    purl = report["components"][0]["purl"]
    name = report["components"][0]["name"]
    q = urllib.parse.quote
    pages = [
        ("overview", "/"),
        ("your moves", "/moves"),
        ("your moves, filtered", f"/moves?kind=update&text={q(name)}"),
        ("vendor clocks", "/vendor"),
        ("upstream", "/upstream"),
        ("images", "/images"),
        ("images, filtered (stale, text)", "/images?text=svc-12&stale=on"),
        ("images, page 100", None),
        ("image", f"/images/{digest}"),
        ("vulnerability", f"/vulnerability?id={q(vuln, safe='')}"),
        ("package", f"/package?purl={q(purl, safe='')}"),
        ("search (name)", f"/search?q={q(name)}"),
        ("search (id)", f"/search?q={q(vuln, safe='')}"),
    ]
    rows = []
    for label, path in pages:
        if path is None:
            _, listing = call(f"{api}/images?limit=1000", token)
            path = f"/images?after={listing['images'][-1]['digest']}"
        rows.append((label, path) + browser.page(path))
        log(f"dashboard {label}: p95 {rows[-1][3]:.1f} ms, {rows[-1][4]} bytes")
    return rows


def touched_store(onus, shared, templates_list, pool_list, fraction):
    """A store with one more advisory for `fraction` of the fleet's OSV-matched packages."""
    path = os.path.join(WORK, f"store-b-{fraction}.db")
    packages = set()
    eco = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven", "apk": "Wolfi"}
    everything = [c for t in templates_list for c in t["components"]] + pool_list
    for c in everything:
        if True:
            if c["ecosystem"] in eco and (c["ecosystem"] != "apk" or "wolfi" in c["purl"]):
                packages.add((eco[c["ecosystem"]], c["name"]))
    all_packages = {(c["ecosystem"], c["name"]) for c in everything}
    n = max(1, round(len(all_packages) * fraction))
    chosen = sorted(packages)[:: max(1, len(packages) // n)][:n]
    if not os.path.exists(path):
        extra = os.path.join(WORK, f"extra-{fraction}", "osv")
        shutil.rmtree(os.path.dirname(extra), ignore_errors=True)
        os.makedirs(extra)
        for k, (ecosystem, name) in enumerate(chosen):
            doc = {"id": f"BENCH-2026-{k:04d}", "modified": "2026-11-20T00:00:00Z",
                   "summary": "generated for the fleet benchmark",
                   "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                                 "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
            with open(os.path.join(extra, f"BENCH-2026-{k:04d}.json"), "w") as f:
                json.dump(doc, f)
        log(f"building the store with {len(chosen)} new advisories ({len(chosen)} of {len(all_packages)} packages)")
        run([onus, "db", "build", "-q", "--db", path, "--from", shared, "--from", os.path.dirname(extra)])
    return path, len(chosen), len(all_packages)


def start_postgres():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        return None
    bin_dir = bins[-1]
    d = tempfile.mkdtemp(prefix="onus-bench-pg")
    root = os.geteuid() == 0
    pre = ["runuser", "-u", "nobody", "--"] if root else []
    if root:
        run(["chown", "-R", "nobody", d])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run(pre + [f"{bin_dir}/initdb", "-D", f"{d}/data", "-U", "onus", "-A", "trust", "--no-sync", "-E", "UTF8"],
        stdout=subprocess.DEVNULL, cwd=d)
    opts = f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_connections=100"
    run(pre + [f"{bin_dir}/pg_ctl", "-D", f"{d}/data", "-l", f"{d}/log", "-w", "-o", opts, "start"],
        stdout=subprocess.DEVNULL, cwd=d)
    run(pre + [f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "onus", "fleet"], cwd=d)

    def stop():
        subprocess.run(pre + [f"{bin_dir}/pg_ctl", "-D", f"{d}/data", "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, cwd=d)
        shutil.rmtree(d, ignore_errors=True)

    return f"postgres://onus@127.0.0.1:{port}/fleet", stop


def bench(onus, backend, data, store_src, store_b, templates_list, pool_list, images, clients,
          skip_rematch=False):
    work = os.path.join(WORK, backend)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    store = os.path.join(work, "vuln.db")
    shutil.copy(store_src, store)
    token = subprocess.run([onus, "serve", "token", "create", "--scope", "admin", "--data", data],
                           check=True, capture_output=True, text=True).stdout.strip()
    server = Server(onus, data, store)
    api = f"{server.url}/api/v1"
    row = {"backend": backend}
    try:
        # Generated before the clock starts: the clients only send.
        bodies_dir = os.path.join(WORK, "bodies")
        os.makedirs(bodies_dir, exist_ok=True)
        components = 0
        for i in range(images):
            path = os.path.join(bodies_dir, f"{i}.json")
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(make_report(templates_list, pool_list, i))
            t = templates_list[i % len(templates_list)]
            components += len(t["components"]) + min(EXTRA, len(pool_list))
        log(f"{backend}: {images} reports ready")
        t = time.time()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            def submit(i):
                with open(os.path.join(bodies_dir, f"{i}.json"), "rb") as f:
                    body = f.read()
                status, _ = call(f"{api}/reports?ref=registry.example/svc-{i % TAGS}:latest",
                                 token, "POST", body)
                assert status == 201, status
            list(pool.map(submit, range(images)))
        elapsed = time.time() - t
        row["ingest"] = images / elapsed
        log(f"{backend}: RSS after ingest {server.peak_rss_mb():.0f} MB")
        row["components"] = components
        log(f"{backend}: ingested {images} images ({components} components) in {elapsed:.1f} s")
        row["summary"] = latency(api, token, "/summary")
        row["moves"] = latency(api, token, "/moves?party=customer")
        log(f"{backend}: summary p95 {row['summary'][1]:.1f} ms, moves p95 {row['moves'][1]:.1f} ms")

        row["pages"] = dashboard_pages(server, api, token, onus, data)
        row["rss"] = server.peak_rss_mb()
        if skip_rematch:
            return row

        _, s = call(f"{api}/summary", token)
        old_store = s["store"]
        t = time.time()
        staged = store + ".staged"
        shutil.copy(store_b, staged)
        os.rename(staged, store)
        s = wait_idle(api, token, since_store=old_store)
        row["update"] = time.time() - t
        log(f"{backend}: RSS after update {server.peak_rss_mb():.0f} MB")
        queued = [l for l in server.lines if "images queued" in l]
        row["update_queued"] = queued[-1] if queued else "?"
        log(f"{backend}: store update re-matched in {row['update']:.1f} s ({row['update_queued']})")

        t = time.time()
        call(f"{api}/rematch", token, "POST", b"")
        wait_idle(api, token)
        row["full"] = time.time() - t
        log(f"{backend}: full re-match in {row['full']:.1f} s")
        row["rss"] = server.peak_rss_mb()
    finally:
        server.stop()
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--skip-rematch", action="store_true",
                    help="measure ingest, queries and pages only")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    onus = onus_bin()
    shared = shared_data()
    a = store_a(onus, shared)
    tpl = templates(onus, a, shared)
    pl = pool(onus, a)
    b, touched, total = touched_store(onus, shared, tpl, pl, 0.01)
    rows = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            data = f"sqlite:{os.path.join(WORK, 'fleet.sqlite')}"
            for suffix in ["", "-wal", "-shm"]:
                if os.path.exists(os.path.join(WORK, "fleet.sqlite" + suffix)):
                    os.remove(os.path.join(WORK, "fleet.sqlite" + suffix))
            rows.append(bench(onus, backend, data, a, b, tpl, pl, args.images, args.clients,
                              args.skip_rematch))
        elif backend == "postgres":
            pg = start_postgres()
            if pg is None:
                log("no PostgreSQL here (Debian: postgresql); skipped")
                continue
            url, stop = pg
            try:
                rows.append(bench(onus, backend, url, a, b, tpl, pl, args.images, args.clients,
                                  args.skip_rematch))
            finally:
                stop()
    print(f"\n{args.images} images, {rows[0]['components'] if rows else 0} components; "
          f"store update touches {touched} of {total} packages; {args.clients} clients; "
          f"load average {os.getloadavg()[0]:.2f}\n")
    print("| backend | ingest (reports/s) | 1 % update re-matched (s) | full re-match (s) | /summary p50 / p95 (ms) | /moves p50 / p95 (ms) | peak RSS (MB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        update = f"{r['update']:.1f}" if "update" in r else "—"
        full = f"{r['full']:.1f}" if "full" in r else "—"
        print(f"| {r['backend']} | {r['ingest']:.0f} | {update} | {full} | "
              f"{r['summary'][0]:.1f} / {r['summary'][1]:.1f} | {r['moves'][0]:.1f} / {r['moves'][1]:.1f} | {r['rss']:.0f} |")
    print("\nDashboard pages (server time seen on loopback, 50 requests each, signed in):\n")
    print("| page | " + " | ".join(f"{r['backend']} p50 / p95 (ms)" for r in rows) + " | HTML (KB) |")
    print("| --- | " + " | ".join("---:" for _ in rows) + " | ---: |")
    if rows:
        for k, page in enumerate(rows[0]["pages"]):
            cells = " | ".join(f"{r['pages'][k][2]:.1f} / {r['pages'][k][3]:.1f}" for r in rows)
            print(f"| {page[0]} | {cells} | {page[4] / 1024:.0f} |")


if __name__ == "__main__":
    main()
