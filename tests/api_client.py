"""A sale posted to a real server's API as a client would (tests that run gunicorn)."""
import json
import urllib.request
from urllib.error import HTTPError


def post_order(url: str, token: str, body: bytes | dict, key: str, timeout: float = 30) -> tuple[int, dict]:
    """POST /api/v1/orders with a Bearer token and an Idempotency-Key; (status, JSON body) for any HTTP answer.
    A network failure (refused, reset, timed out) is raised for the caller to judge."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/api/v1/orders", data=data, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, {"raw": raw[:300].decode(errors="replace")}
