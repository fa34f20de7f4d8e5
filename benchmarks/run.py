#!/usr/bin/env python3
"""CityPilot benchmarks: latency, throughput, SQL queries and memory of a production server.

One command (see benchmarks/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cp_gen .venv/bin/python benchmarks/run.py

starts ``citypilot serve --workers 2`` (gunicorn, CITYPILOT_ENV=production, a generated SECRET_KEY,
ALLOWED_HOSTS=127.0.0.1, benchmark query counting on) on a free loopback port, runs every scenario for
``--duration`` seconds with 1 and with 8 concurrent clients, times each list's and board's bare SQL on
the same database, measures ``citypilot audit verify`` and the import of the 2013 notice, stops the
server and writes ``benchmarks/results/<database>-<timestamp>.json``. ``--base-url`` uses a server that
is already running instead. ``--smoke`` runs everything for a fraction of a second (CI checks it works;
its numbers mean nothing). Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NOTICE = ROOT / "src" / "citypilot" / "notices" / "fixtures" / "notice_2013.txt"
LOOPBACK = ("127.", "localhost", "[::1]")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citypilot.settings")
    import django

    django.setup()


# --- who asks ---------------------------------------------------------------------------------
@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    cookies: dict[str, str]
    user: Any = None


def make_callers() -> dict[str, Caller]:
    """A ministry and a provincial officer (API tokens and sessions), and the public."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from citypilot.accounts.choices import Role
    from citypilot.accounts.models import Membership
    from citypilot.accounts.services import issue_api_token

    callers = {"anonymous": Caller("anonymous", {}, {})}
    for name, role in (("ministry", Role.MINISTRY_OFFICER), ("province", Role.PROVINCIAL_OFFICER)):
        membership = (
            Membership.objects.filter(role=role, user__is_active=True)
            .select_related("user", "organisation")
            .order_by("organisation__division_code", "pk")
            .first()
        )
        if membership is None:
            continue
        user = membership.user
        _token, key = issue_api_token(user, name="benchmark")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        callers[name] = Caller(
            name,
            {"Authorization": f"Bearer {key}"},
            {settings.SESSION_COOKIE_NAME: str(session.session_key)},
            user,
        )
    return callers


# --- what is asked ------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    caller: str
    path: Callable[[random.Random], str]
    kind: str  # page | api | list | board | export
    bare_sql: bool = False  # lists and boards: also time the SQL they emit


