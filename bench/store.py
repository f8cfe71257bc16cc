"""Store benchmark: the in-process MongoDB's journal on vs off (and on, encrypted), side by side in one run,
through the whole app.

    python bench/store.py                              # sign-ups, then checkouts with 1, 10 and 50 buyers
    python bench/store.py --signups 60 --checkouts 150 --buyers 1 50

Each workload runs three times in the same process, journal on / off / encrypted, each on a fresh data directory
(on: every write appended and fsynced before its await returns, with group commit; off: the same engine with
the journal detached, as main was before it — a crash then loses everything since the last snapshot).
"enc": journal on with CUVEE_DATA_KEY set (every record sealed with AES-256-GCM in the flush thread).
Printed: throughput and p50/p99 per side, and the ratio on/off (1.00 = free). Sign-ups are dominated by
argon2, checkouts by the engine: the checkout rows are where the journal shows. "writes/fsync" is how many
journal records shared one fsync (group commit).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.checkout import one_run  # noqa: E402
from documents import memory_journaling  # noqa: E402
from documents.encryption import new_key  # noqa: E402
from tests.conftest import PASSWORD, running  # noqa: E402


def settings_in(tmp: str, encrypted: bool = False) -> Settings:
    ns = f"store{uuid4().hex[:8]}"
    return Settings(
        data_key=new_key() if encrypted else None,
        mongodb_db=ns,
        search_url=f"tantivy://{tmp}/search",
        search_namespace=ns,
        stream_prefix=f"cuvee-bench:{ns}",
        data_dir=Path(tmp) / "data",
        secret_key="bench-" + ns + "-0123456789abcdef0123456789abcdef",
        seed_demo=False,
        run_worker=False,
        snapshot_interval_s=0,
        registrations_per_hour=1_000_000,
    )


async def workload(
    kind: str, journal: bool, args: argparse.Namespace, encrypted: bool = False
) -> tuple[float, list[float], float]:
    """(operations per second, latencies in ms, journal records per fsync) of one workload on one side."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(settings_in(tmp, encrypted))
        async with running(app) as client:
            db = app.state.services.backends.db
            if not journal:
                memory_journaling.attach_journal(db.client, db.name, None)
            flushes_before = db.journal.flushes
            appended_before = db.journal._appended
            if kind == "sign-ups":
                latencies: list[float] = []

                async def sign_up(i: int) -> None:
                    started = time.perf_counter()
                    answer = await client.post(
                        "/v1/auth/register", json={"email": f"{uuid4().hex[:10]}@bench.example", "password": PASSWORD}
                    )
                    assert answer.status_code == 201, answer.text
                    latencies.append((time.perf_counter() - started) * 1000)

                started = time.perf_counter()
                for start in range(0, args.signups, 10):  # ten at a time, as a busy shop would see
                    await asyncio.gather(*(sign_up(i) for i in range(start, min(start + 10, args.signups))))
                rate = args.signups / (time.perf_counter() - started)
            else:
                run = await one_run(app, client, int(kind.split()[0]), args.checkouts)
                assert run.sold_matches and run.other == 0
                rate, latencies = run.throughput, run.latencies_ms
            appended = db.journal._appended - appended_before
            flushes = db.journal.flushes - flushes_before
            if not journal:
                memory_journaling.attach_journal(db.client, db.name, db.journal)
    return rate, latencies, (appended / flushes if flushes else 0.0)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.99 * len(ordered)) - 1)]


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    kinds = ["sign-ups", *(f"{b} buyers" for b in args.buyers)]
    header = (
        f"{'workload':<11} {'on ops/s':>9} {'off ops/s':>9} {'ratio':>6} {'on p50':>7} {'off p50':>7} "
        f"{'ratio':>6} {'on p99':>7} {'off p99':>7} {'writes/fsync':>12} {'enc ops/s':>9} {'enc p50':>7} "
        f"{'enc p99':>7} {'on/enc':>6}"
    )
    rows = []
    for kind in kinds:
        on = await workload(kind, True, args)
        off = await workload(kind, False, args)
        enc = await workload(kind, True, args, encrypted=True)
        rows.append((kind, on, off, enc))
    print(
        "\njournal on vs off (and on, encrypted), through the app on the in-process MongoDB (ms; ratio = off/on "
        "for ops/s, on/off for latency, on/enc for encrypted ops/s: 1.00 = free)"
    )
    print(header)
    print("-" * len(header))
    for kind, (on_rate, on_lat, per_fsync), (off_rate, off_lat, _), (enc_rate, enc_lat, _) in rows:
        on50, off50 = statistics.median(on_lat), statistics.median(off_lat)
        print(
            f"{kind:<11} {on_rate:>9.1f} {off_rate:>9.1f} {off_rate / on_rate:>6.2f} {on50:>7.2f} {off50:>7.2f} "
            f"{on50 / off50:>6.2f} {p99(on_lat):>7.2f} {p99(off_lat):>7.2f} {per_fsync:>12.1f} "
            f"{enc_rate:>9.1f} {statistics.median(enc_lat):>7.2f} {p99(enc_lat):>7.2f} {on_rate / enc_rate:>6.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signups", type=int, default=100)
    parser.add_argument("--checkouts", type=int, default=300, help="checkouts per buyer count")
    parser.add_argument("--buyers", type=int, nargs="+", default=[1, 10, 50])
    asyncio.run(main(parser.parse_args()))
