"""National benchmark (issue #20 item 4): the demo world at national scale — 500,000 students,
150,000 places, 50,000 leerbedrijven spread over the country around every school of the register —
on PostgreSQL, and the figures the issue asks for, printed as one table:

    .venv/bin/python bench/national.py --database-url postgresql+psycopg://postgres@127.0.0.1:PORT/db
                                       [--students 500000 --places 150000 --companies 50000]
                                       [--scale F] [--skip-build] [--seconds 120 --threads 16]
                                       [--workers 4] [--requests 100]

1. build: an empty schema, migrations, `demo.generate` in this process (the generator writes its
   rows in bulk already; the `flask demo` command stops at 200,000 students), then `ops.analyze`.
2. batch ranking of every student: `services.stored_suggestions.refresh_all()` when it exists,
   otherwise `ranking.rank_students` over all students, CHUNK students at a time (top 10 each).
   The active model ranks; without one, `flask train` runs (given TRAIN_SECONDS, else the rule
   ranks). A version the gate refused is made active for this benchmark only (as in
   ranking_bench.py: the timings are of the model, gate or not).
3. single client, one request at a time: p50/p95 of a student's home, search by town, by words,
   relevance-sorted search, a place page and the API's matches; several students, each logged
   in from its own loopback address, take turns.
4. the load mix of bench/load.py (`run_mix`) on the same gunicorn, with the job worker beside it
   (Huey on Redis, as in production: it recomputes the stored lists the mix makes stale), then its
   floor (`run_floor`) on `/healthz` (a database page: one SELECT 1) of that same gunicorn, then
   the trivial-Flask framework floor of load.py; throughput of the mix as a share of each.
5. resident memory of each gunicorn worker after the mix (/proc/<pid>/status VmRSS).

Rate limits and login throttling are on, their counters in a throwaway Redis (load.py). Nothing is
asserted; figures are printed. `--scale 0.02` is 10,000 students; `--scale 0.12` 60,000."""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import load  # noqa: E402  (bench/load.py, next to this file)

ROOT = load.ROOT
CHUNK = 20_000  # students per rank_students call when there is no stored_suggestions.refresh_all
TRAIN_SECONDS = 300  # train a model only if it takes less than this
TOP = 10
# The demo's history simulation (`demo._History.past`: who looked, applied, was taken, how it went)
# grows with the square of the students (every seeker scans the places of their dossier on
# offer then): 3 s at 10,000 students, 100 s at 60,000, hours at 500,000. Beyond this many
# students only the first ones get a history; the rest have none yet (they are counted, ranked
# and served like the others). Enough history to train a model on.
HISTORY_STUDENTS = 60_000
WORDS = ["zorg", "keuken", "monteur", "verkoop", "administratie", "techniek", "klant", "logistiek",
         "ict", "installatie", "kapper", "bouw", "magazijn", "onderhoud", "schilder"]  # fmt: skip


