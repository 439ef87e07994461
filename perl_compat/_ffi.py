"""Find and load libperl through cffi in ABI mode (no compiler, only ``ffi.dlopen``).

This is the only module of the project that imports cffi. Nothing happens at import
time: :func:`locate_libperl` asks the ``perl`` whose modules will be used where its
shared library is (``perl -MConfig``), and :func:`load_libperl` dlopens it once per
process. Both raise :class:`~perl_compat.errors.PerlUnavailable` naming what is
missing.

Environment:

``PERL_COMPAT_PERL``
    the perl binary to ask (default: ``perl`` on ``PATH``).
``PERL_COMPAT_LIBPERL``
    the shared library to load, skipping the search (the perl binary is still asked
    whether it was built with MULTIPLICITY, when it can be found).

The module also wraps the C library's ``sigaction``: Perl installs OS-level signal
handlers behind the back of Python's ``signal`` module, and the interpreter needs to
save, swap and restore them byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import cffi

from .errors import PerlUnavailable

__all__ = [
    "GV_ADD",
    "SV_GMAGIC",
    "Libperl",
    "PerlBuild",
    "SignalActions",
    "load_libperl",
    "locate_libperl",
]

# perl's gv.h: create the glob when it does not exist yet (for Perl_get_sv).
GV_ADD = 0x01
# perl's sv.h: sv_setsv_flags runs get-magic on the source, as sv_setsv does.
SV_GMAGIC = 2

# The C declarations are copied from perl 5.36's proto.h. With MULTIPLICITY every
# Perl_ function takes the interpreter (pTHX) as first argument; perl_* and
# Perl_sys_* do not. Only functions that need no macros around them are declared:
# call_sv/call_pv need PUSHMARK and corrupt the heap from ABI mode, so data crosses
# through package variables and eval_pv of fixed code instead (see interpreter.py).
_CDEF = """
typedef struct interpreter PerlInterpreter;
typedef struct sv SV;
typedef struct cv CV;
typedef void (*XSINIT_t)(PerlInterpreter *);
typedef void (*XSUBADDR_t)(PerlInterpreter *, CV *);

void Perl_sys_init3(int *argc, char ***argv, char ***env);
void Perl_sys_term(void);
PerlInterpreter *perl_alloc(void);
void perl_construct(PerlInterpreter *my_perl);
int perl_parse(PerlInterpreter *my_perl, XSINIT_t xsinit, int argc, char **argv, char **env);
int perl_run(PerlInterpreter *my_perl);
int perl_destruct(PerlInterpreter *my_perl);
void perl_free(PerlInterpreter *my_perl);

