"""kill -9 loop: a real `cuvee serve` on the embedded default is killed at random moments under a sign-up +
checkout load, restarted, and every write it had answered 2xx for is looked for. Prints the tally per kill.

    python bench/crash_loop.py                 # 20 kills, 4 clients, kill 2-8 s after the load starts
    python bench/crash_loop.py --kills 5 --port 18190

Acknowledged = a sign-up answered 201 (then: logging in works) or a checkout answered 201 (then: the order
is there for its owner, with its lines). Exit status 1 if anything acknowledged is missing.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from uuid import uuid4

import httpx

PASSWORD = "correct horse battery"


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CUVEE_DATA_DIR": str(data_dir),
        "CUVEE_LOG_LEVEL": "WARNING",
        "CUVEE_SECRET_KEY": "crash-loop-secret-0123456789abcdef0123456789abcdef",
        "CUVEE_REGISTRATIONS_PER_HOUR": "1000000",
        "CUVEE_LOGIN_FREE_FAILURES_PER_ADDRESS": "1000000",
        "CUVEE_RETRAIN_INTERVAL_S": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start within 180 s")


def load(
    url: str, wines: list[str], stop: threading.Event, users: list[tuple[str, str]], orders: list[tuple[str, str]]
) -> None:
    """Sign up, then buy one bottle, until stopped; records only what was answered 201."""
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            try:
                email = f"{uuid4().hex[:10]}@crash.example"
                answer = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
                if answer.status_code != 201:
                    continue
                users.append((email, answer.json()["access_token"]))
                headers = {"Authorization": f"Bearer {users[-1][1]}"}
                http.put(f"/v1/me/cart/items/{random.choice(wines)}", json={"quantity": 1}, headers=headers)
                order = http.post("/v1/me/checkout", json={}, headers={**headers, "Idempotency-Key": uuid4().hex})
                if order.status_code == 201:
                    orders.append((email, order.json()["id"]))
            except httpx.HTTPError:
                return  # the server is gone


def check(url: str, users: list[tuple[str, str]], orders: list[tuple[str, str]]) -> tuple[int, int]:
    """(sign-ups missing, orders missing) after a restart."""
    tokens: dict[str, str] = {}
    missing_users = 0
    with httpx.Client(base_url=url, timeout=30) as http:
        for email, _ in users:
            login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            if login.status_code == 200:
                tokens[email] = login.json()["access_token"]
            elif login.status_code == 401:
                missing_users += 1
            else:
                raise SystemExit(f"login answered {login.status_code}: {login.text}")
        missing_orders = 0
        for email, order_id in orders:
            token = tokens.get(email)
            found = token and http.get(f"/v1/me/orders/{order_id}", headers={"Authorization": f"Bearer {token}"})
            if not found or found.status_code != 200 or not found.json()["items"]:
                missing_orders += 1
    return missing_users, missing_orders


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--port", type=int, default=18190)
    parser.add_argument("--min-s", type=float, default=2.0, help="earliest kill after the load starts")
    parser.add_argument("--max-s", type=float, default=8.0, help="latest kill")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    rng = random.Random(7)
    total_users = total_orders = lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        server = start(data_dir, args.port)  # the first start loads the demo catalog
        wines = [w["id"] for w in httpx.get(f"{url}/v1/wines?per_page=100").json()["items"]]
        users: list[tuple[str, str]] = []
        orders: list[tuple[str, str]] = []
        print(f"{'kill':>4} {'after s':>7} {'sign-ups acked':>14} {'orders acked':>12} {'missing':>7}")
        for kill in range(1, args.kills + 1):
            stop = threading.Event()
            new_users: list[tuple[str, str]] = []
            new_orders: list[tuple[str, str]] = []
            threads = [
                threading.Thread(target=load, args=(url, wines, stop, new_users, new_orders))
                for _ in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            after = rng.uniform(args.min_s, args.max_s)
            time.sleep(after)  # a random moment in the load: the point of this script, not a wait for a condition
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            stop.set()
            for thread in threads:
                thread.join()
            users += new_users
            orders += new_orders
            server = start(data_dir, args.port)
            missing_users, missing_orders = check(url, users, orders)
            lost += missing_users + missing_orders
            total_users, total_orders = len(users), len(orders)
            print(
                f"{kill:>4} {after:>7.2f} {len(new_users):>14} {len(new_orders):>12} "
                f"{missing_users + missing_orders:>7}",
                flush=True,
            )
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
    print(
        f"\n{args.kills} kills: {total_users} sign-ups and {total_orders} orders acknowledged, {lost} missing "
        "after the restarts"
    )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
