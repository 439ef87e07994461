"""One embedded Perl interpreter per process, driven through libperl's C API.

``get_interpreter()`` starts it on first use and ``atexit`` tears it down (END blocks
run). Every call takes one lock and sets the Perl context, so any thread may call.

How data crosses (the ABI-mode constraints are explained in ``_ffi.py``):

* in: UTF-8 bytes are stored in ``$PerlCompat::IN`` (code for ``eval``, a JSON array
  for ``call``), then fixed code such as ``PerlCompat::_eval()`` is run by
  ``eval_pv``;
* out: that Perl code catches everything and returns one byte string, a JSON array
  ``[kind, payload, warnings, modules_loaded]`` made by Cpanel::JSON::XS (JSON::PP
  when absent): canonical, ``allow_nonref``, blessed objects through ``TO_JSON`` or
  their overloaded stringification (else null), code refs as null, JSON::PP::Boolean
  & co. as true/false, undef as null. Perl's native booleans (``1 == 1``) are plain
  1 and "" as in every Perl JSON encoder of this vintage; byte strings arrive as
  Latin-1 code points.

Results are taken in **scalar context**: ``eval("(1, 2, 3)")`` is 3 (the comma
operator); return ``[...]`` or ``{...}`` for lists and hashes.

Perl's ``exit`` is overridden (``CORE::GLOBAL::exit``) to die with a marker that
becomes :class:`PerlExit`; code that already caught it in its own ``eval`` sees an
ordinary die. ``CORE::exit`` and ``POSIX::_exit`` still end the whole process: run
code that may call them through the perl subprocess bridge instead.

Signals: Perl installs OS-level handlers behind Python's back (SIGFPE ignored at
start-up; ``%SIG`` assignments; XS modules). Start-up puts every disposition back as
it was; after ``use()``, after any call that loaded modules, at ``close()`` and on
``restore_signal_handlers()``, changes made by Perl (its C handler, SIG_DFL or
SIG_IGN) are reverted while those made on Python's side (``signal.signal``,
faulthandler) are kept. Between those points a ``%SIG`` handler set by Perl code
stays in force. XS modules with their own C handlers are not recognised as Perl's:
EV's SIGCHLD handler reaps every child process, which is why ``MOJO_REACTOR`` is set
to the Poll reactor before start-up. During a call made from the main thread, Perl's
SIGINT handler is swapped in so Ctrl-C stops the Perl code (at the next op boundary:
Perl's "safe signals"); Python's handler is swapped back afterwards and the signal is
re-raised to it, so by default ``KeyboardInterrupt``; a Python handler that returns
leaves a :class:`PerlError` ("Interrupted (SIGINT)") since the Perl call was aborted.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import threading
import warnings as _warnings
from dataclasses import dataclass
from typing import Any

from ._ffi import GV_ADD, SV_GMAGIC, Libperl, load_libperl
from .environment import perl_settings
from .errors import PerlCompatError, PerlError, PerlExit, PerlUnavailable, PerlWarning

__all__ = ["Availability", "Interpreter", "available", "get_interpreter"]

# perl's sv.h: let sv_2pv_flags return NULL for undef instead of "" plus a warning.
_SV_UNDEF_RETURNS_NULL = 2048
# How many captured warning strings Interpreter.warnings keeps (the oldest go first).
WARNINGS_KEPT = 1000
# How long atexit waits for a thread still inside a Perl call before giving up.
_CLOSE_TIMEOUT = 10.0

_MAIN_THREAD_ID = threading.main_thread().ident

# Loaded by eval_pv right after perl_run. It is Perl because the data conversion,
# the exit override and the error capture must happen inside Perl: an overloaded
# stringification dying inside sv_2pv from C would end the process.
_BOOTSTRAP = r"""
package PerlCompat;

# Compiled before any lexical exists in this file, so user code sees none of ours;
# runs in package main without strict or warnings, like `perl -e`.
sub _user_eval { package main; return (scalar(eval $_[0]), $@) }

use strict;
use warnings;
use Scalar::Util ();

our ($IN, $ERROR, @WARNINGS, $INTERRUPTED, $MODULES);

{
    package PerlCompat::Exit;
    use overload '""' => sub { "exit($_[0]{status}) called\n" }, fallback => 1;
    sub new { my ($class, $status) = @_; return bless {status => $status}, $class }
}

# exit() must not end the host process: die with a marker the envelope recognises.
*CORE::GLOBAL::exit = sub (;$) {
    no warnings;
    die PerlCompat::Exit->new(@_ ? int($_[0]) : 0);
};