def make_scenarios(callers: dict[str, Caller]) -> list[Scenario]:
    from django.urls import NoReverseMatch, reverse

    from citypilot.accounts.models import Organisation
    from citypilot.pilots.models import Pilot

    pilot_ids = list(Pilot.objects.filter(is_placeholder=False).values_list("pk", flat=True))
    province = callers.get("province")
    province_org = None
    if province is not None:
        province_org = (
            Organisation.objects.filter(memberships__user=province.user, kind="province")
            .values_list("division_code", flat=True)
            .first()
        )
    province_name = (
        Pilot.objects.filter(supervising_authority__division_code=province_org)
        .values_list("province_name", flat=True)
        .first()
        if province_org
        else None
    ) or "河北省"
    pages = max(1, (len(pilot_ids) + 49) // 50)
    deep = max(1, pages * 3 // 4)
    pick: Callable[[random.Random], int] = lambda rng: rng.choice(pilot_ids)  # noqa: E731
    scenarios = [
        Scenario(
            "registry list (filtered, first page)",
            "ministry",
            lambda rng: f"/registry/?province={province_name}",
            "list",
            True,
        ),
        Scenario("registry list (deep page)", "ministry", lambda rng: f"/registry/?page={deep}", "list", True),
        Scenario("registry list (public)", "anonymous", lambda rng: "/registry/", "list", True),
        Scenario("pilot page", "ministry", lambda rng: f"/registry/pilots/{pick(rng)}/", "page", True),
        Scenario("map data", "ministry", lambda rng: "/api/pilots/map", "api", True),
        Scenario("API list", "ministry", lambda rng: "/api/pilots/?limit=50", "list", True),
        Scenario("API list (filtered)", "ministry", lambda rng: f"/api/pilots/?province={province_name}", "list", True),
        Scenario(
            "API list (deep page)", "ministry", lambda rng: f"/api/pilots/?limit=50&offset={deep * 50}", "list", True
        ),
        Scenario("API detail", "ministry", lambda rng: f"/api/pilots/{pick(rng)}", "api", True),
        Scenario("home (ministry)", "ministry", lambda rng: "/", "board", True),
        Scenario("home (province)", "province", lambda rng: "/", "board", True),
        Scenario("document list", "ministry", lambda rng: "/documents/", "list", True),
        Scenario("audit list", "ministry", lambda rng: "/audit/", "list", True),
        Scenario("organisation list", "ministry", lambda rng: "/accounts/organisations/", "list", True),
        Scenario("export CSV (all pilots)", "ministry", lambda rng: "/registry/export.csv", "export"),
        Scenario("export XLSX (all pilots)", "ministry", lambda rng: "/registry/export.xlsx", "export"),
    ]
    try:
        reverse("my-tasks")
        scenarios.append(Scenario("my tasks (province)", "province", lambda rng: "/my-tasks/", "board", True))
        scenarios.append(Scenario("my tasks (ministry)", "ministry", lambda rng: "/my-tasks/", "board", True))
    except NoReverseMatch:
        pass
    scenarios.extend(_round_boards(callers))
    return [s for s in scenarios if s.caller in callers]


def _round_boards(callers: dict[str, Caller]) -> list[Scenario]:
    """The deadline board of the largest open round (the latest round when none is open), for the
    ministry, and the largest such round the provincial caller's authority has pilots in, for it."""
    from django.apps import apps
    from django.db.models import Count, Q

    if not apps.is_installed("citypilot.rounds"):
        return []
    try:
        round_model = apps.get_model("rounds", "Round")
        rounds = round_model.objects.annotate(n=Count("submissions"))
        ranked = rounds.filter(status="open").order_by("-n", "-pk") if rounds.filter(status="open").exists() else rounds
        biggest = ranked.order_by("-n", "-pk").values_list("pk", flat=True).first()
    except Exception:  # a rounds app without its tables yet
        return []
    if biggest is None:
        return []
    scenarios = [Scenario("deadline board (ministry)", "ministry", lambda rng: f"/rounds/{biggest}/", "board", True)]
    province = callers.get("province")
    if province is None or province.user is None:
        return scenarios
    authorities = province.user.memberships.filter(role="provincial_officer").values("organisation_id")
    theirs = Count("submissions", filter=Q(submissions__pilot__supervising_authority_id__in=authorities))
    mine = (
        round_model.objects.filter(pk__in=ranked.values("pk"))
        .annotate(theirs=theirs, n=Count("submissions"))
        .filter(theirs__gt=0)
        .order_by("-n", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    caller = "province"
    if mine is None:
        # The provincial caller's authority has no pilot in any round (e.g. 新疆生产建设兵团): the board is
        # measured for an officer of the authority with the most pilots in the biggest round instead.
        submission_model = apps.get_model("rounds", "Submission")
        busiest = (
            submission_model.objects.filter(round_id=biggest)
            .values("pilot__supervising_authority_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "pilot__supervising_authority_id")
            .values_list("pilot__supervising_authority_id", flat=True)
        )
        officer = _board_officer(list(busiest[:5]))
        if officer is None:
            return scenarios
        callers["board province"], caller, mine = officer, "board province", biggest
    scenarios.append(Scenario("deadline board (province)", caller, lambda rng: f"/rounds/{mine}/", "board", True))
    return scenarios


def _board_officer(authority_ids: list[int]) -> Caller | None:
    """A session and token for a provincial officer of the first of ``authority_ids`` that has one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from citypilot.accounts.models import Membership
    from citypilot.accounts.services import issue_api_token

    for authority_id in authority_ids:
        membership = (
            Membership.objects.filter(role="provincial_officer", organisation_id=authority_id, user__is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if membership is None:
            continue
        user = membership.user
        _token, key = issue_api_token(user, name="benchmark")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies = {settings.SESSION_COOKIE_NAME: str(session.session_key)}
        return Caller("board province", {"Authorization": f"Bearer {key}"}, cookies, user)
    return None


# --- the server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "CITYPILOT_ENV": "production",
            "DEBUG": "0",
            "SECRET_KEY": os.environ["SECRET_KEY"],  # shared with this process, which signs the sessions
            "ALLOWED_HOSTS": "127.0.0.1",
            "CITYPILOT_BENCHMARK_QUERY_COUNT": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    command = [
        str(ROOT / ".venv" / "bin" / "citypilot"),
        "serve",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            httpx.get(f"{base}/api/openapi.json", headers={"X-Forwarded-Proto": "https"}, timeout=2)
            return server, base
        except httpx.HTTPError:
            if server.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer within 60 s")


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in pids:
                pids.append(int(entry.name))
    return pids


def memory_kib(pids: list[int], field_name: str) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    total = max(total, int(line.split()[1])) if field_name == "VmHWM" else total + int(line.split()[1])
        except OSError:
            continue
    return total


# --- measuring -------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    queries: list[int] = field(default_factory=list)
    bytes: int = 0
    errors: int = 0


def hammer(
    base: str, scenario: Scenario, caller: Caller, clients: int, duration: float, max_requests: int
) -> dict[str, Any]:
    import httpx

    run = Run()
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    budget = [max_requests]

    def worker(n: int) -> None:
        rng = random.Random(n)
        headers = {"X-Forwarded-Proto": "https", **caller.headers}
        with httpx.Client(base_url=base, headers=headers, cookies=caller.cookies, timeout=120) as client:
            while time.monotonic() < deadline:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                path = scenario.path(rng)
                t0 = time.perf_counter()
                try:
                    response = client.get(path)
                    size = len(response.content)
                except httpx.HTTPError:
                    with lock:
                        run.errors += 1
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    run.latencies.append(elapsed)
                    run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
                    run.bytes += size
                    if "X-Query-Count" in response.headers:
                        run.queries.append(int(response.headers["X-Query-Count"]))

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    ms = [v * 1000 for v in run.latencies]
    return {
        "clients": clients,
        "requests": len(ms),
        "seconds": round(wall, 3),
        "requests_per_s": round(len(ms) / wall, 1) if wall else None,
        "median_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(percentile(ms, 0.95) or 0, 1) if ms else None,
        "max_ms": round(max(ms), 1) if ms else None,
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "errors": run.errors + sum(v for k, v in run.statuses.items() if k >= 400),
        "queries_per_request": statistics.median(run.queries) if run.queries else None,
        "bytes_per_response": round(run.bytes / len(ms)) if ms else None,
    }


def bare_sql(scenario: Scenario, caller: Caller, repeats: int) -> dict[str, Any]:
    """The SQL the page emits (captured in this process), each statement timed on a raw DB-API cursor."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(
        HTTP_HOST="127.0.0.1",
        HTTP_X_FORWARDED_PROTO="https",
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in caller.headers.items()},
    )
    if (caller.user is not None and not caller.headers) or caller.user is not None:
        client.force_login(caller.user)
    path = scenario.path(random.Random(0))
    client.get(path)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        if hasattr(response, "streaming_content"):
            for _chunk in response.streaming_content:
                pass
    statements = [q["sql"] for q in captured.captured_queries]
    raw = connection.connection
    timings = []
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            timings.append(0.0)
            continue
        samples = []
        for _ in range(repeats):
            cursor = raw.cursor()
            t0 = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            samples.append(time.perf_counter() - t0)
            cursor.close()
        timings.append(statistics.median(samples) * 1000)
    slowest = max(range(len(timings)), key=timings.__getitem__) if timings else None
    return {
        "path": path,
        "status": response.status_code,
        "queries": len(statements),
        "bare_sql_total_ms": round(sum(timings), 2),
        "slowest_query_ms": round(timings[slowest], 2) if slowest is not None else None,
        "slowest_query": statements[slowest][:600] if slowest is not None else None,
    }


def time_audit_verify(smoke: bool) -> dict[str, Any]:
    from citypilot.audit.services import verify_chain

    t0 = time.perf_counter()
    result = verify_chain()
    seconds = time.perf_counter() - t0
    cli: dict[str, Any] = {}
    if not smoke:
        t1 = time.perf_counter()
        done = subprocess.run(  # noqa: S603
            [str(ROOT / ".venv" / "bin" / "citypilot"), "audit", "verify"], capture_output=True, text=True, check=False
        )
        cli = {
            "seconds": round(time.perf_counter() - t1, 2),
            "exit_code": done.returncode,
            "output": done.stdout[-200:],
        }
    return {
        "ok": result.ok,
        "entries": result.checked,
        "seconds": round(seconds, 3),
        "entries_per_s": round(result.checked / seconds) if seconds else None,
        "cli": cli,
    }


def time_import(smoke: bool) -> dict[str, Any]:
    """The 2013 notice: a dry-run comparison and an (idempotent) re-import on this database, and a
    first import into an empty database of the same kind when one can be made here."""
    from django.db import connection

    from citypilot.notices.services import import_notice

    data = NOTICE.read_bytes()
    out: dict[str, Any] = {}
    for label, apply in (("dry_run_ms", False), ("reimport_ms", True)):
        t0 = time.perf_counter()
        import_notice(data, filename=NOTICE.name, actor=None, apply=apply, source_label="benchmark")
        out[label] = round((time.perf_counter() - t0) * 1000, 1)
    if smoke:
        return out
    fresh = _fresh_database(connection.vendor)
    if fresh is None:
        return out
    url, cleanup = fresh
    env = {**os.environ, "DATABASE_URL": url}
    citypilot = str(ROOT / ".venv" / "bin" / "citypilot")
    try:
        subprocess.run([citypilot, "migrate", "-v0"], env=env, check=True)  # noqa: S603
        t0 = time.perf_counter()
        subprocess.run([citypilot, "import-notice", str(NOTICE)], env=env, check=True, capture_output=True)  # noqa: S603
        out["first_import_cli_s"] = round(time.perf_counter() - t0, 2)
    finally:
        cleanup()
    return out


def _fresh_database(vendor: str) -> tuple[str, Callable[[], None]] | None:
    import tempfile

    if vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="cp-import-")
        return f"sqlite:///{folder}/import.sqlite3", lambda: subprocess.run(["rm", "-rf", folder], check=False)  # noqa: S603,S607
    from django.db import connection

    params = connection.settings_dict
    name = f"cp_bench_import_{os.getpid()}"
    host, port, user = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432, params.get("USER") or "postgres"
    base = ["-h", str(host), "-p", str(port), "-U", str(user)]
    if subprocess.run(["createdb", *base, name], check=False).returncode != 0:  # noqa: S603,S607
        return None
    return (
        f"postgres://{user}@{host}:{port}/{name}",
        lambda: subprocess.run(["dropdb", *base, name], check=False) and None,  # noqa: S603,S607
    )


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="a running server (loopback only); default: start one")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per scenario and concurrency")
    parser.add_argument("--max-requests", type=int, default=2000, help="per scenario and concurrency")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--smoke", action="store_true", help="a few requests each: checks that it works")
    parser.add_argument("--out", help="result file (default benchmarks/results/<db>-<time>.json)")
    parser.add_argument("--only", help="comma-separated scenario name fragments")
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.max_requests, args.concurrency = 0.3, 3, "1,2"
    if args.base_url is None:
        # The server gets the same key, so the sessions made here for the HTML pages are valid there.
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
    setup_django()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.conf import settings
    from django.db import connection

    callers = make_callers()
    scenarios = make_scenarios(callers)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        scenarios = [s for s in scenarios if any(w in s.name for w in wanted)]
    server = None
    base = args.base_url
    if base is None:
        server, base = start_server(args.workers)
    if not urlsplit(base).netloc.startswith(LOOPBACK):
        raise SystemExit("benchmarks run against loopback addresses only")
    results: dict[str, Any] = {
        "started": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": connection.vendor,
        "database_name": str(settings.DATABASES["default"]["NAME"]),
        "server": f"citypilot serve --workers {args.workers} (gunicorn)" if server else base,
        "settings": {"duration_s": args.duration, "max_requests": args.max_requests, "smoke": args.smoke},
        "scenarios": {},
    }
    try:
        pids = process_tree(server.pid) if server else []
        for scenario in scenarios:
            caller = callers[scenario.caller]
            entry: dict[str, Any] = {"kind": scenario.kind, "caller": scenario.caller, "runs": []}
            for clients in [int(c) for c in args.concurrency.split(",")]:
                entry["runs"].append(hammer(base, scenario, caller, clients, args.duration, args.max_requests))
            if scenario.bare_sql:
                entry["sql"] = bare_sql(scenario, caller, repeats=3 if args.smoke else 7)
                one = entry["runs"][0]["median_ms"]
                total = entry["sql"]["bare_sql_total_ms"]
                entry["ratio_to_bare_sql"] = round(one / total, 2) if one and total else None
            if server:
                pids = process_tree(server.pid)
                entry["server_rss_kib_after"] = memory_kib(pids, "VmRSS")
            results["scenarios"][scenario.name] = entry
            print(_line(scenario.name, entry), flush=True)
        if server:
            results["server_peak_rss_kib_per_process"] = memory_kib(pids, "VmHWM")
            results["server_rss_kib_total_end"] = memory_kib(pids, "VmRSS")
        results["audit_verify"] = time_audit_verify(args.smoke)
        print(f"audit verify: {results['audit_verify']}", flush=True)
        results["import_2013_notice"] = time_import(args.smoke)
        print(f"import: {results['import_2013_notice']}", flush=True)
    finally:
        if server:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    out = Path(args.out) if args.out else RESULTS / f"{connection.vendor}-{datetime.now(tz=UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"wrote {out}")
    return results


def _line(name: str, entry: dict[str, Any]) -> str:
    parts = [f"{name:40s}"]
    for run in entry["runs"]:
        parts.append(
            f"c={run['clients']} p50={run['median_ms']}ms p95={run['p95_ms']}ms {run['requests_per_s']}/s "
            f"q={run['queries_per_request']} err={run['errors']}"
        )
    if "sql" in entry:
        parts.append(f"sql={entry['sql']['bare_sql_total_ms']}ms x{entry.get('ratio_to_bare_sql')}")
    return " | ".join(parts)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
