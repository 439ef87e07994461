"""Make connect() fail with a chosen errno in this process (a forked child), for errors no
loopback server can cause: EACCES is what a firewall or security module says.

A two-instruction seccomp filter through prctl (Linux, x86_64 and aarch64): connect
returns the errno, every other system call runs. The embedded Perl lives in the same
process, so Perl and Python meet the same kernel answer.
"""

from __future__ import annotations

import ctypes
import platform
import struct

_CONNECT = {"x86_64": 42, "aarch64": 203}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
# BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_RET_K = 0x06


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def deny_connect(errno_value: int) -> None:
    """From now on, in this process, connect() fails with ``errno_value``."""
    machine = platform.machine()
    if machine not in _CONNECT:
        raise OSError(f"seccomp filter not written for {machine}")
    program = b"".join(
        [
            _insn(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
            _insn(_JEQ_K, 0, 3, _AUDIT_ARCH[machine]),
            _insn(_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
            _insn(_JEQ_K, 0, 1, _CONNECT[machine]),
            _insn(_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno_value),
            _insn(_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        ]
    )
    buffer = ctypes.create_string_buffer(program)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
