"""The embedded Perl interpreter, against the real libperl and Perl modules (no mocks).

Needs a perl with a shared libperl and the Perl stack (Mojolicious, JSON::Validator,
OpenAPI::Client, Cpanel::JSON::XS). Without them these tests skip, except under
CI=true where they fail: a CI job must not go green by skipping.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perl_compat._ffi import load_libperl
from perl_compat.errors import PerlCompatError, PerlError, PerlExit, PerlWarning
from perl_compat.interpreter import Interpreter, available, get_interpreter

REPO = Path(__file__).resolve().parents[1]
JV_CACHE = REPO.parent / "shared" / "perl-peer" / "jvcache"
PERL_STACK = ("Mojolicious", "JSON::Validator", "OpenAPI::Client", "Cpanel::JSON::XS", "YAML::XS")
TEST_TIMEOUT = 60  # seconds; faulthandler ends the run (with tracebacks) past this
SUBPROCESS_TIMEOUT = 60
PERL_LOOP_SECONDS = 10  # a "long" Perl loop still ends, so a missed SIGINT fails instead of hanging
LONG_LOOP = (
    f"$main::finished = 0; my $end = time + {PERL_LOOP_SECONDS}; 1 while time < $end; $main::finished = 1"
)


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):  # as tests/conftest.py
        pytest.fail(f"{reason} (CI=true: the Perl stack is required)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _time_bound():
    # A hung Perl call sits in C, out of reach of Python signal handlers;
    # faulthandler's watchdog thread still ends the process, with tracebacks.
    faulthandler.dump_traceback_later(TEST_TIMEOUT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def embeddable() -> None:
    """libperl can be loaded here (checked without starting the interpreter)."""
    state = available()
    if not state:
        _missing(f"no embeddable Perl: {state.reason}")


@pytest.fixture(scope="module")
def perl(embeddable: None) -> Interpreter:
    interpreter = get_interpreter()
    interpreter.eval(
        textwrap.dedent(
            r"""
            package PerlCompatTest;
            sub echo { return $_[0] }
            sub count { return scalar @_ }
            sub leave { exit($_[0]) }
            1;
            """
        )
    )
    return interpreter


@pytest.fixture(scope="module")
def perl_stack(perl: Interpreter) -> Interpreter:
    missing = [name for name in PERL_STACK if not perl.eval(f"eval {{ require {name}; 1 }} ? 1 : 0")]
    if missing:
        _missing(f"Perl modules not installed: {', '.join(missing)}")
    return perl


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python, so the process singleton here is left alone."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        env=environment,
        cwd=REPO,
        check=False,
    )


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- data crossing ---------------------------------------------------------------------


def test_eval_returns_nested_structures(perl: Interpreter) -> None:
    value = perl.eval("{list => [1, 'two', [3, {four => 4}]], empty => {}, none => []}")
    assert value == {"list": [1, "two", [3, {"four": 4}]], "empty": {}, "none": []}


def test_eval_converts_undef_to_none_also_when_nested(perl: Interpreter) -> None:
    assert perl.eval("undef") is None
    assert perl.eval("[undef, {key => undef}]") == [None, {"key": None}]


def test_eval_keeps_numbers_and_strings_apart(perl: Interpreter) -> None:
    assert perl.eval("42") == 42
    assert perl.eval("'42'") == "42"
    assert perl.eval("-7") == -7
    assert perl.eval("1 << 62") == 2**62
    assert perl.eval("1.5") == 1.5
    assert perl.eval("'10' + 5") == 15


def test_eval_converts_json_booleans(perl: Interpreter) -> None:
    booleans = perl.eval("require JSON::PP; [JSON::PP::true(), JSON::PP::false(), \\1, \\0]")
    assert booleans == [True, False, True, False]
    assert all(type(item) is bool for item in booleans)


def test_eval_passes_unicode_both_ways(perl: Interpreter) -> None:
    assert perl.eval("'héllo ☺ 😀'") == "héllo ☺ 😀"
    assert perl.eval("length('日本語')") == 3
    assert perl.eval('"\\x{263A}"') == "☺"


def test_eval_takes_scalar_context_of_the_last_expression(perl: Interpreter) -> None:
    assert perl.eval("my @list = (5, 6, 7); @list") == 3
    assert perl.eval("(5, 6, 7)") == 7


def test_eval_runs_in_package_main_without_strict(perl: Interpreter) -> None:
    perl.eval("$unstrict_global = 'set'")
    assert perl.eval("__PACKAGE__ . ':' . $main::unstrict_global") == "main:set"


def test_blessed_objects_cross_via_to_json_or_stringification(perl: Interpreter) -> None:
    code = """
        package WithToJson { sub TO_JSON { return {plain => 1} } }
        package Stringy { use overload '""' => sub { 'as text' }, fallback => 1 }
        [bless({}, 'WithToJson'), bless({}, 'Stringy'), sub { 1 }]
    """
    assert perl.eval(code) == [{"plain": 1}, "as text", None]


def test_call_passes_arguments_as_json_and_takes_scalar_context(perl: Interpreter) -> None:
    assert perl.call("PerlCompatTest::echo", {"a": [1, None, True, "é"]}) == {"a": [1, None, True, "é"]}
    assert perl.call("PerlCompatTest::count", 1, 2, 3) == 3
    assert perl.call("List::Util::sum", 1, 2, 3.5) == 6.5


def test_call_rejects_what_json_cannot_carry(perl: Interpreter) -> None:
    with pytest.raises(TypeError):
        perl.call("PerlCompatTest::echo", object())
    with pytest.raises(ValueError):
        perl.call("PerlCompatTest::echo", float("nan"))


def test_call_of_an_unknown_sub_is_a_perl_error(perl: Interpreter) -> None:
    with pytest.raises(PerlError, match="Undefined subroutine &PerlCompatTest::nope"):
        perl.call("PerlCompatTest::nope")


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), children, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_json_values)
def test_any_json_value_round_trips_through_perl(perl: Interpreter, value: object) -> None:
    assert perl.call("PerlCompatTest::echo", value) == value


# -- errors, exit, warnings --------------------------------------------------------------


def test_die_raises_perl_error_with_perls_message(perl: Interpreter) -> None:
    with pytest.raises(PerlError) as caught:
        perl.eval("die 'boom'")
    assert caught.value.message.startswith("boom at (eval ")
    assert caught.value.message.endswith(" line 1.\n")
    with pytest.raises(PerlError) as caught:
        perl.eval('die "exact\\n"')
    assert caught.value.message == "exact\n"
    assert str(caught.value) == "exact"


def test_syntax_error_raises_perl_error(perl: Interpreter) -> None:
    with pytest.raises(PerlError, match="syntax error"):
        perl.eval("1 +")
    assert perl.eval("1 + 1") == 2


def test_die_with_a_reference_is_stringified_in_perl(perl: Interpreter) -> None:
    with pytest.raises(PerlError, match=r"^HASH\(0x[0-9a-f]+\)"):
        perl.eval("die {code => 42}")


def test_error_whose_stringification_dies_does_not_end_the_process(perl: Interpreter) -> None:
    code = """
        package Explosive { use overload '""' => sub { die "nested\\n" }, fallback => 1 }
        die bless {}, 'Explosive';
    """
    with pytest.raises(PerlError, match="could not be stringified"):
        perl.eval(code)
    assert perl.eval("'alive'") == "alive"


def test_result_that_cannot_be_converted_is_a_perl_error(perl: Interpreter) -> None:
    code = """
        package ExplosiveResult { use overload '""' => sub { die "no text\\n" }, fallback => 1 }
        [bless {}, 'ExplosiveResult']
    """
    with pytest.raises(PerlError, match="cannot convert the result to JSON"):
        perl.eval(code)


def test_a_die_outside_perl_compats_own_evals_is_still_reported(perl: Interpreter) -> None:
    perl.eval(
        r"""
        $PerlCompatTest::entry = \&PerlCompat::_eval;
        sub PerlCompatTest::restore_entry {
            no warnings 'redefine';
            *PerlCompat::_eval = $PerlCompatTest::entry;
        }
        no warnings 'redefine';
        *PerlCompat::_eval = sub { die "entry broke\n" };
        1;
        """
    )
    try:
        with pytest.raises(PerlError) as caught:
            perl.eval("1")
    finally:
        perl.call("PerlCompatTest::restore_entry")
    assert caught.value.message == "entry broke\n"
    assert perl.eval("1") == 1


def test_exit_raises_perl_exit_and_the_interpreter_goes_on(perl: Interpreter) -> None:
    with pytest.raises(PerlExit) as caught:
        perl.eval("exit(3)")
    assert caught.value.status == 3
    with pytest.raises(PerlExit) as caught:
        perl.eval("exit")
    assert caught.value.status == 0
    with pytest.raises(PerlExit) as caught:
        perl.call("PerlCompatTest::leave", 4)
    assert caught.value.status == 4
    assert perl.eval("6 * 7") == 42


def test_errors_share_one_base_class(perl: Interpreter) -> None:
    with pytest.raises(PerlCompatError):
        perl.eval("die")
    with pytest.raises(PerlCompatError):
        perl.eval("exit 1")


def test_warnings_are_captured_and_reemitted_as_perl_warnings(perl: Interpreter) -> None:
    perl.drain_warnings()
    with pytest.warns(PerlWarning, match="careful there"):
        assert perl.eval("warn qq{careful there\\n}; 5") == 5
    with pytest.warns(PerlWarning, match="uninitialized value"):
        perl.eval('use warnings; my $unset; my $text = "x$unset"; 1')
    captured = perl.drain_warnings()
    assert captured[0] == "careful there\n"
    assert "Use of uninitialized value" in captured[1]
    assert perl.warnings == []


def test_warnings_are_kept_even_when_python_filters_ignore_them(perl: Interpreter) -> None:
    perl.drain_warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        perl.eval("warn 'quiet'; 1")
    assert perl.drain_warnings()[0].startswith("quiet at ")


# -- modules -----------------------------------------------------------------------------


def test_xs_modules_load(perl_stack: Interpreter) -> None:
    code = """
        use List::Util qw(sum);
        use POSIX ();
        use Cpanel::JSON::XS;
        use Mojo::UserAgent;
        [sum(1 .. 4), POSIX::floor(2.5), Cpanel::JSON::XS->new->canonical->encode({b => 1, a => 2}),
         ref(Mojo::UserAgent->new)]
    """
    assert perl_stack.eval(code) == [10, 2, '{"a":2,"b":1}', "Mojo::UserAgent"]


def test_mojo_uses_the_poll_reactor_and_leaves_child_processes_to_python(perl_stack: Interpreter) -> None:
    perl_stack.use("Mojo::IOLoop")
    assert perl_stack.eval("ref Mojo::IOLoop->singleton->reactor") == "Mojo::Reactor::Poll"
    assert subprocess.run(["false"], timeout=SUBPROCESS_TIMEOUT, check=False).returncode == 1


def test_openapi_client_is_built_from_a_31_spec_offline(perl_stack: Interpreter, tmp_path: Path) -> None:
    if not JV_CACHE.is_dir():
        _missing(f"JSON::Validator offline cache not found at {JV_CACHE}")
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "perl_compat test", "version": "1"},
        "servers": [{"url": "http://127.0.0.1:9/v1"}],
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    perl_stack.eval(
        r"""
        sub PerlCompatTest::invalid_get_thing {
            my ($spec, $cache) = @_;
            local $ENV{JSON_VALIDATOR_CACHE_PATH} = $cache;
            require OpenAPI::Client;
            my $client = OpenAPI::Client->new($spec);
            my $tx = $client->getThing({});    # invalid input: answered locally, nothing is sent
            return {base_url => "@{[$client->base_url]}", code => $tx->res->code,
                    body => $tx->res->json, error => $tx->error};
        }
        1;
        """
    )
    result = perl_stack.call("PerlCompatTest::invalid_get_thing", str(spec_file), str(JV_CACHE))
    assert result == {
        "base_url": "http://127.0.0.1:9/v1",
        "code": 400,
        "body": {"errors": [{"message": "Missing property.", "path": "/id"}]},
        "error": {"code": 400, "message": "Invalid input"},
    }


def test_use_and_add_inc_load_local_modules(perl: Interpreter, tmp_path: Path) -> None:
    module_dir = tmp_path / "lib" / "PerlCompatLocal"
    module_dir.mkdir(parents=True)
    (module_dir / "Greeter.pm").write_text(
        "package PerlCompatLocal::Greeter;\n"
        "use Exporter 'import'; our @EXPORT_OK = ('greet');\n"
        'sub greet { return "hello $_[0]" }\n1;\n',
        encoding="utf-8",
    )
    script = tmp_path / "helper.pl"
    script.write_text("sub PerlCompatLocal::helper { return 'from a file' }\n1;\n", encoding="utf-8")
    perl.add_inc(tmp_path / "lib")
    perl.use("PerlCompatLocal::Greeter")
    perl.use(script)
    assert perl.call("PerlCompatLocal::Greeter::greet", "you") == "hello you"
    assert perl.call("PerlCompatLocal::helper") == "from a file"
    assert perl.eval(f"scalar grep {{ $_ eq '{tmp_path / 'lib'}' }} @INC") == 1
    perl.add_inc(tmp_path / "lib")
    assert perl.eval(f"scalar grep {{ $_ eq '{tmp_path / 'lib'}' }} @INC") == 1


def test_use_of_a_missing_module_is_a_perl_error(perl: Interpreter) -> None:
    with pytest.raises(PerlError, match=r"Can't locate PerlCompat/No/Such/Module\.pm"):
        perl.use("PerlCompat::No::Such::Module")


# -- threads, memory, signals --------------------------------------------------------------


def test_four_threads_share_the_interpreter(perl: Interpreter) -> None:
    failures: list[str] = []

    def work(worker: int) -> None:
        try:
            for step in range(200):
                assert perl.eval(f"[{worker}, {step}, {worker} * 1000 + {step}]") == [
                    worker,
                    step,
                    worker * 1000 + step,
                ]
                assert perl.call("PerlCompatTest::echo", [worker, step]) == [worker, step]
        except BaseException as exc:
            failures.append(f"worker {worker}: {exc!r}")

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TEST_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []


def test_100000_evals_do_not_grow_memory(perl: Interpreter) -> None:
    for _ in range(2000):  # warm up allocator arenas and Perl's caches
        perl.eval("[1, 'two', {three => 3}]")
    before = _rss_bytes()
    for _ in range(100_000):
        perl.eval("[1, 'two', {three => 3}]")
    growth = _rss_bytes() - before
    print(f"\nRSS growth over 100,000 evals: {growth / 1024:.0f} KiB")
    assert growth < 4 * 1024 * 1024


def test_sigint_interrupts_a_long_perl_call(perl: Interpreter) -> None:
    python_handler = signal.getsignal(signal.SIGINT)
    signals = load_libperl().signals
    os_handler = signals.handler(signals.read(signal.SIGINT))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            perl.eval(LONG_LOOP)
    finally:
        timer.cancel()
    assert perl.eval("$main::finished") == 0  # stopped inside Perl, not raised after it returned
    assert signal.getsignal(signal.SIGINT) is python_handler
    assert signals.handler(signals.read(signal.SIGINT)) == os_handler
    assert perl.eval("'still usable'") == "still usable"


def test_after_a_perl_call_sigint_reaches_python_again(perl: Interpreter) -> None:
    import time

    perl.eval("1")
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        time.sleep(PERL_LOOP_SECONDS)
    timer.cancel()


def test_sigint_goes_to_a_custom_python_handler(perl: Interpreter) -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(PerlError, match="Interrupted"):
            perl.eval(LONG_LOOP)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert received == [signal.SIGINT]


def test_perl_does_not_keep_the_signal_handlers_it_installs(perl: Interpreter) -> None:
    signals = load_libperl().signals
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    perl.eval("$SIG{USR1} = sub { 1 }; 1")
    assert signals.handler(signals.read(signal.SIGUSR1)) not in (0, 1)  # Perl's, until a restore point
    perl.restore_signal_handlers()
    assert signals.handler(signals.read(signal.SIGUSR1)) == 0
    perl.eval("$SIG{USR1} = sub { 1 }; require Text::Abbrev; 1")
    assert signals.handler(signals.read(signal.SIGUSR1)) == 0  # a module load is a restore point


def test_python_handlers_installed_after_start_up_survive_restores(perl: Interpreter) -> None:
    signals = load_libperl().signals
    received: list[int] = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: received.append(signum))
    try:
        pythons_c_handler = signals.handler(signals.read(signal.SIGUSR2))
        perl.restore_signal_handlers()  # Python's new handler is adopted, not reverted
        assert signals.handler(signals.read(signal.SIGUSR2)) == pythons_c_handler
        perl.eval("$SIG{USR2} = 'IGNORE'; 1")
        assert signals.handler(signals.read(signal.SIGUSR2)) == 1
        perl.restore_signal_handlers()  # ... and Perl's later change is reverted
        assert signals.handler(signals.read(signal.SIGUSR2)) == pythons_c_handler
        os.kill(os.getpid(), signal.SIGUSR2)
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert received == [signal.SIGUSR2]


def test_start_up_keeps_c_level_handlers_such_as_faulthandlers(embeddable: None) -> None:
    done = _run_python(
        """
        import faulthandler, signal
        from perl_compat._ffi import load_libperl
        from perl_compat.interpreter import get_interpreter
        faulthandler.enable()
        signals = load_libperl().signals
        watched = (signal.SIGFPE, signal.SIGSEGV, signal.SIGINT, signal.SIGPIPE)
        before = [signals.handler(signals.read(signum)) for signum in watched]
        get_interpreter().use("Mojo::IOLoop")  # start-up ignores SIGFPE; Mojo::IOLoop sets $SIG{PIPE}
        after = [signals.handler(signals.read(signum)) for signum in watched]
        print(before == after, before[0] not in (0, 1))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


# -- life cycle (in fresh processes) -----------------------------------------------------------


def test_end_blocks_run_at_exit_and_close_allows_a_restart(embeddable: None) -> None:
    done = _run_python(
        """
        from perl_compat.interpreter import get_interpreter
        first = get_interpreter()
        first.eval("END { print qq{first END\\n} } 1")
        first.close()
        print("closed", first.closed, flush=True)
        second = get_interpreter()
        print("second", second is not first, second.eval("use List::Util qw(max); max(3, 9, 2)"), flush=True)
        second.eval("END { print qq{second END\\n} } 1")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["first END", "closed True", "second True 9", "second END"]


def test_interpreter_is_a_process_singleton_refusing_a_second_instance(perl: Interpreter) -> None:
    assert get_interpreter() is perl
    with pytest.raises(PerlCompatError, match="already running"):
        Interpreter()


def test_core_exit_still_ends_the_process_as_documented(embeddable: None) -> None:
    done = _run_python(
        """
        from perl_compat.interpreter import get_interpreter
        get_interpreter().eval("CORE::exit(7)")
        print("not reached")
        """
    )
    assert done.returncode == 7
    assert "not reached" not in done.stdout
