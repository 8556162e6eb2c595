"""The app under a real gunicorn, for the tests where several worker processes matter (races, faults,
limits shared between workers). One way to start it, wait for it and stop it.

gunicorn's output (the app's request log included) goes to a file: a pipe nobody reads fills up after a
few hundred requests and then blocks every worker that writes to it."""
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from http.client import HTTPException
from pathlib import Path

from conftest import ROOT
from waiting import wait_until


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``wsgi:app`` on ``database_url`` with ``workers`` processes (of ``threads`` threads each; 1: the sync
    worker); ``env`` adds to or overrides the environment (None removes a variable). Ready once it has
    answered a request; ``log`` holds its output."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int = 2, threads: int = 1,
                 env: dict | None = None):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = Path(log_dir) / "gunicorn.log"
        environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "tests", "PYTHONPATH": str(ROOT)}
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        worker = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else []
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(workers), *worker, "--graceful-timeout", "5",
                 "-b", self.url.removeprefix("http://"), "wsgi:app"],
                cwd=ROOT, env=environment, stdout=out, stderr=out)
        try:
            wait_until(self._answers, "gunicorn to answer", timeout=90)
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        assert self.proc.poll() is None, "gunicorn stopped:\n" + self.tail()
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/openapi.json", timeout=5) as answer:
                return answer.status == 200
        except (OSError, HTTPException):
            return False

    def tail(self, chars: int = 3000) -> str:
        """The end of gunicorn's output, for a failure's message."""
        return self.log.read_text(errors="replace")[-chars:]

    def workers(self) -> list[int]:
        """The process ids of the workers running now."""
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
            return [int(pid) for pid in f.read().split()]

    def stop(self, quick: bool = False):
        """Stop gracefully (SIGTERM), or at once with ``quick`` (SIGINT: nothing is in flight any more)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if quick else signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
