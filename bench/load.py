"""Load run: gunicorn on localhost against a database with demo data, a mix of searches, place
pages, ranked lists and applications for a bounded time; then the same gunicorn settings serving a
trivial Flask endpoint, so the ratio shows what StageMatch costs over the framework's floor.

    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:PORT/db
                                   [--students 60000 --companies 12500 --places 20000]
                                   [--seconds 120 --threads 16 --workers 4] [--skip-demo]

Prints requests, errors, throughput and p50/p95/p99 latency for both. Nothing is asserted."""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
FLOOR_APP = """
from flask import Flask
app = Flask(__name__)
@app.route("/")
def index():
    return "ok"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, port: int, workers: int, env: dict, cwd: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, start_new_session=True)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=10)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def report(name: str, latencies: list[float], errors: int, seconds: float) -> dict:
    latencies = sorted(latencies)

    def q(p):
        return (
            1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]
            if latencies
            else float("nan")
        )  # noqa: E731

    row = {"name": name, "requests": len(latencies), "errors": errors, "rps": len(latencies) / seconds,
           "p50": q(0.5), "p95": q(0.95), "p99": q(0.99)}  # fmt: skip
    print(
        f"{name:<28}{row['requests']:>9}{errors:>8}{row['rps']:>10.1f}{row['p50']:>9.1f}{row['p95']:>9.1f}{row['p99']:>9.1f}"
    )
    return row


def run_mix(
    base: str, seconds: int, threads: int, students: int, place_ids: list[int], towns: list[str]
) -> tuple:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.time() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        email = f"student{rng.randint(2, students)}@demo.stagematch.nl"
        page = session.get(f"{base}/account/inloggen").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        session.post(
            f"{base}/account/inloggen",
            data={"email": email, "password": "stagematch-demo", "csrf_token": token},
        )
        while time.time() < deadline:
            roll = rng.random()
            start = time.perf_counter()
            try:
                if roll < 0.4:
                    r = session.get(f"{base}/plekken/", params={"town": rng.choice(towns), "radius": rng.choice([10, 25, 40]),
                                                                "sort": rng.choice(["relevance", "distance", "pay"])})  # fmt: skip
                elif roll < 0.7:
                    r = session.get(f"{base}/plekken/{rng.choice(place_ids)}")
                elif roll < 0.9:
                    r = session.get(f"{base}/student/")
                else:
                    place = rng.choice(place_ids)
                    form = session.get(f"{base}/plekken/{place}/solliciteren")
                    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
                    r = form
                    if found:
                        r = session.post(f"{base}/plekken/{place}/solliciteren",
                                         data={"motivation": "Ik wil graag bij jullie leren en werk hard.", "anonymous": "y",
                                               "csrf_token": found.group(1)})  # fmt: skip
                ok = r.status_code < 500
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                errors[0] += not ok

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors[0]


def run_floor(base: str, seconds: int, threads: int) -> tuple:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.time() + seconds

    def worker() -> None:
        session = requests.Session()
        while time.time() < deadline:
            start = time.perf_counter()
            try:
                ok = session.get(base + "/").status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                latencies.append(time.perf_counter() - start)
                errors[0] += not ok

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--companies", type=int, default=12_500)
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()

    # A stable instance folder per database, so a --skip-demo run finds the trained model again.
    instance = str(
        Path(tempfile.gettempdir())
        / f"stagematch-load-{hashlib.sha256(args.database_url.encode()).hexdigest()[:10]}"
    )
    Path(instance).mkdir(exist_ok=True)
    env = {"DATABASE_URL": args.database_url, "STAGEMATCH_INSTANCE": instance, "SECRET_KEY": "load-test-secret",
           "STAGEMATCH_CONFIG": "production"}  # fmt: skip
    flask = [sys.executable, "-m", "flask", "--app", "stagematch"]
    if not args.skip_demo:
        subprocess.run(
            [*flask, "db", "upgrade"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        subprocess.run([*flask, "demo", "--students", str(args.students), "--companies", str(args.companies),
                        "--places", str(args.places), "--seed", "1"], cwd=ROOT, env={**os.environ, **env}, check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run(
            [*flask, "train"], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True
        )
    # Production config marks cookies Secure; plain http on localhost needs them without.
    env["STAGEMATCH_CONFIG"] = "development"
    env["RATELIMIT_ENABLED"] = "0"  # every simulated student logs in from the same address
    from sqlalchemy import create_engine, text

    engine = create_engine(args.database_url)
    with engine.connect() as conn:
        place_ids = [
            r[0]
            for r in conn.execute(text("SELECT id FROM placement WHERE status = 'open' LIMIT 5000"))
        ]
    towns = [
        "Enschede",
        "Hengelo",
        "Almelo",
        "Zwolle",
        "Deventer",
        "Kampen",
        "Hardenberg",
        "Raalte",
        "Rijssen",
        "Apeldoorn",
    ]

    print(
        f"{'run':<28}{'requests':>9}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    port = free_port()
    server = start_gunicorn("wsgi:app", port, args.workers, env, ROOT)
    try:
        latencies, errors = run_mix(
            f"http://127.0.0.1:{port}", args.seconds, args.threads, args.students, place_ids, towns
        )
        ours = report("StageMatch mix", latencies, errors, args.seconds)
    finally:
        stop(server)
    floor_dir = Path(tempfile.mkdtemp(prefix="stagematch-floor-"))
    (floor_dir / "floor.py").write_text(FLOOR_APP)
    port = free_port()
    server = start_gunicorn("floor:app", port, args.workers, {}, floor_dir)
    try:
        latencies, errors = run_floor(
            f"http://127.0.0.1:{port}", min(30, args.seconds), args.threads
        )
        floor = report("trivial Flask endpoint", latencies, errors, min(30, args.seconds))
    finally:
        stop(server)
    print(
        f"StageMatch over the framework floor: p50 {ours['p50'] / floor['p50']:.1f}x, "
        f"throughput {floor['rps'] / ours['rps']:.1f}x lower"
    )


if __name__ == "__main__":
    main()
