"""Fewer malloc arenas, so the bot's threads do not each keep a heap of their own.

glibc gives every thread that allocates its own arena (up to eight per core). The bot runs one
thread per SQLite connection (aiosqlite) besides the event loop, and each arena keeps what its
thread once used: bench/answer_cpu.py measured 119 MB of peak RSS with the default against
114 MB with two arenas, and no more CPU. `MALLOC_ARENA_MAX` set by the operator wins; other C
libraries (musl, macOS) are left alone.
"""

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Call before any thread starts; True when glibc took the cap."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_ARENA_MAX, arenas) == 1)
