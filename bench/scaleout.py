"""Benchmark: two app hosts on one database. Two app instances (separate gunicorn masters on two ports,
each with its own instance folder, as two hosts would have) share one PostgreSQL; K counters spread over
both sell seats through POST /api/v1/orders, taking turns with the same counters against one instance.

    .venv/bin/python bench/scaleout.py [--counters 16] [--seconds 20] [--workers 2 --threads 4]
        [--database-url URL] [--keep]

The two hosts share only what the README's deployment section says they must: the database, the
SECRET_KEY and the ticket signing key (TICKET_SIGNING_KEY_FILE); each has its own instance folder
(TICKETING_INSTANCE_PATH), so anything kept in one process's memory or folder is missing on the other.
Prints orders/s, tickets/s and p50/p99 for one instance and for the two together, the aggregate's
ratio to one instance, `double_sold` (must be 0), and a cross-host check: an order sold on one host
read back on the other with the same ticket codes. Scratch database `ticketing_bench_scaleout`.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (Http, ScratchDatabase, Server, add_database_options, figures, run_clients,  # noqa: E402
                          stop_all)
from bench.onsale import (HEADER, add_server_options, counters, describe, double_sold, sessions_for,  # noqa: E402
                          setup, specs)


def cross_host(ports: list, token: str, session_id: int, seats: list) -> str:
    """Sell on the first host, read the order on the second: the same order and ticket codes."""
    one, two = Http(ports[0], token), Http(ports[1], token)
    status, body = one.post("/api/v1/orders", {"session_id": session_id, "seat_ids": seats, "payment_method": "cash"})
    if status != 201:
        return f"sale on host 1 answered {status}"
    sold = json.loads(body)
    two.conn.request("GET", f"/api/v1/orders/{sold['id']}", headers=two.headers)
    resp = two.conn.getresponse()
    read = json.loads(resp.read())
    if resp.status != 200:
        return f"host 2 answered {resp.status}"
    same = [t["code"] for t in read["tickets"]] == [t["code"] for t in sold["tickets"]]
    return "same order and ticket codes on both hosts" if same else "ticket codes DIFFER between the hosts"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser, "scaleout")
    parser.set_defaults(db="postgresql")
    parser.add_argument("--counters", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="for each set-up, in all its turns")
    parser.add_argument("--rounds", type=int, default=2, help="turns one instance and two instances take")
    parser.add_argument("--warmup", type=float, default=4, help="seconds of unmeasured sales on both hosts first")
    add_server_options(parser)
    args = parser.parse_args()
    processes = max(1, min(args.processes, args.counters))
    rounds = max(1, args.rounds)
    per_turn = sessions_for(600 * args.seconds / rounds)
    with ScratchDatabase(args) as url:
        if not url.startswith("postgres"):
            raise SystemExit("two hosts share a PostgreSQL database: run with --db postgresql")
        data = setup(url, args.counters, 2 + 2 * rounds * per_turn)
        sessions, tokens, seat_ids = data["sessions"], data["tokens"], data["seat_ids"]
        shared = tempfile.mkdtemp(prefix="bench-shared-")
        env = {"SECRET_KEY": "bench-shared-secret", "TICKET_SIGNING_KEY_FILE": os.path.join(shared, "signing.pem")}
        server = dict(workers=args.workers, threads=args.threads, worker_class=args.worker_class)
        hosts = []
        try:
            for n in (1, 2):
                hosts.append(Server("wsgi:app", url, **server, env={
                    **env, "TICKETING_INSTANCE_PATH": tempfile.mkdtemp(prefix=f"host{n}-", dir=shared)}))
            ports = [h.port for h in hosts]
            print(f"database: postgresql (one)   counters: {args.counters} in {processes} processes   hosts: 2 "
                  f"gunicorn masters, each {args.workers} {args.worker_class} workers"
                  + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
                  + f"   seconds: {args.seconds}   rounds: {rounds}")
            print("cross-host check:", cross_host(ports, tokens[0], sessions[0], seat_ids[:2]))
            run_clients(counters, specs(ports, "/api/v1/orders", [sessions[1]], seat_ids, tokens, processes),
                        args.warmup)  # unmeasured: every worker of both hosts loads the app and connects
            rest, used = sessions[2:], []
            runs = {"one": [], "two": []}
            for _turn in range(rounds):
                for name, turn_ports in (("one", ports[:1]), ("two", ports)):
                    mine, rest = rest[:per_turn], rest[per_turn:]
                    used += mine
                    runs[name].append(run_clients(counters, specs(turn_ports, "/api/v1/orders", mine, seat_ids,
                                                                  tokens, processes), args.seconds / rounds))
        finally:
            stop_all(hosts)
            shutil.rmtree(shared, ignore_errors=True)  # the shared key and both hosts' instance folders
        merged = {name: figures({"records": [r for p in parts for r in p["records"]],
                                 "elapsed": sum(p["elapsed"] for p in parts)}) for name, parts in runs.items()}
        print(HEADER)
        describe("one host", merged["one"])
        describe("two hosts", merged["two"])
        print(f"double_sold: {double_sold(url, used)}   aggregate of two hosts / one host: "
              f"{merged['two']['rate'] / merged['one']['rate']:.2f}")


if __name__ == "__main__":
    main()