my $JSON = eval { require Cpanel::JSON::XS; Cpanel::JSON::XS->new } || do { require JSON::PP; JSON::PP->new };
$JSON->utf8->canonical->allow_nonref->allow_blessed->convert_blessed->allow_unknown;
$JSON->allow_stringify if $JSON->can('allow_stringify');

sub _stringify {
    my ($error) = @_;
    my $text = eval { defined $error ? "$error" : "Died" };
    return defined $text ? $text : "PerlCompat: the error could not be stringified\n";
}

sub _envelope {
    my ($ok, $result, $error) = @_;
    my @reply
        = $INTERRUPTED ? ('int', _stringify($error))
        : $ok ? ('ok', $result)
        : Scalar::Util::blessed($error) && $error->isa('PerlCompat::Exit') ? ('exit', $error->{status})
        : ('die', _stringify($error));
    $INTERRUPTED = 0;
    my $modules = keys %INC;
    my $loaded = $modules != $MODULES ? 1 : 0;
    $MODULES = $modules;
    my $json = eval { $JSON->encode([@reply, [splice @WARNINGS], $loaded]) };
    return $json if defined $json;
    my $why = "PerlCompat: cannot convert the result to JSON: " . _stringify($@);
    return $JSON->encode(['die', $why, [splice @WARNINGS], $loaded]);
}

sub _eval {
    my $code = $IN;
    utf8::decode($code);
    my ($result, $error) = _user_eval($code);
    my $failed = ref $error || (defined $error && length $error);
    return _envelope(!$failed, $result, $error);
}

sub _call {
    my ($ok, $result, $error);
    {
        local $@;
        $ok = eval {
            my ($function, @args) = @{$JSON->decode($IN)};
            no strict 'refs';
            $result = &{"$function"}(@args);
            1;
        };
        $error = $@;
    }
    return _envelope($ok, $result, $error);
}

# Reached when our own entry code died outside its evals (a signal between ops).
# $ERROR is $@ saved from C: see Interpreter._run_fixed.
sub _failure { return _envelope(0, undef, $ERROR) }

sub _use {
    my ($what) = @_;
    if ($what =~ /\A[A-Za-z_]\w*(?:::\w+)*\z/) {
        (my $file = "$what.pm") =~ s{::}{/}g;
        require $file;
        package main;
        $what->import;
    }
    else {
        require $what;
    }
    return 1;
}

sub _add_inc {
    my ($dir) = @_;
    unshift @INC, $dir unless grep { !ref && $_ eq $dir } @INC;
    return 1;
}

# END blocks compiled after perl_run are not run by perl_destruct unless
# PL_exit_flags has PERL_EXIT_DESTRUCT_END, a field ABI mode cannot reach: run them
# here, newest first as perl does.
sub _run_end_blocks {
    require B;
    my $blocks = B::end_av();
    return 0 unless $blocks->isa('B::AV');
    for my $block ($blocks->ARRAY) {
        my $code = $block->object_2svref;
        next if $PerlCompat::END_DONE{$code}++;
        eval { $code->(); 1 } or do {
            my $error = $@;
            warn _stringify($error) unless Scalar::Util::blessed($error) && $error->isa('PerlCompat::Exit');
        };
    }
    return 1;
}

sub _on_sigint { $INTERRUPTED = 1; die "Interrupted (SIGINT)\n" }

$SIG{__WARN__} = sub { push @WARNINGS, _stringify($_[0]) };
$SIG{INT} = \&_on_sigint;
$MODULES = keys %INC;
{
    my $config = $JSON->decode($IN);
    $^X = $config->{perl} if defined $config->{perl};
}
select((select(STDOUT), $| = 1)[0]);
1;
"""


@dataclass(frozen=True)
class Availability:
    """Whether Perl can be embedded here; truthy when it can, ``reason`` says why not."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def available() -> Availability:
    """Can libperl be found and loaded? Never raises; does not start the interpreter."""
    try:
        load_libperl()
    except PerlUnavailable as exc:
        return Availability(False, str(exc))
    except Exception as exc:  # noqa: BLE001 - the point is to never raise
        return Availability(False, f"{type(exc).__name__}: {exc}")
    return Availability(True)


def _prepare_environment() -> None:
    """Set what Perl reads from %ENV, which perl_parse copies once (environment.py)."""
    os.environ.update(perl_settings())


