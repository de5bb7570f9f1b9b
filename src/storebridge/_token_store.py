"""Access tokens, and the stores refreshed tokens are handed to.

A :class:`Token` is kept in the field names of an OAuth2 token response (``access_token``,
``token_type``, ``expires_at`` as epoch seconds, ``scope``) plus ``issued_at``, so a token
file written by one version or process reads the same in another.

:class:`FileTokenStore` is shared safely by several stores and processes: writes are atomic,
and a refresh holds a lock on a side file (``<name>.lock``) around read-refresh-write, so
the processes sharing the file make one refresh per expiry. Within a process every store
on one file shares one lock object; across processes the lock is ``fcntl.flock`` on POSIX
systems. On Windows there is no cross-process lock: stores, threads and tasks of one
process still share one refresh, but two processes may each refresh once; writes stay
atomic.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from storebridge._file_lock import FileLock
from storebridge.errors import ConfigurationError, StorebridgeError
from storebridge.settings import Secret

MAX_TOKEN_LIFETIME = 10 * 366 * 24 * 3600.0
"""A refreshed token claiming to live longer than this (ten years) is refused as absurd."""
MAX_TOKEN_LENGTH = 8192
"""Longer than any platform's token, short enough for every HTTP server's header limit."""


@attrs.frozen
class Token:
    """An access token and when it expires (``None``: no known expiry).

    ``issued_at`` is when it was obtained, when known: a token living shorter than the
    refresh leeway is refreshed relative to its own lifetime rather than on every call.
    """

    access_token: Secret = attrs.field(converter=Secret)
    expires_at: datetime | None = None
    scope: str | None = None
    issued_at: datetime | None = None

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the token expires less than ``seconds`` after ``now`` (epoch seconds)."""
        if self.expires_at is None:
            return False
        return self.expires_at.timestamp() - seconds <= now

    @property
    def lifetime(self) -> float | None:
        """Seconds from ``issued_at`` to ``expires_at``, when both are known."""
        if self.expires_at is None or self.issued_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()

    def to_oauth2(self) -> dict[str, object]:
        """The token as an OAuth2 token dict (``expires_at``/``issued_at`` in epoch seconds)."""
        data: dict[str, object] = {
            "access_token": self.access_token.reveal(),
            "token_type": "Bearer",
        }
        if self.expires_at is not None:
            data["expires_at"] = int(self.expires_at.timestamp())
        if self.scope is not None:
            data["scope"] = self.scope
        if self.issued_at is not None:
            data["issued_at"] = int(self.issued_at.timestamp())
        return data

    @classmethod
    def from_oauth2(cls, data: Mapping[str, object]) -> Token:
        """Read :meth:`to_oauth2`'s dict; ValueError (never showing the token) when malformed."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access.strip():
            raise ValueError("access_token is missing or not a string")
        scope = data.get("scope")
        return cls(
            access_token=access,
            expires_at=_epoch(data.get("expires_at"), "expires_at"),
            scope=scope if isinstance(scope, str) else None,
            issued_at=_epoch(data.get("issued_at"), "issued_at"),
        )

    def __repr__(self) -> str:
        return f"Token(access_token=***, expires_at={self.expires_at!r}, scope={self.scope!r})"


def _epoch(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be epoch seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{name} is out of range") from None


def token_problem(token: Token, now: float) -> str | None:
    """Why a freshly obtained ``token`` must not be stored or used, or ``None`` when it is fine.

    The value has to travel in an HTTP header (visible ASCII, bounded length) and the expiry
    has to be known, in the future and plausible.
    """
    value = token.access_token.reveal()
    if len(value) > MAX_TOKEN_LENGTH:
        return f"the access token is longer than {MAX_TOKEN_LENGTH} characters"
    if not all("!" <= char <= "~" for char in value):
        return "the access token has characters other than visible ASCII"
    if token.expires_at is None:
        return "the answer gives no expiry for the token"
    expires = token.expires_at.timestamp()
    if expires <= now:
        return f"the token's expiry {token.expires_at.isoformat()} is not in the future"
    if expires - now > MAX_TOKEN_LIFETIME:
        return f"the token's expiry {token.expires_at.isoformat()} is implausibly far away"
    return None


@runtime_checkable
class TokenStore(Protocol):
    """Where refreshed tokens go. Implement it to keep tokens in your vault or database."""

    def load(self, key: str) -> Token | None: ...

    def save(self, key: str, token: Token) -> None: ...


@runtime_checkable
class SharedTokenStore(TokenStore, Protocol):
    """A :class:`TokenStore` that other processes use too.

    A refresh calls :meth:`try_lock` until it returns True, then reads the stored token again
    (another process may have refreshed it), refreshes only when still needed, saves, and
    calls :meth:`unlock`. ``try_lock`` must not block; it is re-entrant for the thread
    holding the lock (``save`` may take it again).
    """

    def try_lock(self, key: str) -> bool: ...

    def unlock(self, key: str) -> None: ...


class MemoryTokenStore:
    """Keeps tokens in memory (the default)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}
        self.saved: list[tuple[str, Token]] = []
        self._lock = threading.Lock()

    def load(self, key: str) -> Token | None:
        with self._lock:
            return self._tokens.get(key)

    def save(self, key: str, token: Token) -> None:
        with self._lock:
            self._tokens[key] = token
            self.saved.append((key, token))

    def clear(self) -> None:
        """Forget every token (tests that reuse one shop's address for new sandboxes)."""
        with self._lock:
            self._tokens.clear()
            self.saved.clear()

    def __repr__(self) -> str:
        return f"MemoryTokenStore({len(self._tokens)} tokens)"


