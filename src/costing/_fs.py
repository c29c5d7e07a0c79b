"""File-system helpers shared by the writers (reports, SQLite store): atomic replacement with the
permissions an ordinary file would have."""

from __future__ import annotations

import os


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move the finished temporary file ``tmp`` onto ``path`` atomically (:func:`os.replace`).

    ``tempfile.mkstemp`` creates files readable by their owner only; a report or database is
    meant to be read by others too, so the file gets the mode a plain ``open(path, "w")`` would
    give (0666 less the umask) before it replaces the old one.
    """
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)
