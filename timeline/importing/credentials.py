"""The credentials live feeds use, from the environment, and the file that keeps ACLED's
tokens between runs.

Nothing here is ever stored in the database or shown: the tokens file is written with mode
0600 (its folder 0700) under the user's cache folder, replaced whole (written beside it,
then renamed) so that a run killed half-way leaves the previous tokens readable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from timeline.errors import InvalidInput
from timeline.importers.acled_api import RETIRED, AcledCredentials, Tokens

__all__ = ["Credentials", "TokenFile", "credentials_from", "token_file"]

ACLED_VARIABLES = ("ACLED_USERNAME", "ACLED_PASSWORD", "ACLED_ACCESS_TOKEN", "ACLED_REFRESH_TOKEN")
RETIRED_VARIABLES = ("ACLED_EMAIL", "ACLED_KEY")
UCDP_VARIABLE = "UCDP_TOKEN"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Every service's credentials for one run (any of them may be missing)."""

    acled: AcledCredentials = field(default_factory=AcledCredentials)
    ucdp_token: str | None = None
    # Where ACLED's tokens are kept between runs; None: not kept.
    token_dir: Path | None = None

    def secrets(self) -> list[str]:
        """Every value no output may show."""
        return [*self.acled.secrets(), *([self.ucdp_token] if self.ucdp_token else [])]


def credentials_from(environ: Mapping[str, str], token_dir: Path | None = None) -> Credentials:
    """The credentials the environment holds: ACLED_USERNAME, ACLED_PASSWORD,
    ACLED_ACCESS_TOKEN, ACLED_REFRESH_TOKEN, UCDP_TOKEN.

    An environment that still has only ACLED's retired ACLED_EMAIL / ACLED_KEY is refused,
    saying what to set instead."""

    def get(name: str) -> str | None:
        value = environ.get(name, "").strip()
        return value or None

    acled = AcledCredentials(
        username=get("ACLED_USERNAME"),
        password=get("ACLED_PASSWORD"),
        access_token=get("ACLED_ACCESS_TOKEN"),
        refresh_token=get("ACLED_REFRESH_TOKEN"),
    )
    retired = [name for name in RETIRED_VARIABLES if get(name)]
    if retired and not any((acled.username, acled.access_token, acled.refresh_token)):
        raise InvalidInput(f"{' and '.join(retired)}: {RETIRED}", subject="credentials")
    return Credentials(acled, get(UCDP_VARIABLE), token_dir)


class TokenFile:
    """ACLED's tokens in a JSON file only the user can read or write."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Tokens | None:
        """The tokens kept, or None when there are none (or the file is not ours to trust:
        readable by others, or not what we write)."""
        try:
            if self.path.stat().st_mode & 0o077:
                return None
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        expires = data.get("expires_at")
        refresh = data.get("refresh_token")
        return Tokens(
            data["access_token"],
            float(expires) if isinstance(expires, int | float) else 0.0,
            refresh if isinstance(refresh, str) else None,
        )

    def save(self, tokens: Tokens) -> None:
        """Keep `tokens`, replacing the file whole; a cache that cannot be written is left
        alone (the next run asks for a token again)."""
        data = json.dumps(
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at,
            }
        ).encode()
        folder = self.path.parent
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            # Created 0600 from the start: never a moment when others could read it.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)


def token_file(token_dir: Path, base: str, username: str | None) -> TokenFile:
    """The tokens file of one ACLED account at one base URL (the name is a digest of them,
    so that the file name shows neither)."""
    digest = hashlib.sha256(f"{base}\n{username or ''}".encode()).hexdigest()[:16]
    return TokenFile(token_dir / f"acled-tokens-{digest}.json")