class Interpreter:
    """The process's Perl interpreter; obtain it with :func:`get_interpreter`."""

    def __init__(self, libperl: Libperl | None = None) -> None:
        self._libperl = libperl or load_libperl()
        self._lib = self._libperl.lib
        self._ffi = self._libperl.ffi
        self._signals = self._libperl.signals
        self._lock = threading.RLock()
        self._length = self._ffi.new("size_t *")
        self._saved_sigint = self._signals.new()
        self._saved_sigint_handler = self._signals.handler_view(self._saved_sigint)
        self._perl_sigint: Any = None
        self._python_signals: dict[int, _Disposition] = {}
        self._python_handler = 0
        self._keepalive: list[Any] = []
        self._perl: Any = None
        self.warnings: list[str] = []
        self._start()

    # -- life cycle ---------------------------------------------------------------

    def _start(self) -> None:
        global _sys_initialised, _running
        lib, ffi = self._lib, self._ffi
        if _running is not None and not _running.closed:
            raise PerlCompatError("a Perl interpreter is already running here: use get_interpreter()")
        _prepare_environment()
        self._python_signals = self._snapshot_signals()
        if not _sys_initialised:
            # PERL_SYS_INIT3: once per process, before the first perl_alloc; its
            # arguments are kept for the life of the process, as main()'s would be.
            argv = self._strings([b"perl"])
            pointers = [ffi.new("int *", 1), ffi.new("char ***", argv), ffi.new("char ***")]
            _process_keepalive.extend([argv, *pointers])
            lib.Perl_sys_init3(*pointers)
            _sys_initialised = True
        perl = lib.perl_alloc()
        if perl == ffi.NULL:
            raise PerlUnavailable("perl_alloc failed")
        lib.Perl_set_context(perl)
        lib.perl_construct(perl)
        # perl_parse keeps pointers into argv and DynaLoader keeps the file name:
        # both buffers live as long as this object (self._keepalive).
        argv = self._strings([b"perl", b"-e", b"0"])
        status = lib.perl_parse(perl, self._xs_init_callback(), 3, argv, ffi.NULL)
        if status == 0:
            status = lib.perl_run(perl)
        if status != 0:
            lib.perl_destruct(perl)
            lib.perl_free(perl)
            self._restore_signal_handlers(exact=True)
            raise PerlUnavailable(f"perl_parse/perl_run failed with status {status}")
        self._perl = perl
        _running = self
        config = {"perl": self._libperl.build.perl}
        try:
            reply = self._run_fixed(_BOOTSTRAP.encode(), json.dumps(config).encode())
            if reply != b"1":
                raise PerlUnavailable(f"the PerlCompat bootstrap failed: {self._last_error()}")
            # Perl's SIGINT disposition (its C handler, dispatching to _on_sigint),
            # swapped in for the duration of main-thread calls.
            self._perl_sigint = self._signals.read(signal.SIGINT)
        except BaseException:
            self._destroy()
            raise
        finally:
            self._restore_signal_handlers(exact=True)

    def _strings(self, items: list[bytes]) -> Any:
        buffers = [self._ffi.new("char[]", item) for item in items]
        array = self._ffi.new("char *[]", [*buffers, self._ffi.NULL])
        self._keepalive += [buffers, array]
        return array

    def _xs_init_callback(self) -> Any:
        lib, ffi = self._lib, self._ffi
        file_name = ffi.new("char[]", __file__.encode())

        # perlembed's xs_init: make DynaLoader bootable so XS modules load.
        def xs_init(perl: Any) -> None:
            lib.Perl_newXS(perl, b"DynaLoader::boot_DynaLoader", lib.boot_DynaLoader, file_name)

        callback = ffi.callback("void(PerlInterpreter *)", xs_init)
        self._keepalive += [file_name, callback]
        return callback

    @property
    def closed(self) -> bool:
        return self._perl is None

    def close(self, timeout: float = -1) -> None:
        """Run END blocks, destroy the interpreter and give Python its signals back."""
        if not self._lock.acquire(timeout=timeout):
            return
        try:
            if self._perl is None:
                return
            try:
                self.call("PerlCompat::_run_end_blocks")
            except PerlCompatError:
                pass
            # Global destruction may still warn: let that reach STDERR, not a dead array.
            self._run_fixed(b"delete $SIG{__WARN__}; 1", b"")
            self._destroy()
        finally:
            self._lock.release()
            self._restore_signal_handlers()

    def _destroy(self) -> None:
        perl, self._perl = self._perl, None
        if perl is None:
            return
        self._lib.Perl_set_context(perl)
        self._lib.perl_destruct(perl)
        self._lib.perl_free(perl)
        self._lib.Perl_set_context(self._ffi.NULL)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running"
        return f"<Interpreter {self._libperl.build.libperl} {state}>"

    # -- public calls -------------------------------------------------------------

    def eval(self, code: str) -> Any:
        """Evaluate Perl code in package main, scalar context; return the value as Python data.

        ``die``/syntax errors raise :class:`PerlError`, ``exit(N)`` raises
        :class:`PerlExit`; Perl warnings are kept in ``warnings`` and re-emitted as
        :class:`PerlWarning`.
        """
        return self._call_entry(b"PerlCompat::_eval()", code.encode("utf-8"))

    def call(self, function: str, *args: Any) -> Any:
        """Call the Perl sub ``function`` (full name) in scalar context with JSON-able args."""
        payload = json.dumps([function, *args], allow_nan=False).encode()
        return self._call_entry(b"PerlCompat::_call()", payload)

    def use(self, module_or_path: str | os.PathLike[str]) -> None:
        """``require`` a module by name (then ``import`` it into main) or a file by path."""
        target = os.fspath(module_or_path)
        if os.sep in target or target.endswith((".pl", ".pm")):
            target = os.path.abspath(target)
        try:
            self.call("PerlCompat::_use", target)
        finally:
            self.restore_signal_handlers()

    def add_inc(self, path: str | os.PathLike[str]) -> None:
        """Put a directory first in ``@INC`` (once)."""
        self.call("PerlCompat::_add_inc", os.path.abspath(os.fspath(path)))

    def drain_warnings(self) -> list[str]:
        """Return the captured Perl warnings and forget them."""
        with self._lock:
            drained, self.warnings = self.warnings, []
        return drained

    def restore_signal_handlers(self) -> None:
        """Give back to Python any OS signal disposition Perl code changed."""
        with self._lock:
            self._restore_signal_handlers()

    # -- the crossing -------------------------------------------------------------

    def _call_entry(self, entry: bytes, payload: bytes) -> Any:
        main_thread = threading.get_ident() == _MAIN_THREAD_ID
        with self._lock:
            if self._perl is None:
                raise PerlCompatError("the Perl interpreter is closed")
            swapped = main_thread and self._swap_in_sigint()
            try:
                raw = self._run_fixed(entry, payload)
                if not raw:
                    raw = self._run_fixed(b"PerlCompat::_failure()", b"")
            finally:
                if swapped:
                    self._signals.write(signal.SIGINT, self._saved_sigint)
            if not raw:  # only if PerlCompat itself was broken by the code it ran
                raise PerlError(f"PerlCompat: no reply from Perl: {self._last_error()}")
            kind, value, perl_warnings, modules_loaded = json.loads(raw.decode("utf-8"))
            if perl_warnings:
                self.warnings.extend(perl_warnings)
                del self.warnings[:-WARNINGS_KEPT]
            if modules_loaded:
                self._restore_signal_handlers()
        for text in perl_warnings:
            _warnings.warn(text.rstrip("\n"), PerlWarning, stacklevel=3)
        if kind == "ok":
            return value
        if kind == "exit":
            raise PerlExit(int(value))
        if kind == "int":
            self._deliver_interrupt(main_thread)
        raise PerlError(value)

    def _run_fixed(self, code: bytes, payload: bytes) -> bytes | None:
        """Store ``payload`` in $PerlCompat::IN, eval_pv ``code``, return its string result.

        The caller holds the lock. Scope and temporaries are pushed and freed here,
        so nothing accumulates between calls.
        """
        lib, perl = self._lib, self._perl
        lib.Perl_set_context(perl)
        lib.Perl_sv_setpvn(perl, lib.Perl_get_sv(perl, b"PerlCompat::IN", GV_ADD), payload, len(payload))
        lib.Perl_push_scope(perl)
        lib.Perl_savetmps(perl)
        try:
            result = lib.Perl_eval_pv(perl, code, 0)
            pointer = lib.Perl_sv_2pv_flags(perl, result, self._length, _SV_UNDEF_RETURNS_NULL)
            if pointer != self._ffi.NULL:
                return self._libperl.string(pointer, self._length[0])
            # The code died outside its own evals. Every eval clears $@ as it starts,
            # so keep the error in $PerlCompat::ERROR for the Perl code that reports it.
            error = lib.Perl_get_sv(perl, b"PerlCompat::ERROR", GV_ADD)
            lib.Perl_sv_setsv_flags(perl, error, lib.Perl_get_sv(perl, b"@", GV_ADD), SV_GMAGIC)
            return None
        finally:
            lib.Perl_free_tmps(perl)
            lib.Perl_pop_scope(perl)

    def _last_error(self) -> str:
        code = b'my $e = $PerlCompat::ERROR; my $s = eval { "$e" }; defined $s ? $s : "(unprintable)"'
        raw = self._run_fixed(code, b"")
        return (raw or b"").decode("utf-8", "replace")

    # -- signals ------------------------------------------------------------------

    def _swap_in_sigint(self) -> bool:
        """Let Perl's SIGINT handler run during this call, unless Python ignores SIGINT."""
        if self._perl_sigint is None:
            return False
        self._signals.swap(signal.SIGINT, self._perl_sigint, self._saved_sigint)
        if self._saved_sigint_handler[0] == 1:  # SIG_IGN: keep ignoring
            self._signals.write(signal.SIGINT, self._saved_sigint)
            return False
        return True

    def _deliver_interrupt(self, main_thread: bool) -> None:
        """Hand the SIGINT that stopped Perl to Python's own handler (KeyboardInterrupt by default)."""
        if main_thread:
            signal.raise_signal(signal.SIGINT)

    def _snapshot_signals(self) -> dict[int, _Disposition]:
        """Python's side of every signal: the OS disposition and the Python-level handler."""
        snapshot = {}
        for signum in range(1, signal.NSIG):
            action = self._signals.read(signum)
            if action is not None:
                snapshot[signum] = _Disposition(action, _python_level(signum))
        if callable(snapshot.get(signal.SIGINT, _NO_DISPOSITION).python):
            self._python_handler = self._signals.handler(snapshot[signal.SIGINT].action)
        return snapshot

    def _restore_signal_handlers(self, exact: bool = False) -> None:
        """Undo the OS-level signal changes Perl made; keep those made on Python's side.

        ``exact`` (after start-up) puts every disposition back as it was just before.
        Otherwise each change since the last check is attributed: Perl's C handler,
        SIG_DFL or SIG_IGN behind an unchanged Python-level handler are Perl's doing
        and are reverted; a new Python-level handler (``signal.signal``) or a foreign
        C handler (faulthandler, ...) is Python's side and becomes the reference.
        """
        main_thread = threading.get_ident() == _MAIN_THREAD_ID
        perl_handler = self._signals.handler(self._perl_sigint) if self._perl_sigint is not None else None
        for signum, reference in self._python_signals.items():
            current = self._signals.read(signum)
            if current is None:
                continue
            handler = self._signals.handler(current)
            if handler == self._signals.handler(reference.action):
                continue
            python_level = _python_level(signum)
            if exact or (python_level is reference.python and (handler == perl_handler or handler in (0, 1))):
                self._signals.write(signum, reference.action)
                continue
            if python_level is not reference.python and handler != self._expected_handler(python_level):
                if not main_thread:
                    continue  # only the main thread may call signal.signal; try again later
                signal.signal(signum, python_level)  # re-installs Python's own OS-level handler
                current = self._signals.read(signum) or current
            self._python_signals[signum] = _Disposition(current, python_level)

    def _expected_handler(self, python_level: Any) -> int | None:
        """The OS handler address Python installs for a Python-level handler (None: unknown)."""
        if python_level == signal.SIG_DFL:
            return 0
        if python_level == signal.SIG_IGN:
            return 1
        return self._python_handler or None


