"""A gate device's side of the race tests, with the standard library only, so the processes that
play gates start fast (they import this, not the app)."""
import json
import urllib.request
from urllib.error import HTTPError


def checkin(url: str, token: str, body: dict) -> tuple[int, dict]:
    """One scan, on a new connection (so the gates' scans spread over gunicorn's workers)."""
    req = urllib.request.Request(f"{url}/api/v1/checkins", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except HTTPError as err:
        return err.code, json.loads(err.read())


def gate(url: str, token: str, gate_no: int, sold: dict, barrier) -> list:
    """One gate device: every ticket in turn, each scan released together with the other gates'.
    Returns (HTTP status, result, ticket id) per ticket."""
    answers = []
    for n, code in enumerate(sold["codes"].values()):
        body = {"code": code, "session_id": sold["session_id"], "entrance": sold["entrance"],
                "device": f"gate-{gate_no}", "nonce": f"scan-{n}"}
        barrier.wait(timeout=30)
        status, answer = checkin(url, token, body)
        answers.append((status, answer.get("result"), (answer.get("ticket") or {}).get("id")))
    return answers


def gate_process(url, token, gate_no, sold, barrier, results):
    """``gate`` in a process of its own; the answers go back through ``results``."""
    results.put((gate_no, gate(url, token, gate_no, sold, barrier)))
