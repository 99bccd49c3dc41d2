"""Votes per second the ratings service sustains on this machine, with SQLite.

    python benchmarks/ratings.py [--seconds 10] [--clients 4] [--threads 8]

Starts ``python build.py ratings`` (uvicorn, one worker) on a loopback port for a temporary
site listing 1,000 articles, then runs ``--clients`` processes of ``--threads`` threads each;
every thread is one reader (its own keep-alive connection and voter cookie) casting or changing
votes (JSON POST) as fast as answers come back. Prints the votes per second the service
answered with 200 over ``--seconds``, the median and 99th percentile latency, and, for
comparison, the rate of the SQLite store alone (``VoteStore.cast`` in one thread; each vote is
one committed transaction with ``synchronous=NORMAL``). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from portal.ratings.store import VoteStore  # noqa: E402

ORIGIN = "https://xa.example.gov.vn"
ARTICLES = 1000
CONFIG = f"""\
title = "Benchmark"
base_url = "{ORIGIN}/"
[body]
name = "Benchmark"
[ratings]
endpoint = "/api/ratings/"
rate_limit = 100000
"""


def _client(port: int, threads: int, seconds: float, start_at: float, queue) -> None:
    latencies: list[float] = []
    lock = threading.Lock()

    def reader(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cookie = ""
        turn = 0
        mine = []
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            body = json.dumps({"article": f"bai-{(number * 31 + turn) % ARTICLES}",
                               "stars": 1 + turn % 5})
            headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
            if cookie:
                headers["Cookie"] = cookie
            began = time.perf_counter()
            connection.request("POST", "/api/ratings/votes", body, headers)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                mine.append(time.perf_counter() - began)
            cookie = cookie or response.getheader("Set-Cookie", "").split(";")[0]
            turn += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(latencies)


def _store_rate(folder: Path, seconds: float) -> float:
    store = VoteStore(folder / "alone.sqlite3")
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        store.cast(f"bai-{count % ARTICLES}", f"voter-{count % 5000:012d}", 1 + count % 5)
        count += 1
    store.close()
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="readers per client process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "site.toml").write_text(CONFIG, encoding="utf-8")
        (folder / "_site").mkdir()
        (folder / "_site" / "ratings-articles.json").write_text(json.dumps({
            "version": 1, "base_url": ORIGIN + "/",
            "articles": {f"bai-{n}": f"tin-tuc/bai-{n}/" for n in range(ARTICLES)}}))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        service = subprocess.Popen([sys.executable, str(REPO / "build.py"), "ratings",
                                    "--site", str(folder), "--port", str(port)],
                                   stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            queue: multiprocessing.Queue = multiprocessing.Queue()
            start_at = time.time() + 1.0
            clients = [multiprocessing.Process(target=_client, args=(
                port, args.threads, args.seconds, start_at, queue))
                for _ in range(args.clients)]
            for client in clients:
                client.start()
            latencies = [x for _ in clients for x in queue.get()]
            for client in clients:
                client.join()
        finally:
            service.terminate()
            service.wait()
        alone = _store_rate(folder, min(args.seconds, 5.0))
    latencies.sort()
    print(f"Ratings service (uvicorn, 1 worker, SQLite WAL, synchronous=NORMAL), "
          f"{args.clients * args.threads} concurrent readers over {args.seconds:.0f} s: "
          f"{len(latencies) / args.seconds:,.0f} votes/s; latency median "
          f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
          f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms.")
    print(f"SQLite store alone (one thread, one transaction per vote): {alone:,.0f} votes/s.")


if __name__ == "__main__":
    main()
