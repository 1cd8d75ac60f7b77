#!/usr/bin/env python3
"""The two commands of the README, with nothing but Python 3.11+ and git on the machine.

./dev.py run    create .venv, install, migrate, load demo data if empty, serve on 127.0.0.1:5000
                with the job worker next to it (mail, exports, training; stops with the site)
./dev.py test   install, run the whole test suite on SQLite, and again on PostgreSQL when
                TEST_DATABASE_URL is set
./dev.py translations   extract new messages into the catalogues (en, pl, uk, ar) and compile them
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".installed"


def sh(*args: str | Path, env: dict | None = None, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run(
        [str(a) for a in args], cwd=ROOT, env={**os.environ, **(env or {})}, check=check
    ).returncode


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is installed
        sys.exit("StageMatch needs Python 3.11 or newer.")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pyproject = (ROOT / "pyproject.toml").stat().st_mtime
    if not STAMP.exists() or STAMP.stat().st_mtime < pyproject:
        sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.touch()


def flask(*args: str, env: dict | None = None) -> int:
    return sh(BIN / "flask", "--app", "stagematch", *args, env=env)


def run() -> None:
    ensure_venv()
    flask("db", "upgrade")
    flask("load-reference")
    flask("demo", "--if-empty")
    flask("train", "--if-needed")
    flask("refresh-suggestions")
    instance = Path(os.environ.get("STAGEMATCH_INSTANCE", ROOT / "instance"))
    port = os.environ.get("PORT", "5000")
    # Links in mail (built by the site and by the worker) point at this site, on whatever port.
    os.environ.setdefault("BASE_URL", f"http://127.0.0.1:{port}")
    # The job worker (mail, exports, training, large allocations, the nightly jobs) runs next to
    # the site and stops with it: Ctrl-C reaches both, and whatever way the site ends, the worker
    # is stopped too.
    print("+ worker: huey_consumer stagematch.worker.huey", flush=True)
    worker = subprocess.Popen(
        [str(BIN / "huey_consumer"), "stagematch.worker.huey", "-w", "2", "-k", "thread", "-f"],
        cwd=ROOT,
    )
    print(f"\nStageMatch: http://127.0.0.1:{port}\n"
          f"  outbox (every mail the site sends): {os.environ.get('MAIL_FILE_PATH') or instance / 'outbox'}\n"
          f"  job queue: {os.environ.get('JOBS_URL') or instance / 'jobs.db'} (worker pid {worker.pid});"
          f" a job's progress and report are on /taken/<id>\n", flush=True)  # fmt: skip
    interrupted = False
    try:
        code = sh(BIN / "flask", "--app", "stagematch", "run", "--host", "127.0.0.1", "--port", port,
                  check=False)  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C reached the worker too: it is finishing its task already
        code, interrupted = 0, True
    finally:
        stop(worker, signalled=interrupted)
    sys.exit(code)


def stop(process: subprocess.Popen, timeout: float = 10, signalled: bool = False) -> None:
    """Stop a child: politely (SIGINT: Huey's consumer finishes the task at hand; skipped when it
    had one already), then firmly (SIGTERM: at once), then for sure."""
    polite = [signal.SIGINT, signal.SIGTERM] if os.name != "nt" else [signal.SIGTERM]
    for sig in [None, *polite[1:]] if signalled else polite:
        if process.poll() is not None:
            return
        if sig is not None:
            process.send_signal(sig)
        try:
            process.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    process.kill()
    process.wait()


def test(extra: list[str]) -> None:
    ensure_venv()
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    print("== tests on SQLite ==", flush=True)
    code = subprocess.run([str(PY), "-m", "pytest", *extra], cwd=ROOT, env=env).returncode
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        print(f"== tests on PostgreSQL ({pg.rsplit('@', 1)[-1]}) ==", flush=True)
        code = subprocess.run([str(PY), "-m", "pytest", *extra], cwd=ROOT).returncode or code
    else:
        print("TEST_DATABASE_URL is not set: PostgreSQL run skipped (.ci/run sets it).", flush=True)
    sys.exit(code)


def translations() -> None:
    """Extract every marked message, merge it into the catalogues (new ones untranslated, so
    tests/test_i18n.py and tests/test_languages.py fail until someone translates them) and compile
    the .mo files."""
    ensure_venv()
    pot = ROOT / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    babel = (PY, "-m", "babel.messages.frontend", "-q")
    sh(*babel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "--no-location", "--project", "StageMatch",
       "--sort-output", "-o", pot, ".")  # fmt: skip
    catalogue = ROOT / "stagematch" / "translations"
    # English is complete; Polish, Ukrainian and Arabic cover what students meet (docs/languages.md).
    for locale in ("en", "pl", "uk", "ar"):
        if (catalogue / locale / "LC_MESSAGES" / "messages.po").exists():
            sh(*babel, "update", "-i", pot, "-d", catalogue, "-l", locale, "--no-fuzzy-matching",
               "--ignore-obsolete", "--width", "100")  # fmt: skip
        else:
            sh(*babel, "init", "-i", pot, "-d", catalogue, "-l", locale, "--width", "100")
        # --use-fuzzy off, untranslated entries kept out of the .mo: Flask-Babel shows them in Dutch.
        sh(*babel, "compile", "-d", catalogue, "-l", locale)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command == "run":
        run()
    elif command == "test":
        test(sys.argv[2:])
    elif command == "translations":
        translations()
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
