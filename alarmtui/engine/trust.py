"""Who a view may talk to: the service socket is checked before a single byte is sent to it.

Standard library only (the `status` quick path imports this).

The trust model (the README's "Who can talk to the service"):

- The socket, and every folder on its path up to and including the first one owned
  by root, must belong to this user (or root) and must not be writable by group or
  others. Anyone who can write such a folder could replace the socket with their
  own; anyone who owns the socket could be serving it.
- A folder writable by others is accepted only when it is *sticky* and owned by
  root (a /tmp-like folder): there nobody but the owner of an entry may rename or
  remove it, and the entry below it is checked in turn (it must be ours). A sticky
  folder owned by an ordinary user is refused: that user could still replace our
  entries in it.
- Symlinks: the path as written and the path it resolves to are both checked, so a
  link only passes when both its own folder and its target's are private.
- Once connected, the peer's uid (SO_PEERCRED) must be this user's, or root's.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
from pathlib import Path

FIX_HINT = (
    "Remove it (or set ALARMTUI_SOCKET to a path in a folder only you can write, e.g. $XDG_RUNTIME_DIR), "
    "or run the command with --standalone to work without the service."
)


class UntrustedService(Exception):
    """The socket path or the process behind it does not belong to this user (or root): nothing was sent."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"refusing the alarmtui service socket {path}: {problem}. {FIX_HINT}")


def trusted_uids(uid: int | None = None) -> frozenset[int]:
    me = os.getuid() if uid is None else uid
    return frozenset({me, 0})


def owner_name(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (KeyError, ImportError):
        return f"uid {uid}"


def check_path(path: Path | str, *, uid: int | None = None, socket_expected: bool = True) -> None:
    """Raise `UntrustedService` unless the socket at `path` and its folders are private to us (or root).

    `socket_expected=False` checks only the folders (the service, before it creates its socket).
    """
    trusted = trusted_uids(uid)
    written = os.path.abspath(path)
    resolved = os.path.realpath(written)
    for candidate in dict.fromkeys((written, resolved)):
        _check_chain(candidate, path, trusted, socket_expected)


def _check_chain(chain: str, shown: Path | str, trusted: frozenset[int], socket_expected: bool) -> None:
    current = chain
    first = True
    while True:
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if first and not socket_expected:
                current, first = os.path.dirname(current), False
                continue
            if first:
                raise  # no socket: nobody listens (an OSError, as connecting would say)
            raise UntrustedService(shown, f"{current} does not exist") from None
        except OSError as exc:
            raise UntrustedService(shown, f"cannot inspect {current} ({exc.strerror})") from None
        if info.st_uid not in trusted:
            raise UntrustedService(shown, f"{current} belongs to {owner_name(info.st_uid)}, not to you")
        mode = info.st_mode
        if first and socket_expected and not (stat.S_ISSOCK(mode) or stat.S_ISLNK(mode)):
            raise UntrustedService(shown, f"{current} is not a socket")
        if mode & (stat.S_IWGRP | stat.S_IWOTH) and not stat.S_ISLNK(mode):  # a link's own mode means nothing
            sticky_root_folder = stat.S_ISDIR(mode) and mode & stat.S_ISVTX and info.st_uid == 0
            if not sticky_root_folder:
                raise UntrustedService(shown, f"{current} is writable by {_who_writes(mode)}")
        if stat.S_ISDIR(mode) and info.st_uid == 0:
            return  # root owns everything above: nobody else can swap what lies beneath
        parent = os.path.dirname(current)
        if parent == current:
            return
        current, first = parent, False


def _who_writes(mode: int) -> str:
    return " and ".join(w for w, bit in (("its group", stat.S_IWGRP), ("others", stat.S_IWOTH)) if mode & bit)


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a connected Unix socket (Linux SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def check_peer(sock: socket.socket, path: Path | str, *, uid: int | None = None) -> None:
    """Raise `UntrustedService` unless the process serving the connected `sock` runs as us (or root)."""
    peer = peer_uid(sock)
    if peer not in trusted_uids(uid):
        raise UntrustedService(path, f"the process answering on it runs as {owner_name(peer)}, not as you")


def connect_trusted(path: Path | str, timeout: float | None) -> socket.socket:
    """A Unix socket connected to the service at `path`, after checking the path and the peer."""
    check_path(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        check_peer(sock, path)
    except BaseException:
        sock.close()
        raise
    return sock
