"""Finding and loading libperl (perl_compat._ffi), with the real perl and libperl.

Refusals are checked with small stand-in ``perl`` scripts that report another build
configuration, and in fresh Python processes where the process-wide state matters.
Without a perl that has a shared libperl these tests skip, except under CI=true.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from perl_compat._ffi import load_libperl, locate_libperl
from perl_compat.errors import PerlUnavailable
from perl_compat.interpreter import available

REPO = Path(__file__).resolve().parents[1]
TEST_TIMEOUT = 60
SUBPROCESS_TIMEOUT = 60
REAL_CONFIG = {
    "useshrplib": "true",
    "libperl": "libperl.so.5.36",
    "archlibexp": "/nonexistent/arch",
    "libpth": "/nonexistent/lib",
    "usemultiplicity": "define",
    "version": "5.36.0",
}


@pytest.fixture(autouse=True)
def _time_bound():
    faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("PERL_COMPAT_LIBPERL", raising=False)
    monkeypatch.delenv("PERL_COMPAT_PERL", raising=False)
    return monkeypatch


@pytest.fixture
def real_build(clean_env: pytest.MonkeyPatch):
    try:
        return locate_libperl()
    except PerlUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"no embeddable perl under CI=true: {exc}")
        pytest.skip(f"no embeddable perl: {exc}")


def _stand_in_perl(tmp_path: Path, **config: str) -> str:
    """A ``perl`` that answers ``-MConfig`` queries as a differently built perl would."""
    answers = {**REAL_CONFIG, **config}
    lines = "".join(f"{key}={value}\\n" for key, value in answers.items())
    script = tmp_path / "perl"
    script.write_text(f"#!/bin/sh\nprintf '{lines}'\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def _run_python(code: str, **env: str) -> dict:
    """Run ``code`` in a fresh Python; it prints one JSON document on its last line."""
    environment = {**os.environ, **env}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        env=environment,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


# -- locating ------------------------------------------------------------------------------


def test_locates_the_shared_libperl_of_perl_on_path(real_build) -> None:
    assert Path(real_build.libperl).is_file()
    assert real_build.config["usemultiplicity"] == "define"
    assert real_build.config["useshrplib"] == "true"
    assert Path(real_build.libperl).name == real_build.config["libperl"]
    assert real_build.version == real_build.config["version"]


def test_perl_compat_libperl_overrides_the_search(real_build, clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PERL_COMPAT_LIBPERL", real_build.libperl)
    assert locate_libperl().libperl == real_build.libperl


def test_refuses_a_missing_perl_compat_libperl(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "libperl.so.nowhere"
    clean_env.setenv("PERL_COMPAT_LIBPERL", str(missing))
    with pytest.raises(PerlUnavailable, match=r"PERL_COMPAT_LIBPERL=.*libperl\.so\.nowhere.*no such file"):
        locate_libperl()


def test_refuses_a_missing_perl_binary(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("PERL_COMPAT_PERL", str(tmp_path / "no-perl-here"))
    with pytest.raises(PerlUnavailable, match=r"no perl binary.*no-perl-here.*PERL_COMPAT_PERL"):
        locate_libperl()


def test_refuses_a_perl_without_multiplicity(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("PERL_COMPAT_PERL", _stand_in_perl(tmp_path, usemultiplicity="undef"))
    with pytest.raises(PerlUnavailable, match="without MULTIPLICITY"):
        locate_libperl()


def test_refuses_a_perl_without_a_shared_libperl(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("PERL_COMPAT_PERL", _stand_in_perl(tmp_path, useshrplib="false"))
    with pytest.raises(PerlUnavailable, match=r"no shared libperl \(useshrplib=false\)"):
        locate_libperl()


def test_refuses_when_libperl_is_not_on_disk(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("PERL_COMPAT_PERL", _stand_in_perl(tmp_path))
    with pytest.raises(PerlUnavailable, match=r"libperl\.so\.5\.36 is not in /nonexistent/arch/CORE/"):
        locate_libperl()


def test_searches_libpth_after_archlib(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    library = tmp_path / "lib" / "libperl.so.5.36"
    library.write_bytes(b"")
    perl = _stand_in_perl(tmp_path, libpth=f"/nonexistent {tmp_path / 'lib'}")
    clean_env.setenv("PERL_COMPAT_PERL", perl)
    assert locate_libperl().libperl == str(library)


# -- loading -------------------------------------------------------------------------------


def test_load_is_once_per_process_and_exports_the_embedding_api(real_build) -> None:
    first = load_libperl()
    assert load_libperl() is first
    for name in ("perl_alloc", "perl_parse", "Perl_eval_pv", "Perl_sv_2pv_flags", "boot_DynaLoader"):
        assert getattr(first.lib, name) is not None


def test_signal_actions_see_os_level_dispositions(real_build) -> None:
    signals = load_libperl().signals
    previous = signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    try:
        ignored = signals.read(signal.SIGUSR2)
        assert signals.handler(ignored) == 1
        signal.signal(signal.SIGUSR2, signal.SIG_DFL)
        assert signals.handler(signals.read(signal.SIGUSR2)) == 0
        replaced = signals.new()
        assert signals.swap(signal.SIGUSR2, ignored, replaced)
        assert signals.handler(replaced) == 0
        assert signals.handler(signals.read(signal.SIGUSR2)) == 1
        assert signals.write(signal.SIGUSR2, replaced)
        assert signals.handler(signals.read(signal.SIGUSR2)) == 0
    finally:
        signal.signal(signal.SIGUSR2, previous)


# -- in fresh processes --------------------------------------------------------------------


def test_importing_perl_compat_neither_loads_libperl_nor_runs_perl(real_build) -> None:
    result = _run_python(
        """
        import json, sys
        spawned = []
        sys.addaudithook(lambda event, args: spawned.append(event) if event in (
            "subprocess.Popen", "os.posix_spawn", "os.exec", "os.system") else None)
        import perl_compat, perl_compat.errors, perl_compat._ffi, perl_compat.interpreter
        with open("/proc/self/maps") as maps:
            mapped = "libperl" in maps.read()
        print(json.dumps({"spawned": spawned, "mapped": mapped}))
        """
    )
    assert result == {"spawned": [], "mapped": False}


def test_a_missing_perl_compat_libperl_is_refused_with_a_reason(real_build, tmp_path: Path) -> None:
    missing = str(tmp_path / "libperl-missing.so")
    result = _run_python(
        """
        import json
        from perl_compat.errors import PerlUnavailable
        from perl_compat.interpreter import available, get_interpreter
        state = available()
        try:
            get_interpreter()
            raised = None
        except PerlUnavailable as exc:
            raised = str(exc)
        print(json.dumps({"ok": bool(state), "reason": state.reason, "raised": raised}))
        """,
        PERL_COMPAT_LIBPERL=missing,
    )
    assert result["ok"] is False
    assert result["reason"] == result["raised"] == f"PERL_COMPAT_LIBPERL={missing!r}: no such file"


def test_a_file_that_is_not_a_library_is_refused_with_a_reason(real_build, tmp_path: Path) -> None:
    bogus = tmp_path / "libperl.so"
    bogus.write_text("not an ELF file", encoding="utf-8")
    result = _run_python(
        """
        import json
        from perl_compat.interpreter import available
        state = available()
        print(json.dumps({"ok": bool(state), "reason": state.reason}))
        """,
        PERL_COMPAT_LIBPERL=str(bogus),
    )
    assert result["ok"] is False
    assert result["reason"].startswith(f"cannot load {bogus}:")


def test_available_says_yes_with_the_real_perl(real_build) -> None:
    state = available()
    assert state
    assert state.reason == ""