def scaled(value: int, scale: float) -> int:
    """`value` times `scale`, at least 1."""
    return max(1, round(value * scale))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS), NaN when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class Clock:
    """Wall time of each step, printed as it ends and kept for the summary."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    def step(self, name: str, started: float) -> float:
        elapsed = time.perf_counter() - started
        self.steps.append((name, elapsed))
        print(f"[{name}: {elapsed:.1f} s]", flush=True)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--students", type=int, default=500_000)
    parser.add_argument("--places", type=int, default=150_000)
    parser.add_argument("--companies", type=int, default=50_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies all three counts")
    parser.add_argument("--skip-build", action="store_true", help="use the data already there")
    parser.add_argument("--seconds", type=int, default=120, help="length of the load mix")
    parser.add_argument("--threads", type=int, default=16, help="clients in the load mix")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--requests", type=int, default=100, help="single-client requests per page")
    parser.add_argument("--history-students", type=int, default=HISTORY_STUDENTS,
                        help="students with a simulated history (the rest have none)")  # fmt: skip
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # a long run: every line as it comes
    args.students, args.places, args.companies = (
        scaled(args.students, args.scale),
        scaled(args.places, args.scale),
        scaled(args.companies, args.scale),
    )
    if not args.database_url.startswith("postgresql"):
        sys.exit("bench/national.py runs on PostgreSQL (--database-url postgresql+psycopg://...)")
    redis_server, redis_uri, redis_dir = load.start_redis()
    try:
        run(args, redis_uri)
    finally:
        load.stop(redis_server)
        shutil.rmtree(redis_dir, ignore_errors=True)


def start_job_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """`huey_consumer stagematch.worker.huey` (two threads, as `./dev.py run`) with the site's
    environment; its output goes to `log_path`."""
    log = log_path.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "huey.bin.huey_consumer", "stagematch.worker.huey", "-w", "2",
         "-k", "thread"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def run(args, redis_uri: str) -> None:
    clock = Clock()
    instance = load.instance_for(args.database_url)
    os.environ["STAGEMATCH_INSTANCE"] = instance
    from stagematch import create_app

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": args.database_url})
    with app.app_context(), app.test_request_context():
        if not args.skip_build:
            build(args, clock)
        ranker_name = model_for_ranking(args, instance, clock)
        students = batch_rank(clock)
        sample = prepare_clients(students)
    figures: dict = {"ranked by": ranker_name, "students ranked": students["count"]}
    env = {"DATABASE_URL": args.database_url, "STAGEMATCH_INSTANCE": instance,
           "SECRET_KEY": "load-test-secret", "STAGEMATCH_CONFIG": "development",
           "RATELIMIT_ENABLED": "1", "RATELIMIT_STORAGE_URI": redis_uri,
           "JOBS_URL": redis_uri.rsplit("/", 1)[0] + "/1"}  # fmt: skip
    # The job worker runs beside the site, as `./dev.py run` and production have it: it
    # recomputes the stored lists that views and applications made stale during the mix.
    job_worker = start_job_worker(env, Path(instance) / "job-worker.log")
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = load.start_gunicorn("wsgi:app", port, args.workers, env, ROOT)
    clock.step("gunicorn start", started)
    try:
        started = time.perf_counter()
        singles = single_client(base, sample, args.requests)
        clock.step("single client", started)
        started = time.perf_counter()
        towns = sorted({c["town"] for c in sample["clients"]} | set(sample["towns"]))
        hits = load.run_mix(base, args.seconds, args.threads, students["count"],
                            sample["place_ids"], towns)  # fmt: skip
        clock.step("load mix", started)
        workers = {pid: rss_mb(pid) for pid in children(server.pid)}
        started = time.perf_counter()
        floor_latencies, floor_errors = load.run_floor(
            base, min(30, args.seconds), args.threads, path="/healthz"
        )
        clock.step("database-page floor (/healthz)", started)
    finally:
        load.stop(server)
        load.stop(job_worker)
    started = time.perf_counter()
    framework_dir = Path(tempfile.mkdtemp(prefix="stagematch-floor-"))
    (framework_dir / "floor.py").write_text(load.FLOOR_APP)
    port = load.free_port()
    server = load.start_gunicorn("floor:app", port, args.workers, {}, framework_dir)
    try:
        framework = load.run_floor(f"http://127.0.0.1:{port}", min(30, args.seconds), args.threads)
    finally:
        load.stop(server)
        shutil.rmtree(framework_dir, ignore_errors=True)
    clock.step("framework floor (trivial Flask)", started)

    print()
    print(f"national benchmark: {args.students} students, {args.places} places, "
          f"{args.companies} leerbedrijven asked; {students['count']} students, "
          f"{sample['open_places']} open places in the database; {args.workers} gunicorn workers, "
          f"{args.threads} clients in the mix")  # fmt: skip
    print(f"{'single client (sequential)':<36}{'requests':>9}{'not 2xx':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'max ms':>9}")  # fmt: skip
    for name, (times, bad) in singles.items():
        print(f"{name:<36}{len(times):>9}{bad:>9}{1000 * percentile(times, 0.5):>9.1f}"
              f"{1000 * percentile(times, 0.95):>9.1f}{1000 * max(times):>9.1f}")  # fmt: skip
    print(
        f"{'run':<28}{'requests':>9}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    errors = sum(1 for h in hits if h.status >= 500 or h.status == 0)
    limited = sum(1 for h in hits if h.status == 429)
    ours = load.report("StageMatch mix", [h.seconds for h in hits], errors, args.seconds)
    floor = load.report("floor: /healthz, same app", floor_latencies, floor_errors,
                        min(30, args.seconds))  # fmt: skip
    bare = load.report("floor: trivial Flask", *framework, min(30, args.seconds))
    print(f"mix answers refused with 429 (rate limits): {limited}")
    print(f"mix throughput as a share of the /healthz floor: {100 * ours['rps'] / floor['rps']:.1f} % "
          f"(goal >= 25 % at 60k); of the trivial Flask floor: "
          f"{100 * ours['rps'] / bare['rps']:.1f} %")  # fmt: skip
    for pid, mb in workers.items():
        print(f"gunicorn worker {pid}: {mb:.0f} MB RSS after the mix (goal <= 300 MB)")
    print(f"batch ranking ({figures['ranked by']}): {students['count']} students in "
          f"{students['seconds']:.1f} s = {students['seconds'] / 60:.2f} min via {students['how']} "
          f"(goal <= 3 min at 500k); peak RSS of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip
    print("wall time per step: " + ", ".join(f"{name} {s:.0f} s" for name, s in clock.steps))


def build(args, clock: Clock) -> None:
    """Empty schema, migrations, the demo generator, ANALYZE; the time of each part."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from stagematch import demo
    from stagematch.extensions import db
    from stagematch.ops import analyze

    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    # A model trained on earlier data of this database would not fit the new rows.
    shutil.rmtree(Path(os.environ["STAGEMATCH_INSTANCE"]) / "models", ignore_errors=True)
    clock.step("schema", started)
    started = time.perf_counter()

    def progress(message: str) -> None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {time.perf_counter() - started:7.1f} s  peak RSS {rss:6.0f} MB  {message}",
              flush=True)  # fmt: skip

    past = demo._History.past
    if args.students > args.history_students:
        print(f"  history simulated for the first {args.history_students} students only "
              f"(see HISTORY_STUDENTS)")  # fmt: skip
        demo._History.past = lambda sim, students: past(sim, students[: args.history_students])
    try:
        summary = demo.generate(students=args.students, companies=args.companies,
                                places=args.places, seed=1, progress=progress)  # fmt: skip
    finally:
        demo._History.past = past
    progress("klaar")
    print("  " + ", ".join(f"{k}: {v}" for k, v in list(summary.counts.items())[:10]))
    clock.step("build (demo.generate)", started)
    started = time.perf_counter()
    analyze()
    clock.step("ANALYZE", started)


