"""Load run: gunicorn on localhost against a database with demo data, a mix of searches, place
pages, ranked lists and applications for a bounded time; then the same gunicorn settings serving a
trivial Flask endpoint, so the ratio shows what StageMatch costs over the framework's floor.

    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:PORT/db
                                   [--students 60000 --companies 12500 --places 20000]
                                   [--seconds 120 --threads 16 --workers 4] [--skip-demo]
                                   [--pg-restart]

The site runs as in production: rate limits and login throttling on, their counters in a real
Redis (`redis-server` on a free port in a temporary folder, stopped afterwards). Every simulated
student comes from its own loopback address (127.0.0.x), as real students come from their own
addresses. After the mix, wrong logins for one account, spread over the workers, show that the
login throttle is shared: refused after the configured number, not after workers × that number
(the same with memory:// storage, per worker, is shown for comparison).

--pg-restart stops PostgreSQL a third into the mix and starts it again at two thirds, with the
shell commands in STAGEMATCH_PG_STOP and STAGEMATCH_PG_START (see .ci/run; use a throwaway
server), and prints how many answers were clean 503s during the outage and how many errors came
after it.

Prints requests, errors, throughput and p50/p95/p99 latency for both. Nothing is asserted."""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

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


def start_gunicorn(
    app: str, port: int, workers: int, env: dict, cwd: Path, access_log: Path | None = None
) -> subprocess.Popen:
    # The access log names the worker (its pid) that answered each request.
    logging = ["--access-logfile", str(access_log), "--access-logformat", "%(h)s %(p)s %(m)s %(s)s"]
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
        *(logging if access_log else []),
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
    """Ask the process to stop (gunicorn's master stops its workers); kill its group if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def start_redis() -> tuple[subprocess.Popen, str, Path]:
    """A throwaway Redis on a free localhost port, nothing written to disk; returns its URI."""
    import redis

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        sys.exit("bench/load.py needs redis-server (Debian: apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="stagematch-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            return process, f"redis://127.0.0.1:{port}/0", folder
        except redis.ConnectionError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError("redis-server did not start")


class FromAddress(HTTPAdapter):
    """Connections from one loopback address (any 127.x.y.z is this machine), so the site sees a
    client of its own, as it sees every real student."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_session(n: int) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(f"127.0.{1 + n // 250}.{1 + n % 250}"))
    return session


@dataclass
class Hit:
    started: float
    seconds: float
    status: int  # 0: no answer (connection refused or dropped, timeout)
    retry_after: bool = False


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
) -> list[Hit]:
    hits: list[Hit] = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        session = client_session(n)
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
                hit = Hit(start, 0.0, r.status_code, "Retry-After" in r.headers)
            except requests.RequestException:
                hit = Hit(start, 0.0, 0)
            hit.seconds = time.perf_counter() - start
            with lock:
                hits.append(hit)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return hits


def run_floor(base: str, seconds: int, threads: int, path: str = "/") -> tuple:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.time() + seconds

    def worker() -> None:
        session = requests.Session()
        while time.time() < deadline:
            start = time.perf_counter()
            try:
                ok = session.get(base + path).status_code == 200
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


def wrong_logins(base: str, attempts: int, burst: int, address: str) -> list[int]:
    """`attempts` wrong passwords for one account from one client address, `burst` at a time on
    separate connections (so the workers answer them side by side); their statuses in order."""
    email = "throttle-check@example.org"

    def prepared(_):
        session = requests.Session()
        session.mount("http://", FromAddress(address))
        page = session.get(f"{base}/account/inloggen").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return session, token

    def attempt(prepared_session) -> int:
        session, token = prepared_session
        data = {"email": email, "password": "niet-het-wachtwoord", "csrf_token": token}
        return session.post(f"{base}/account/inloggen", data=data).status_code

    with ThreadPoolExecutor(burst) as pool:
        sessions = list(pool.map(prepared, range(attempts)))  # forms first: the posts come fast
        statuses = []
        for i in range(0, attempts, burst):
            statuses += list(pool.map(attempt, sessions[i : i + burst]))
    return statuses


def workers_used(access_log: Path, address: str) -> int:
    pids = set()
    for line in access_log.read_text().splitlines():
        host, pid, method, _status = line.split()[:4]
        if host == address and method == "POST":
            pids.add(pid)
    return len(pids)


def throttle_check(name: str, env: dict, workers: int) -> None:
    """Wrong logins for one account over all workers: how many were checked rather than refused
    (429). Shared counters check about the limit (attempts in flight together may each pass, so
    up to burst - 1 more); per-worker counters check up to workers × the limit. Starts its own
    gunicorn, with an access log to see which workers answered."""
    try:
        from stagematch.auth.throttle import FREE_FAILURES as limit
    except ImportError:
        limit = 5
    log = Path(tempfile.mkdtemp(prefix="stagematch-access-")) / "access.log"
    port = free_port()
    server = start_gunicorn("wsgi:app", port, workers, env, ROOT, access_log=log)
    address = "127.0.99.1"
    try:
        # More attempts than the limit for every worker, so per-worker counting shows too.
        attempts = (limit + 3) * workers
        statuses = wrong_logins(f"http://127.0.0.1:{port}", attempts, workers, address)
    finally:
        stop(server)
    checked = sum(1 for status in statuses if status != 429)
    print(
        f"login throttle, {name:<22} {len(statuses)} wrong logins for one account over "
        f"{workers_used(log, address)} of {workers} workers: {checked} checked, "
        f"{len(statuses) - checked} refused (429); limit {limit} per account and client"
    )
    shutil.rmtree(log.parent, ignore_errors=True)