void Perl_set_context(void *t);
void Perl_push_scope(PerlInterpreter *my_perl);
void Perl_pop_scope(PerlInterpreter *my_perl);
void Perl_savetmps(PerlInterpreter *my_perl);
void Perl_free_tmps(PerlInterpreter *my_perl);
SV *Perl_eval_pv(PerlInterpreter *my_perl, const char *p, int32_t croak_on_error);
char *Perl_sv_2pv_flags(PerlInterpreter *my_perl, SV *sv, size_t *lp, uint32_t flags);
SV *Perl_get_sv(PerlInterpreter *my_perl, const char *name, int32_t flags);
void Perl_sv_setpvn(PerlInterpreter *my_perl, SV *sv, const char *ptr, size_t len);
void Perl_sv_setsv_flags(PerlInterpreter *my_perl, SV *dsv, SV *ssv, int32_t flags);
CV *Perl_newXS(PerlInterpreter *my_perl, const char *name, XSUBADDR_t subaddr, const char *filename);
void boot_DynaLoader(PerlInterpreter *my_perl, CV *cv);
"""

# Only present in perls built WITHOUT multiplicity, where interpreter variables are
# plain globals; its presence means the Perl_ signatures above are wrong.
_NO_MULTIPLICITY_MARKER_CDEF = "extern void *PL_stack_sp;"

# sigaction is used with opaque buffers: the struct layout differs between platforms,
# and saving/restoring only needs the bytes. The handler pointer is the first member
# of struct sigaction on Linux (all but MIPS) and the BSDs, which is all we read.
_LIBC_CDEF = "int sigaction(int signum, const void *act, void *oldact);"
_SIGACTION_BUFFER_SIZE = 1024  # larger than struct sigaction anywhere (152 on glibc x86_64)

_CONFIG_KEYS = ("useshrplib", "libperl", "archlibexp", "libpth", "usemultiplicity", "version")


@dataclass(frozen=True)
class PerlBuild:
    """What we know about the perl to embed: its binary, its config and its library."""

    libperl: str
    perl: str | None = None
    config: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.config.get("version", "")


def _perl_binary() -> str | None:
    wanted = os.environ.get("PERL_COMPAT_PERL") or "perl"
    return shutil.which(wanted) or (wanted if os.path.isfile(wanted) else None)


def _perl_config(perl: str) -> dict[str, str]:
    script = "print qq{$_=$Config::Config{$_}\\n} for @ARGV"
    try:
        done = subprocess.run(
            [perl, "-MConfig", "-e", script, *_CONFIG_KEYS],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise PerlUnavailable(f"cannot run {perl} -MConfig: {exc}") from exc
    if done.returncode != 0:
        raise PerlUnavailable(f"{perl} -MConfig failed: {done.stderr.strip()}")
    pairs = (line.partition("=") for line in done.stdout.splitlines())
    return {key: value for key, _, value in pairs}


def _libperl_candidates(config: dict[str, str]) -> list[Path]:
    name = config.get("libperl", "")
    if not name:
        return []
    places = [Path(config.get("archlibexp", "")) / "CORE"]
    places += [Path(entry) for entry in config.get("libpth", "").split()]
    return [place / name for place in places]


def locate_libperl() -> PerlBuild:
    """Find the shared libperl of the perl whose modules will be used, or say why not.

    Refuses a perl without a shared libperl (``useshrplib``) or without
    ``usemultiplicity``: the declarations in this module assume both.
    """
    perl = _perl_binary()
    override = os.environ.get("PERL_COMPAT_LIBPERL")
    if override and not os.path.isfile(override):
        raise PerlUnavailable(f"PERL_COMPAT_LIBPERL={override!r}: no such file")
    if perl is None and not override:
        wanted = os.environ.get("PERL_COMPAT_PERL") or "perl"
        raise PerlUnavailable(f"no perl binary: {wanted!r} not found (set PERL_COMPAT_PERL)")
    config = _perl_config(perl) if perl else {}
    if perl and config.get("usemultiplicity") != "define":
        raise PerlUnavailable(
            f"{perl} was built without MULTIPLICITY (usemultiplicity="
            f"{config.get('usemultiplicity') or 'undef'}); it cannot be embedded from ABI mode"
        )
    if override:
        return PerlBuild(libperl=override, perl=perl, config=config)
    if config.get("useshrplib") != "true":
        raise PerlUnavailable(
            f"{perl} has no shared libperl (useshrplib={config.get('useshrplib') or 'undef'}); "
            "use the perl subprocess bridge or a perl built with -Duseshrplib"
        )
    for candidate in _libperl_candidates(config):
        if candidate.is_file():
            return PerlBuild(libperl=str(candidate), perl=perl, config=config)
    looked = ", ".join(str(path) for path in _libperl_candidates(config)) or "nowhere (libperl unset)"
    raise PerlUnavailable(f"{perl} says useshrplib=true but {config.get('libperl')} is not in {looked}")


class SignalActions:
    """OS-level signal dispositions as raw ``struct sigaction`` bytes.

    Python's ``signal.getsignal`` only knows Python-level handlers; Perl (and XS
    modules) call ``sigaction`` directly, so the interpreter compares and restores
    at this level.
    """

    def __init__(self, ffi: cffi.FFI, libc: Any) -> None:
        self._ffi = ffi
        self._libc = libc

    def new(self) -> Any:
        """A zeroed buffer big enough for one ``struct sigaction``."""
        return self._ffi.new("char[]", _SIGACTION_BUFFER_SIZE)

    def read(self, signum: int) -> Any | None:
        """The current disposition of ``signum``, or None if it cannot be read."""
        action = self.new()
        return action if self._libc.sigaction(signum, self._ffi.NULL, action) == 0 else None

    def write(self, signum: int, action: Any) -> bool:
        return self._libc.sigaction(signum, action, self._ffi.NULL) == 0

    def swap(self, signum: int, action: Any, previous: Any) -> bool:
        """Install ``action`` and store the disposition it replaces in ``previous``."""
        return self._libc.sigaction(signum, action, previous) == 0

    def handler(self, action: Any) -> int:
        """The handler address in a disposition (0 = SIG_DFL, 1 = SIG_IGN)."""
        return int(self.handler_view(action)[0])

    def handler_view(self, action: Any) -> Any:
        """A live ``uintptr_t *`` on the handler address of ``action`` (cheap to re-read)."""
        return self._ffi.cast("uintptr_t *", action)


@dataclass
class Libperl:
    """A loaded libperl: the cffi handle, the library functions and where they came from."""

    ffi: cffi.FFI
    lib: Any
    build: PerlBuild
    signals: SignalActions

    def string(self, pointer: Any, length: int) -> bytes:
        return cast(bytes, self.ffi.unpack(pointer, length))  # a char* unpacks to bytes


_loaded: Libperl | None = None
_load_lock = threading.Lock()


def load_libperl() -> Libperl:
    """dlopen libperl once per process (thread-safe) and check it is usable."""
    global _loaded
    with _load_lock:
        if _loaded is None:
            _loaded = _load(locate_libperl())
        return _loaded


def _load(build: PerlBuild) -> Libperl:
    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    ffi.cdef(_LIBC_CDEF)
    ffi.cdef(_NO_MULTIPLICITY_MARKER_CDEF)
    # RTLD_GLOBAL: XS modules (.so files loaded later by DynaLoader) are not linked
    # against libperl on Debian and resolve Perl_xs_handshake & co. from the global
    # namespace; without it they fail with "undefined symbol: Perl_xs_handshake".
    flags = os.RTLD_NOW | os.RTLD_GLOBAL  # the platform's dlopen flags, which cffi passes on
    try:
        lib = ffi.dlopen(build.libperl, flags)
    except OSError as exc:
        raise PerlUnavailable(f"cannot load {build.libperl}: {exc}") from exc
    missing = [name for name in ("perl_alloc", "Perl_eval_pv", "boot_DynaLoader") if not _has(lib, name)]
    if missing:
        raise PerlUnavailable(f"{build.libperl} does not export {', '.join(missing)}")
    if _has(lib, "PL_stack_sp"):
        raise PerlUnavailable(f"{build.libperl} was built without MULTIPLICITY; it cannot be embedded")
    libc = ffi.dlopen(None)
    return Libperl(ffi=ffi, lib=lib, build=build, signals=SignalActions(ffi, libc))


def _has(lib: Any, name: str) -> bool:
    try:
        getattr(lib, name)
    except (AttributeError, KeyError, cffi.FFIError, NotImplementedError):
        return False
    return True
