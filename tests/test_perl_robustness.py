"""The embedded Perl and the perl subprocess bridge, abused: Python must live and Perl stay usable.

Each scenario runs in a fresh Python under a timeout, so a crash (a segfault in
libperl, an abort) fails the test with the child's last words instead of killing
pytest, and a hang fails instead of stalling the run. The child prints one JSON
line of counts; the test checks every count, so nothing can be skipped silently.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import BUNDLED_SPEC, REPO, TEST_KEY, require

TIMEOUT = 300  # seconds for one scenario; a healthy one needs well under a minute
ROUNDS = 500  # die, exit and syntax error, each this many times in a row
THREADS = 8
PER_THREAD = 250


@pytest.fixture(scope="module")
def embeddable() -> None:
    from perl_compat.interpreter import available

    state = available()
    require(bool(state), f"no embeddable Perl here: {state.reason}")


def run_child(code: str, perl_env: dict, *args: str) -> dict:
    """Run ``code`` in a fresh Python (faulthandler on); its last stdout line, as JSON."""
    env = {**perl_env, "OPENAI_API_KEY": TEST_KEY, "PYTHONFAULTHANDLER": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), str(BUNDLED_SPEC), *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            cwd=REPO,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the scenario hung: no end within {TIMEOUT} s")
    assert done.returncode == 0, f"the child died with status {done.returncode}:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.splitlines()[-1])


EMBEDDED = r"""
import json, sys, threading
from perl_compat.errors import PerlError, PerlExit
from perl_compat.interpreter import get_interpreter
from perl_compat.bridge import PerlClient

ROUNDS, THREADS, PER_THREAD = (int(arg) for arg in sys.argv[2:5])
perl = get_interpreter()
counts = dict(die=0, exit=0, syntax=0, die_ref=0, die_object=0, usable=0, threaded=0, loop_die=0, calls=0)

def expect(kind, code, check):
    try:
        perl.eval(code)
    except kind as exc:
        assert check(exc), (code, exc)
        return True
    raise AssertionError(f"{code!r} did not raise {kind.__name__}")

for i in range(ROUNDS):
    counts["die"] += expect(PerlError, f"die qq(boom {i}\\n)", lambda e: e.message == f"boom {i}\n")
    counts["exit"] += expect(PerlExit, f"exit({i % 256})", lambda e: e.status == i % 256)
    counts["syntax"] += expect(PerlError, "my $x = ;; sub {", lambda e: "syntax error" in e.message)
    counts["die_ref"] += expect(PerlError, "die {code => 42}", lambda e: e.message.startswith("HASH(0x"))
    counts["die_object"] += expect(
        PerlError, "package Boom; use overload '\"\"' => sub { die 'again' }; die bless {}, 'Boom'",
        lambda e: bool(e.message))
    assert perl.eval(f"[{i} + 1, 'still here']") == [i + 1, "still here"]
    counts["usable"] += 1

# A die inside Mojo's event loop, then the real Perl client on the same interpreter.
for i in range(5):
    try:
        perl.eval("use Mojo::IOLoop; Mojo::IOLoop->next_tick(sub { die qq{in the loop\\n} }); "
                  "Mojo::IOLoop->one_tick; 1")
    except PerlError:
        pass
    counts["loop_die"] += 1
client = PerlClient(sys.argv[1], "http://127.0.0.1:9/v1", mode="embedded")
for i in range(20):
    tx = client.getRun(thread_id=f"t{i}", run_id=f"r{i}")
    assert tx.error == {"message": "Connection refused"}, tx.error
    assert str(tx.req.url).endswith(f"/threads/t{i}/runs/r{i}")
    tx = client.getRun(thread_id=f"t{i}")
    assert tx.res.code == 400 and not client.last_result["sent"]
    try:
        perl.eval("die 'between calls'")
    except PerlError:
        pass
    counts["calls"] += 2

# Many threads at once: evals, dies, exits, syntax errors and client calls, interleaved.
failures, done = [], []

def worker(n):
    try:
        for i in range(PER_THREAD):
            step = i % 5
            if step == 0:
                assert perl.eval(f"[{n}, {i}]") == [n, i]
            elif step == 1:
                text = f"thread {n} step {i}"
                expect(PerlError, f"die qq({text}\\n)", lambda e: e.message == text + "\n")
            elif step == 2:
                expect(PerlExit, f"exit({n})", lambda e: e.status == n)
            elif step == 3:
                expect(PerlError, "}{", lambda e: "syntax error" in e.message)
            else:
                tx = client.getRun(thread_id=f"w{n}", run_id=f"s{i}")
                assert str(tx.req.url).endswith(f"/threads/w{n}/runs/s{i}"), tx.req.url
            done.append(n)  # list.append is atomic: no count is lost between threads
    except BaseException as exc:
        failures.append(f"thread {n}: {exc!r}")

threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join(120)
assert not any(t.is_alive() for t in threads), "a thread is stuck in Perl"
assert not failures, failures
counts["threaded"] = len(done)
assert perl.eval("1 + 1") == 2
print(json.dumps(counts))
"""


def test_embedded_perl_survives_die_exit_syntax_errors_and_threads(embeddable: None, perl_env: dict) -> None:
    """Hundreds of dies, exits and syntax errors, 8 threads at once, a die in Mojo's loop: all recovered."""
    counts = run_child(EMBEDDED, perl_env, str(ROUNDS), str(THREADS), str(PER_THREAD))
    print(f"\nembedded Perl: {counts}")
    assert counts == {
        "die": ROUNDS,
        "exit": ROUNDS,
        "syntax": ROUNDS,
        "die_ref": ROUNDS,
        "die_object": ROUNDS,
        "usable": ROUNDS,
        "threaded": THREADS * PER_THREAD,
        "loop_die": 5,
        "calls": 40,
    }


BRIDGE = r"""
import json, os, signal, socket, sys, threading, time
from perl_compat.bridge import PerlClient, PerlDriverError

def drivers():
    '''Our perl driver processes: children of this process running driver.pl.'''
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if ppid == os.getpid() and b"driver.pl" in cmdline:
            found.append(int(entry))
    return found

def kill_driver():
    (pid,) = drivers()
    os.kill(pid, signal.SIGKILL)
    return pid

counts = dict(killed_between=0, killed_mid_call=0, recovered=0, threaded=0)
client = PerlClient(sys.argv[1], "http://127.0.0.1:9/v1", mode="subprocess")
assert client.getRun(thread_id="t").res.code == 400

for round in range(5):  # killed between calls: one clear error at most, then a new driver
    old = kill_driver()
    try:
        tx = client.getRun(thread_id=f"t{round}")
    except PerlDriverError as exc:
        assert "perl driver" in str(exc), exc
        tx = client.getRun(thread_id=f"t{round}")
    assert tx.res.code == 400 and str(tx.req.url).endswith(f"/threads/t{round}/runs/")
    assert drivers() and drivers() != [old]
    counts["killed_between"] += 1

# Killed while a call waits on a server that never answers: the caller hears at once.
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)
stuck = PerlClient(sys.argv[1], f"http://127.0.0.1:{silent.getsockname()[1]}/v1", mode="subprocess")
for round in range(3):
    outcome = {}
    def call():
        started = time.monotonic()
        try:
            stuck.getRun(thread_id="t", run_id="r")
            outcome["result"] = "answered"
        except PerlDriverError as exc:
            outcome["result"] = "driver error"
        outcome["seconds"] = time.monotonic() - started
    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(1.0)  # the call is in flight: Mojo waits up to 40 s for a reply
    kill_driver()
    caller.join(30)
    assert not caller.is_alive(), "the caller still waits on a dead driver"
    assert outcome["result"] == "driver error" and outcome["seconds"] < 20, outcome
    counts["killed_mid_call"] += 1
silent.close()

assert client.getRun(thread_id="after").res.code == 400
counts["recovered"] += 1

failures, done = [], []
def worker(n):
    try:
        for i in range(25):
            tx = client.getRun(thread_id=f"w{n}-{i}")
            assert str(tx.req.url).endswith(f"/threads/w{n}-{i}/runs/"), tx.req.url
            done.append(n)  # atomic, unlike += on a shared count
    except BaseException as exc:
        failures.append(repr(exc))
threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join(120)
assert not failures and not any(t.is_alive() for t in threads), failures
counts["threaded"] = len(done)
print(json.dumps(counts))
"""


def test_the_subprocess_bridge_survives_a_driver_killed_between_and_during_calls(perl_env: dict) -> None:
    """SIGKILL the perl driver 8 times (5 idle, 3 mid-call): clear errors, then a working client."""
    require(Path("/proc").is_dir(), "needs /proc to find the driver process")
    counts = run_child(BRIDGE, perl_env)
    print(f"\nsubprocess bridge: {counts}")
    assert counts == {"killed_between": 5, "killed_mid_call": 3, "recovered": 1, "threaded": 200}