@dataclass(frozen=True)
class _Disposition:
    """One signal as Python's side had it: raw ``struct sigaction`` and the Python-level handler."""

    action: Any
    python: Any


_NO_DISPOSITION = _Disposition(None, None)


def _python_level(signum: int) -> Any:
    try:
        return signal.getsignal(signum)
    except (ValueError, OSError):
        return None


_sys_initialised = False
_process_keepalive: list[Any] = []
_running: Interpreter | None = None  # the live interpreter, however it was made
_singleton: Interpreter | None = None
_singleton_lock = threading.Lock()
_atexit_registered = False


def get_interpreter() -> Interpreter:
    """The process's interpreter, started on first use (thread-safe).

    Raises :class:`PerlUnavailable` when libperl cannot be found or started. After
    ``close()`` a new interpreter is started (XS modules with process-wide state,
    such as EV, may not survive that).
    """
    global _singleton, _atexit_registered
    current = _singleton
    if current is not None and not current.closed:
        return current
    with _singleton_lock:
        if _singleton is None or _singleton.closed:
            _singleton = Interpreter()
            if not _atexit_registered:
                atexit.register(_shutdown)
                _atexit_registered = True
        return _singleton


def _shutdown() -> None:
    """At exit: END blocks, perl_destruct, and PERL_SYS_TERM once nothing is left."""
    if _singleton is not None:
        _singleton.close(timeout=_CLOSE_TIMEOUT)
    if _sys_initialised and (_singleton is None or _singleton.closed):
        load_libperl().lib.Perl_sys_term()