def model_for_ranking(args, instance: str, clock: Clock) -> str:
    """The active model's name, training one first (TRAIN_SECONDS at most) when none is."""
    from sqlalchemy import select

    from stagematch.extensions import db
    from stagematch.models import ModelVersion
    from stagematch.ranking import active_model, refusal

    if active_model() is None:
        started = time.perf_counter()
        env = {**os.environ, "DATABASE_URL": args.database_url, "STAGEMATCH_INSTANCE": instance,
               "STAGEMATCH_CONFIG": "development"}  # fmt: skip
        try:
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "stagematch", "train"],
                                  cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=TRAIN_SECONDS)  # fmt: skip
            print(
                done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
            )
        except subprocess.TimeoutExpired:
            print(f"flask train took more than {TRAIN_SECONDS} s: stopped, the rule ranks")
        clock.step("flask train", started)
        db.session.expire_all()
        if active_model() is None:
            newest = db.session.scalar(select(ModelVersion).order_by(ModelVersion.id.desc()))
            if newest is not None and newest.artifact != "pending":
                print(f"gate: {refusal(newest)} Active for this benchmark only.")
                load.activate_for_benchmark(newest)
    model = active_model()
    return "the rule (no model)" if model is None else f"model {model.family}"


def batch_rank(clock: Clock) -> dict:
    """Rank every student: stored_suggestions.refresh_all() if it exists, else rank_students in
    chunks of CHUNK students."""
    from sqlalchemy import select

    from stagematch.extensions import db
    from stagematch.models import StudentProfile

    ids = list(db.session.scalars(select(StudentProfile.id).order_by(StudentProfile.id)))
    started = time.perf_counter()
    try:
        from stagematch.services import stored_suggestions
    except ImportError:
        stored_suggestions = None
    if stored_suggestions is not None and hasattr(stored_suggestions, "refresh_all"):

        def progress(done: int, total: int) -> None:
            print(f"  {time.perf_counter() - started:7.1f} s  {done} of {total} students ranked "
                  f"and stored", flush=True)  # fmt: skip

        stored = stored_suggestions.refresh_all(progress=progress)
        how = f"services.stored_suggestions.refresh_all(): {stored} lists stored"
    else:
        from stagematch.ranking import rank_students

        how = f"ranking.rank_students, {CHUNK} students a call (no stored_suggestions.refresh_all)"
        places = 0
        for start in range(0, len(ids), CHUNK):
            ranked = rank_students(ids[start : start + CHUNK], top=TOP)
            places += sum(map(len, ranked.values()))
            db.session.expire_all()
            print(f"  {time.perf_counter() - started:7.1f} s  {start + CHUNK} students ranked",
                  flush=True)  # fmt: skip
        how += f"; top {TOP}: {places} places in all"
    seconds = clock.step("batch ranking", started)
    return {"count": len(ids), "seconds": seconds, "how": how}


