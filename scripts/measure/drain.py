#!/usr/bin/env python3
"""A worker process added while a backlog drains: the figure of docs/SCALING.md.

With `make cluster` running: stops the "documents" worker, uploads N documents
through nginx (a backlog in document-processing), starts the documents worker
again, and after --add-after seconds adds a second process on the same queue
(`scripts/cluster.sh add-worker docs2 document-processing`). Prints the drain
rate (documents completed per second, from Postgres) before and after.

  python3 scripts/measure/drain.py --documents 3000 --add-after 10

DATABASE_URL must point at the cluster's database (psql is used to count).
Prints figures; asserts nothing. Stops the extra worker at the end.
"""

import argparse
import concurrent.futures
import os
import subprocess
import time
import uuid

from api_client import login, upload

CLUSTER = os.path.join(os.path.dirname(__file__), "..", "cluster.sh")


def completed(prefix):
    sql = f"SELECT count(*) FROM documents WHERE status = 'completed' AND original_name LIKE '{prefix}%'"
    out = subprocess.run(["psql", os.environ["DATABASE_URL"], "-Atc", sql],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--documents", type=int, default=3000)
    ap.add_argument("--add-after", type=float, default=10)
    ap.add_argument("--email", default="test1@example.com")
    ap.add_argument("--password", default="password123")
    a = ap.parse_args()

    prefix = f"drain-{uuid.uuid4().hex[:6]}-"
    subprocess.run([CLUSTER, "stop-worker", "documents"], check=True)
    token = login(a.base, a.email, a.password)
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        text = "Refunds are processed within five business days. " * 20
        codes = list(pool.map(lambda i: upload(a.base, token, f"{prefix}{i:05d}.txt", text)[0],
                              range(a.documents)))
    print(f"uploaded {len(codes)} documents ({codes.count(202)} answered 202) in {time.time() - t0:.1f} s")

    subprocess.run([CLUSTER, "add-worker", "documents", "document-processing"], check=True)
    start = time.time()
    added_at = None
    samples = [(0.0, completed(prefix))]
    try:
        while samples[-1][1] < a.documents and time.time() - start < 600:
            time.sleep(1)
            now = time.time() - start
            if added_at is None and now >= a.add_after:
                subprocess.run([CLUSTER, "add-worker", "docs2", "document-processing"], check=True)
                added_at = time.time() - start
                samples.append((added_at, completed(prefix)))
                continue
            samples.append((now, completed(prefix)))
            print(f"[{now:5.1f} s] {samples[-1][1]} completed")
    finally:
        subprocess.run([CLUSTER, "stop-worker", "docs2"], check=False)

    def rate(a_, b_):
        return (b_[1] - a_[1]) / (b_[0] - a_[0]) if b_[0] > a_[0] else 0.0
    split = next(i for i, s in enumerate(samples) if added_at is not None and s[0] >= added_at) \
        if added_at is not None else len(samples) - 1
    # Skip the first second after each start (process start-up, pool warm-up).
    before = rate(samples[1], samples[split]) if split > 1 else 0.0
    after_from = min(split + 1, len(samples) - 1)
    last = samples[-1] if samples[-1][1] < a.documents else next(s for s in samples if s[1] >= a.documents)
    after = rate(samples[after_from], last) if last[0] > samples[after_from][0] else 0.0
    print(f"one worker process: {before:.0f} documents/s; two (from {added_at or 0:.1f} s): {after:.0f} documents/s; "
          f"{samples[-1][1]}/{a.documents} done after {samples[-1][0]:.1f} s")


if __name__ == "__main__":
    main()
