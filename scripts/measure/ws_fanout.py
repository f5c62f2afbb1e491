#!/usr/bin/env python3
"""WebSocket fan-out across API instances: the figure of docs/SCALING.md.

Opens N WebSocket clients through the load balancer (nginx spreads them over the
instances), reports how many each instance holds (its /metrics), uploads one
document through the load balancer, and measures, per client, the time from the
event's own `timestamp` (set where the worker publishes it) to its arrival:
the worker -> Redis pub/sub -> every API instance -> every socket path.

  python3 scripts/measure/ws_fanout.py --base http://127.0.0.1:8080 \
      --instances http://127.0.0.1:5101,http://127.0.0.1:5102 --clients 1000

Needs the `websockets` package (pip install websockets) and a seeded database.
Prints figures; asserts nothing.
"""

import argparse
import asyncio
import datetime as dt
import json
import re
import time
import urllib.request
import uuid

import websockets

from api_client import login, upload


def ws_gauge(instance):
    with urllib.request.urlopen(f"{instance}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(r"^websocket_connections(?:\{[^}]*\})? (\S+)$", text, re.M)
    return int(float(m.group(1))) if m else None


async def client(url, ready, want, arrivals):
    async with websockets.connect(url, max_queue=None, open_timeout=30) as ws:
        ready.release()
        async for raw in ws:
            now = time.time()
            msg = json.loads(raw)
            if msg.get("type") == want:
                sent = dt.datetime.fromisoformat(msg["timestamp"].replace("Z", "+00:00")).timestamp()
                arrivals.append((now - sent) * 1000.0)
                return


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1)]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--instances", default="http://127.0.0.1:5101,http://127.0.0.1:5102")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--email", default="test1@example.com")
    ap.add_argument("--password", default="password123")
    ap.add_argument("--event", default="document.processed")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()

    token = login(a.base, a.email, a.password)
    ws_url = a.base.replace("http", "ws", 1) + f"/ws/realtime-sync?token={token}"
    ready = asyncio.Semaphore(0)
    arrivals = []
    tasks = [asyncio.create_task(client(ws_url, ready, a.event, arrivals)) for _ in range(a.clients)]
    for _ in range(a.clients):
        await ready.acquire()
    await asyncio.sleep(1)  # the gauges are updated by the instances
    spread = {i: ws_gauge(i) for i in a.instances.split(",")}
    print(f"{a.clients} clients open through {a.base}; per instance: {spread}")

    _, doc = upload(a.base, token, f"fanout-{uuid.uuid4().hex[:8]}.txt",
                 "Opening hours are nine to five on weekdays. " * 40)
    print(f"uploaded document {doc.get('id') or doc.get('documentId') or doc}; waiting for {a.event}")
    done, pending = await asyncio.wait(tasks, timeout=a.timeout)
    for t in pending:
        t.cancel()
    got = len(arrivals)
    print(f"{got}/{a.clients} clients received {a.event}")
    if arrivals:
        print("delivery latency from the event's timestamp: "
              f"p50 {pct(arrivals, 50):.1f} ms, p95 {pct(arrivals, 95):.1f} ms, "
              f"p99 {pct(arrivals, 99):.1f} ms, max {max(arrivals):.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