def prepare_clients(students: dict, clients: int = 10) -> dict:
    """Students for the single-client run (with a place list near them, each with a fresh API
    token), open place ids and towns for the mix."""
    from sqlalchemy import func, select, update

    from stagematch.extensions import db
    from stagematch.models import ApiToken, Placement, StudentProfile, User
    from stagematch.models.enums import PlacementStatus
    from stagematch.services.tokens import create_token
    from stagematch.timeutil import utcnow

    rng = random.Random(7)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.name == "national-bench", ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    profiles = list(db.session.scalars(
        select(StudentProfile).where(StudentProfile.lat.is_not(None), StudentProfile.city != "")
        .order_by(StudentProfile.id).offset(rng.randrange(max(1, students["count"] - 5000)))
        .limit(5000)
    ))  # fmt: skip
    chosen = rng.sample(profiles, min(clients, len(profiles)))
    out = []
    for profile in chosen:
        user = db.session.get(User, profile.user_id)
        _token, secret = create_token(user, "national-bench")
        out.append({"email": user.email, "profile_id": profile.id, "town": profile.city,
                    "token": secret})  # fmt: skip
    db.session.commit()
    open_ids = list(db.session.scalars(
        select(Placement.id).where(Placement.status == PlacementStatus.OPEN)
        .order_by(func.random()).limit(5000)
    ))  # fmt: skip
    towns = list(db.session.scalars(
        select(Placement.city).where(Placement.status == PlacementStatus.OPEN)
        .group_by(Placement.city).order_by(func.count().desc()).limit(40)
    ))  # fmt: skip
    count = db.session.scalar(
        select(func.count()).select_from(Placement).where(Placement.status == PlacementStatus.OPEN)
    )
    return {"clients": out, "place_ids": open_ids, "towns": towns, "open_places": count}


def login(base: str, n: int, email: str) -> requests.Session:
    session = load.client_session(200 + n)  # own loopback addresses, apart from the mix's
    page = session.get(f"{base}/account/inloggen").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    session.post(f"{base}/account/inloggen",
                 data={"email": email, "password": "stagematch-demo", "csrf_token": token})  # fmt: skip
    return session


def single_client(base: str, sample: dict, per_page: int) -> dict[str, tuple[list[float], int]]:
    """One request at a time, the pages in turn, the students in turn: latencies and how many
    answers were not 2xx, per page."""
    rng = random.Random(11)
    clients = [(login(base, n, c["email"]), c) for n, c in enumerate(sample["clients"])]
    pages = {
        "student home /student/": lambda c: ("/student/", {}),
        "search by town (distance)": lambda c: (
            "/plekken/", {"town": c["town"], "radius": 25, "sort": "distance"}),
        "search by words": lambda c: ("/plekken/", {"q": rng.choice(WORDS), "sort": "start"}),
        "search by relevance (town)": lambda c: (
            "/plekken/", {"town": c["town"], "radius": 25, "sort": "relevance"}),
        "place page /plekken/<id>": lambda c: (f"/plekken/{rng.choice(sample['place_ids'])}", {}),
        "API matches": lambda c: (f"/api/v1/students/{c['profile_id']}/matches", {}),
    }  # fmt: skip
    results: dict[str, tuple[list[float], int]] = {}
    for name, target in pages.items():
        times, bad = [], 0
        for i in range(per_page + 5):  # the first five warm up and are not counted
            session, client = clients[i % len(clients)]
            path, params = target(client)
            headers = {"Authorization": f"Bearer {client['token']}"} if "api" in path else {}
            started = time.perf_counter()
            status = session.get(base + path, params=params, headers=headers).status_code
            elapsed = time.perf_counter() - started
            if i >= 5:
                times.append(elapsed)
                bad += not 200 <= status < 300
        results[name] = (times, bad)
        print(f"  {name}: p50 {1000 * percentile(times, 0.5):.1f} ms, "
              f"p95 {1000 * percentile(times, 0.95):.1f} ms, {bad} not 2xx", flush=True)  # fmt: skip
    return results


if __name__ == "__main__":
    main()
