"""A loopback nginx serving one canned JSON document, for benchmarks: never the bottleneck.

``with Nginx(routes) as server: server.url`` starts nginx from Debian's package
(installed with apt-get when missing, which needs root) in a private temporary
prefix, bound to 127.0.0.1 on a free port, as a single process in the foreground,
and stops it on exit, Ctrl-C included. Nothing is written outside the prefix.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

NGINX_PACKAGE = "nginx-light"
START_TIMEOUT = 10.0


def nginx_binary() -> str:
    """The nginx executable; installs Debian's package when there is none."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"nginx is missing: run as root to install it, or `apt-get install {NGINX_PACKAGE}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", NGINX_PACKAGE],
        check=True,
        env=env,
        timeout=600,
    )
    # Debian starts the packaged service on install; this fixture needs none of it.
    subprocess.run(["systemctl", "disable", "--now", "nginx"], check=False, capture_output=True, timeout=60)
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(found, os.X_OK):
        raise SystemExit(f"{NGINX_PACKAGE} installed, but no nginx executable found")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _nginx_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def config(prefix: Path, port: int, routes: Mapping[str, str]) -> str:
    """nginx.conf: one process, no logs, keep-alive without limits, ``return 200`` per route.

    ``routes`` maps a regular expression on the URI to the JSON body answered for
    any method; nginx reads (and discards) request bodies before answering.
    """
    temp = {
        name: prefix / name
        for name in ("client_body_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp")
    }
    locations = "\n".join(
        f"    location ~ {pattern} {{\n"
        "      default_type application/json;\n"
        f"      return 200 {_nginx_string(body)};\n"
        "    }"
        for pattern, body in routes.items()
    )
    return f"""\
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {temp["client_body_temp"]};
  proxy_temp_path {temp["proxy_temp"]};
  fastcgi_temp_path {temp["fastcgi_temp"]};
  uwsgi_temp_path {temp["uwsgi_temp"]};
  scgi_temp_path {temp["scgi_temp"]};
  keepalive_requests 10000000;
  keepalive_timeout 600s;
  client_body_buffer_size 64k;
  server_tokens off;
  server {{
    listen 127.0.0.1:{port};
{locations}
    location / {{ return 404; }}
  }}
}}
"""


def _die_with_parent() -> None:
    """In the child: SIGKILL when the benchmark dies, however it dies (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Nginx:
    """A running nginx; a context manager that always stops it."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        self.routes = dict(routes)
        self.port = 0
        self.version = ""
        self._prefix: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Nginx:
        binary = nginx_binary()
        self.version = subprocess.run(
            [binary, "-v"], capture_output=True, text=True, timeout=10, check=False
        ).stderr.strip()
        self._prefix = tempfile.TemporaryDirectory(prefix="bench-nginx-")
        try:
            for _attempt in range(3):  # the free port can be taken before nginx binds it
                if self._start(binary, Path(self._prefix.name)):
                    return self
            raise RuntimeError(f"nginx did not start: {self._error_log()}")
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _start(self, binary: str, prefix: Path) -> bool:
        self.port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(config(prefix, self.port, self.routes))
        self._process = subprocess.Popen(
            [binary, "-p", f"{prefix}/", "-e", str(prefix / "error.log"), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # before any thread starts: safe
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        self._kill()
        return False

    def _error_log(self) -> str:
        if self._prefix is None:
            return ""
        log = Path(self._prefix.name) / "error.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no error log)"

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()  # nginx: fast shutdown
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def stop(self) -> None:
        """Stop nginx and remove its prefix; safe to call more than once."""
        self._kill()
        if self._prefix is not None:
            self._prefix.cleanup()
            self._prefix = None
