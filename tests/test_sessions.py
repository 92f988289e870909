"""The session store: revocations and generations in files that every process shares, with
expired revocations swept away. (Sessions over HTTP are tested in test_auth.py.)"""

from __future__ import annotations

import stat
import time
from pathlib import Path

from chatserve.security.sessions import SessionStore


def test_revocations_are_shared_kept_and_swept_once_expired(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    now = int(time.time())
    one, other = SessionStore(folder), SessionStore(folder)  # two processes, say
    one.revoke("a" * 22, now - 1)  # expired already (kept until the next sweep)
    other.revoke("b" * 22, now + 3600)
    assert other.is_revoked("b" * 22, now + 3600)
    assert not other.is_revoked("b" * 22, now + 3601)  # the expiry is part of the key
    assert SessionStore(folder).is_revoked("b" * 22, now + 3600)  # after a restart
    assert [path.name for path in (folder / "revoked").iterdir()] == [f"{now + 3600}.{'b' * 22}"]


def test_a_new_generation_is_seen_by_every_process(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    one, other = SessionStore(folder), SessionStore(folder)
    assert one.generation("alice") == other.generation("alice") == ""
    other.new_generation("alice")
    first = one.generation("alice")
    assert first and one.generation("bob") == ""
    one.new_generation("alice")
    assert other.generation("alice") not in ("", first)
    [kept] = (folder / "generations").iterdir()  # no drafts left behind
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