class _FileLock(FileLock):
    """The tokens file's lock, waited for with a time limit."""

    @contextlib.contextmanager
    def held(self, timeout: float) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        pause = 0.005
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise StorebridgeError(
                    f"the lock file {self.path} stayed locked for {timeout:.0f} s; another process "
                    "sharing the tokens file may be stuck. Retry once it has finished."
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        try:
            yield
        finally:
            self.release()


_FILE_LOCKS: weakref.WeakValueDictionary[str, _FileLock] = weakref.WeakValueDictionary()
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> _FileLock:
    """One lock object per lock file in the process, however many stores open the file."""
    key = os.path.realpath(path)
    with _FILE_LOCKS_GUARD:
        lock = _FILE_LOCKS.get(key)
        if lock is None:
            lock = _FILE_LOCKS[key] = _FileLock(path)
        return lock


class FileTokenStore:
    """Keeps tokens in a JSON file readable only by its owner, shared safely between processes.

    ``~`` is expanded and missing parent folders are created (mode 0700) right away, so a bad
    path fails at construction rather than at the first refresh hours later. Every save
    replaces the file atomically with a mode-0600 file. Refreshes by stores in several
    processes sharing the file are serialised by ``fcntl.flock`` on ``<file>.lock``, so they
    make one refresh per expiry. On Windows the lock covers one process only: two processes
    sharing the file may each refresh once (the file stays consistent).
    """

    lock_timeout = 300.0
    """Seconds to wait for another process's refresh before giving up."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(os.path.expanduser(os.fspath(path)))
        _make_private_folders(self.path.parent)
        if self.path.is_dir():
            raise ConfigurationError(
                f"token_store path {self.path} is a folder; give a file name such as "
                f"{self.path / 'tokens.json'}",
                setting="token_store",
            )
        self._lock = _file_lock(self.path.with_name(self.path.name + ".lock"))

    def _read(self) -> dict[str, object]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise StorebridgeError(f"FileTokenStore {self.path} cannot be read: {exc}") from None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise StorebridgeError(
                f"FileTokenStore {self.path} is not a JSON object; delete it to start afresh "
                "(pass the current access_token again)"
            )
        return data

    def load(self, key: str) -> Token | None:
        entry = self._read().get(key)
        if entry is None:
            return None
        if not isinstance(entry, dict):
            raise StorebridgeError(
                f"FileTokenStore {self.path}: the entry {key!r} is not an object"
            )
        try:
            return Token.from_oauth2(entry)
        except ValueError as exc:
            raise StorebridgeError(
                f"FileTokenStore {self.path}: the entry {key!r}: {exc}"
            ) from None

    def save(self, key: str, token: Token) -> None:
        with self._lock.held(self.lock_timeout):
            data = self._read()
            data[key] = token.to_oauth2()
            _write_private(self.path, json.dumps(data, indent=1))

    def try_lock(self, key: str) -> bool:
        return self._lock.try_acquire()

    def unlock(self, key: str) -> None:
        self._lock.release()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


def _make_private_folders(folder: Path) -> None:
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                path.mkdir(mode=0o700)
                os.chmod(path, 0o700)  # the umask may have removed owner bits
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigurationError(
            f"token_store folder {folder} cannot be created ({reason}); choose a path in a "
            "folder you can write to",
            setting="token_store",
        ) from None


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; the file is mode 0600 from its first byte."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = [
    "MAX_TOKEN_LENGTH",
    "MAX_TOKEN_LIFETIME",
    "FileTokenStore",
    "MemoryTokenStore",
    "SharedTokenStore",
    "Token",
    "TokenStore",
    "token_problem",
]
