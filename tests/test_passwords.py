"""Password hashes: scrypt at OWASP's minimum cost in the PHC string format, the older form
still checked, and configs that say what is wrong with a hash."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import textwrap
from pathlib import Path

import pytest

from chatserve.config.loader import load_config
from chatserve.errors import ConfigError
from chatserve.security.passwords import check_password, hash_password

pytestmark = pytest.mark.real_password_cost  # the production cost is what is tested here

PHC = re.compile(r"\$scrypt\$ln=17,r=8,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})")


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def test_a_hash_is_a_phc_string_at_owasps_minimum_cost() -> None:
    stored = hash_password("correct horse")
    salt, digest = PHC.fullmatch(stored).groups()
    # Any scrypt implementation can check it from what the string says.
    salt, digest = unb64(salt), unb64(digest)
    options = {"n": 2**17, "r": 8, "p": 1, "maxmem": 2**28, "dklen": len(digest)}
    assert hashlib.scrypt(b"correct horse", salt=salt, **options) == digest
    assert check_password(stored, "correct horse")
    assert not check_password(stored, "correct horse ")
    assert hash_password("correct horse") != stored  # a new salt each time


def test_a_hash_in_the_older_form_still_checks() -> None:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(b"builder", salt=salt, n=2**14, r=8, p=1, dklen=32)
    encode = base64.urlsafe_b64encode
    stored = f"scrypt$16384$8$1${encode(salt).decode()}${encode(digest).decode()}"
    assert check_password(stored.replace("=", ""), "builder")
    assert not check_password(stored.replace("=", ""), "wonderland")


def test_a_plain_text_password_and_no_user_at_all() -> None:
    assert check_password("wonderland", "wonderland")
    assert not check_password("wonderland", "Wonderland")
    assert not check_password(None, "wonderland")


def load_users(tmp_path: Path, *passwords: str):
    users = "".join(
        f'\n              - {{username: u{i}, password: "{password}"}}'
        for i, password in enumerate(passwords)
    )
    path = tmp_path / "bot.yaml"
    path.write_text(
        textwrap.dedent(f"""
        fn: a:b
        server:
          auth:
            users:{users}
        """).lstrip()
    )
    return load_config(path)


def test_a_config_takes_both_forms_and_plain_text(tmp_path: Path) -> None:
    phc = hash_password("x")
    older = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$" + "A" * 43
    config = load_users(tmp_path, phc, older, "plain text")
    assert [user.password for user in config.server.auth.users] == [phc, older, "plain text"]


SALT, HASH = "c2FsdHNhbHRzYWx0", "A" * 43


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (
            f"$scrypt$n=17,r=8,p=1${SALT}${HASH}",
            "is not a hash made by `chatserve hash-password` (expected "
            "$scrypt$ln=<log2 of N>,r=<block size>,p=<parallelism>$<salt>$<hash>)",
        ),
        (f"$scrypt$ln=17,r=8,p=1${SALT}", "is not a hash made by `chatserve hash-password`"),
        (f"$scrypt$ln=17,r=8,p=1$!!${HASH}", "is not a hash made by `chatserve hash-password`"),
        (
            f"$scrypt$ln=17,r=8,p=1${SALT}${'A' * 41}",
            "is not a valid hash: its salt or hash is not valid base64",
        ),
        (
            f"$scrypt$ln=40,r=8,p=1${SALT}${HASH}",
            "is not a usable hash: its cost ln=40, r=8, p=1 is outside ln=1..20, r=1..16, p=1..16",
        ),
        (
            f"$scrypt$ln=17,r=8,p=1$c2FsdA${HASH}",
            "is not a valid hash: its salt or hash is too short",
        ),
        (
            f"scrypt$16383$8$1${SALT}${HASH}",
            "is not a valid hash: N must be a power of 2, got 16383",
        ),
        (f"scrypt$16384$8${SALT}${HASH}", "is not a hash made by `chatserve hash-password`"),
    ],
)
def test_a_config_says_what_is_wrong_with_a_hash(tmp_path: Path, stored: str, message: str):
    with pytest.raises(ConfigError) as caught:
        load_users(tmp_path, stored)
    [problem] = caught.value.problems
    assert problem.path == "server.auth.users[0].password"
    assert problem.message.startswith(message)
    assert stored not in str(caught.value)


def test_the_hash_password_command(run_chatserve, tmp_path: Path) -> None:
    result = run_chatserve("hash-password", input="s3cret pass\n")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip()
    assert PHC.fullmatch(printed)
    assert check_password(printed, "s3cret pass")
    assert load_users(tmp_path, printed).server.auth.users[0].password == printed
