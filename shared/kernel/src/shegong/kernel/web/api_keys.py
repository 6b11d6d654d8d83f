"""API keys (接口密钥): their form, how they are stored (hashed), issued, revoked, found.

A key reads ``sgk_<id>_<secret>``: the id finds the record, the secret proves it. Only
``sha256(secret)`` is stored — the secret is 256 random bits, so a plain hash is as good
as a slow one and costs nothing per request — and it is compared in constant time.
Keys come from a keys file (``API_KEYS_FILE``, re-read when it changes, so a key is
issued or revoked without a restart) and/or ``API_KEYS`` (the same JSON list, from a
Kubernetes Secret).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from shegong.kernel.data.controls import HIDDEN, shows_something

log = logging.getLogger("shegong.auth")

Role = Literal["admin", "department", "auditor", "service"]
ROLES: tuple[str, ...] = get_args(Role)
PREFIX = "sgk"
_ID = re.compile(r"^[a-z0-9]{6,32}$")
_DEPARTMENT = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
DEPARTMENT_CODE_RULE = (
    "a department code is lower-case letters, digits and '-' (e.g. civil-affairs)",
    "部门代码只能由小写字母、数字和“-”组成（如 civil-affairs）",
)


def is_department_code(value: str) -> bool:
    """What a department key may name: ``civil-affairs``, not ``ｃivil-affairs`` (a
    full-width look-alike), ``Civil-Affairs`` or ``a/b`` — each of those became a
    department of its own, which no key could ever act for, beside the real one."""
    return bool(_DEPARTMENT.match(value))


def _department_code(value: str) -> str:
    if not is_department_code(value):
        raise ValueError(" / ".join(DEPARTMENT_CODE_RULE))
    return value


DepartmentCode = Annotated[str, AfterValidator(_department_code)]

KEY_NAME_MAX = 128
KEY_NAME_RULE = (
    f"a key's name is at most {KEY_NAME_MAX} characters a reader sees (no control, "
    "direction or invisible characters): it is the actor of every event and access record",
    f"密钥名称最多 {KEY_NAME_MAX} 个可见字符，不能含控制字符、方向控制符或不可见字符"
    "（它是每条事件和留痕记录中的操作人）",
)


def shown_key_name(name: str) -> str:
    """A key's name as it is recorded and shown: without control, direction or invisible
    characters, on one line, at most ``KEY_NAME_MAX`` characters (round 11: a name of
    5,000 characters made every recorded read of its key a 500 and every refusal of it
    unrecorded; an escape sequence or U+202E in it reached terminals and the access log;
    人社局-王 + U+200B stood in the log as 人社局-王)."""
    return " ".join(HIDDEN.sub("", name).split())[:KEY_NAME_MAX].strip() or "(unnamed)"


class ApiKeyRecord(BaseModel):
    """One issued key as stored: never the secret, only its hash."""

    id: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Role
    department: str | None = None
    name: str
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("id: 6-32 lower-case letters or digits")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        # A file written by hand, or API_KEYS from a Secret, may hold any name: read as shown.
        return shown_key_name(value)

    @model_validator(mode="after")
    def _department(self) -> ApiKeyRecord:
        if self.role == "department" and not _DEPARTMENT.match(self.department or ""):
            raise ValueError("a department key needs its department code")
        return self


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the key's name, role and (for a department key) department."""

    key_id: str
    name: str
    role: Role
    department: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_write_for(self, department: str | None) -> bool:
        """A department key writes only its own department's records; admin any."""
        if self.role == "admin":
            return True
        return self.role == "department" and department == self.department


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``sgk_<id>_<secret>`` → (id, secret); anything else → None."""
    prefix, _, rest = key.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not _ID.match(key_id) or len(secret) < 32:
        return None
    return key_id, secret


def new_key(role: Role, *, name: str, department: str | None = None) -> tuple[str, ApiKeyRecord]:
    """A fresh key (shown once) and the record to store; a name that would not be
    recorded as given is refused (``KEY_NAME_RULE``)."""
    if shown_key_name(name) != " ".join(name.split()) or not shows_something(name):
        raise ValueError(" / ".join(KEY_NAME_RULE))
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    record = ApiKeyRecord(
        id=key_id, sha256=hash_secret(secret), role=role, department=department, name=name
    )
    return f"{PREFIX}_{key_id}_{secret}", record


def verify(records: Iterable[ApiKeyRecord], key: str) -> Principal | None:
    parts = split_key(key)
    if parts is None:
        return None
    key_id, secret = parts
    digest = hash_secret(secret)
    for record in records:
        if record.id == key_id and hmac.compare_digest(record.sha256, digest):
            return Principal(record.id, record.name, record.role, record.department)
    return None


def parse_records(raw: str | bytes, where: str) -> list[ApiKeyRecord]:
    try:
        data = json.loads(raw or "[]")
        if not isinstance(data, list):
            raise ValueError("expected a JSON list of keys")
        return [ApiKeyRecord.model_validate(item) for item in data]
    except ValueError as err:
        raise ValueError(f"{where}: not a valid keys list: {err}") from None


class KeysFile:
    """The keys file (hashes only). Written atomically, mode 0600."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> list[ApiKeyRecord]:
        if not self.path.exists():
            return []
        return parse_records(self.path.read_bytes(), str(self.path))

    def write(self, records: list[ApiKeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps([r.model_dump(mode="json") for r in records], indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        with os.fdopen(fd, "w") as handle:
            handle.write(body + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def issue(self, role: Role, *, name: str, department: str | None = None) -> str:
        key, record = new_key(role, name=name, department=department)
        self.write([*self.read(), record])
        return key

    def revoke(self, key_id: str) -> bool:
        records = self.read()
        kept = [r for r in records if r.id != key_id]
        if len(kept) == len(records):
            return False
        self.write(kept)
        return True


class KeyRing:
    """The keys a service accepts: the file (re-read when its mtime changes) plus env."""

    def __init__(self, file: str | Path | None = None, env: str | None = None) -> None:
        self.file = KeysFile(file) if file else None
        self._env = parse_records(env, "API_KEYS") if env else []
        self._stamp: tuple[int, int, int] | None = None
        self._from_file: list[ApiKeyRecord] = []

    @property
    def configured(self) -> bool:
        """Whether any source of keys is set up (an empty or missing file still counts:
        its keys are issued later, and nobody gets in meanwhile)."""
        return self.file is not None or bool(self._env)

    def records(self) -> list[ApiKeyRecord]:
        if self.file is not None:
            try:
                st = os.stat(self.file.path)
                stamp: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp != self._stamp:
                try:
                    self._from_file = self.file.read() if stamp else []
                except (OSError, ValueError) as err:
                    # A half-edited file must not open the door or take the service down:
                    # keep the keys we had, say so, and try again on the next change.
                    log.error("keys file not re-read, keeping the previous keys: %s", err)
                self._stamp = stamp
        return [*self._from_file, *self._env]

    def verify(self, key: str) -> Principal | None:
        return verify(self.records(), key)
