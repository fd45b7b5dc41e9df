"""Files the terminal chat writes for the user (the /stats chart, /export): new files in the
folder the chat was started from, never overwriting one that is there already."""

import asyncio
from pathlib import Path


def _write_new(folder: Path, filename: str, data: bytes) -> Path:
    stem, dot, suffix = filename.partition(".")
    for n in range(1, 1000):
        path = folder / (filename if n == 1 else f"{stem}-{n}{dot}{suffix}")
        try:
            with path.open("xb") as handle:  # "x": a file that appeared meanwhile is never replaced
                handle.write(data)
        except FileExistsError:
            continue
        return path.resolve()
    raise FileExistsError(f"too many files named {stem}-N{dot}{suffix} in {folder}")


async def save_new(folder: Path, filename: str, data: bytes) -> Path:
    """Write `data` to `filename` in `folder` (or filename-2, -3... if taken); the absolute path.
    Raises OSError when the folder is not writable."""
    return await asyncio.to_thread(_write_new, folder, filename, data)