def restart_postgres_midway(seconds: int, stop_command: str, start_command: str) -> dict:
    """In a thread: stop PostgreSQL a third into the run, start it at two thirds; the times."""
    times: dict = {}

    def run() -> None:
        time.sleep(seconds / 3)
        times["stop_called"] = time.perf_counter()
        subprocess.run(stop_command, shell=True, check=True, capture_output=True, timeout=120)
        times["stopped"] = time.perf_counter()
        time.sleep(max(0.0, times["stop_called"] + seconds / 3 - time.perf_counter()))
        times["start_called"] = time.perf_counter()
        subprocess.run(start_command, shell=True, check=True, capture_output=True, timeout=120)
        times["started"] = time.perf_counter()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    times["thread"] = thread
    return times


def report_restart(hits: list[Hit], times: dict) -> None:
    if "started" not in times:
        print("PostgreSQL restart: did not complete (check the commands); figures skipped")
        return
    during = [
        h
        for h in hits
        if h.started > times["stopped"] and h.started + h.seconds < times["start_called"]
    ]
    after = [h for h in hits if h.started > times["started"]]  # fmt: skip
    clean = sum(1 for h in during if h.status == 503 and h.retry_after)
    errors_after = sum(1 for h in after if h.status >= 500 or h.status == 0)
    print(
        f"PostgreSQL down {times['start_called'] - times['stopped']:.1f} s: {len(during)} answers "
        f"during the outage, {clean} of them clean 503s with Retry-After; after the restart "
        f"{len(after)} answers, {errors_after} errors"
    )


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
    parser.add_argument(
        "--pg-restart",
        action="store_true",
        help="stop and start PostgreSQL during the mix (STAGEMATCH_PG_STOP / STAGEMATCH_PG_START)",
    )
    args = parser.parse_args()
    stop_command, start_command = (
        os.environ.get("STAGEMATCH_PG_STOP"),
        os.environ.get("STAGEMATCH_PG_START"),
    )
    if args.pg_restart and not (stop_command and start_command):
        sys.exit(
            "--pg-restart needs the shell commands in STAGEMATCH_PG_STOP and STAGEMATCH_PG_START"
        )

    redis_server, redis_uri, redis_dir = start_redis()
    try:
        run(args, redis_uri, stop_command, start_command)
    finally:
        stop(redis_server)
        shutil.rmtree(redis_dir, ignore_errors=True)


def instance_for(database_url: str) -> str:
    """A stable instance folder per database, so a --skip-demo run finds the trained model again."""
    instance = str(
        Path(tempfile.gettempdir())
        / f"stagematch-load-{hashlib.sha256(database_url.encode()).hexdigest()[:10]}"
    )
    Path(instance).mkdir(exist_ok=True)
    return instance


def run(args, redis_uri: str, stop_command: str | None, start_command: str | None) -> None:
    instance = instance_for(args.database_url)
    env = {"DATABASE_URL": args.database_url, "STAGEMATCH_INSTANCE": instance, "SECRET_KEY": "load-test-secret",
           "STAGEMATCH_CONFIG": "production", "BASE_URL": "https://stagematch.example",
           "RATELIMIT_STORAGE_URI": redis_uri}  # fmt: skip
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
    # Production config marks cookies Secure and serves only BASE_URL's host; plain http on
    # localhost needs the development settings. Rate limits and login throttling stay on, in Redis.
    env["STAGEMATCH_CONFIG"] = "development"
    env["RATELIMIT_ENABLED"] = "1"
    env.pop("BASE_URL")
    from sqlalchemy import create_engine, text

    engine = create_engine(args.database_url)
    with engine.connect() as conn:
        place_ids = [
            r[0]
            for r in conn.execute(text("SELECT id FROM placement WHERE status = 'open' LIMIT 5000"))
        ]
    engine.dispose()
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
    times: dict = {}
    try:
        if args.pg_restart:
            times = restart_postgres_midway(args.seconds, stop_command, start_command)
        hits = run_mix(
            f"http://127.0.0.1:{port}", args.seconds, args.threads, args.students, place_ids, towns
        )
        errors = sum(1 for h in hits if h.status >= 500 or h.status == 0)
        ours = report("StageMatch mix", [h.seconds for h in hits], errors, args.seconds)
    finally:
        stop(server)
        if "thread" in times:
            times["thread"].join(timeout=240)
    if args.pg_restart:
        report_restart(hits, times)
    throttle_check("shared (Redis):", env, args.workers)
    throttle_check(
        "per worker (memory://):", {**env, "RATELIMIT_STORAGE_URI": "memory://"}, args.workers
    )
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
        shutil.rmtree(floor_dir, ignore_errors=True)
    print(
        f"StageMatch over the framework floor: p50 {ours['p50'] / floor['p50']:.1f}x, "
        f"throughput {floor['rps'] / ours['rps']:.1f}x lower"
    )


if __name__ == "__main__":
    main()


def activate_for_benchmark(version) -> None:
    """Make `version` the only active one although it did not pass the gate (the benchmark times
    the model, gate or not), as `ranking.registry.activate` leaves the table: the others off
    first (at most one version may be active)."""
    from stagematch.extensions import db
    from stagematch.models import ModelVersion

    db.session.execute(
        ModelVersion.__table__.update().where(ModelVersion.id != version.id).values(active=False)
    )
    version.active = True
    db.session.commit()
