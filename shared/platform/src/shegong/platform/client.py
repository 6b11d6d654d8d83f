"""The ``shegong`` command as a client of the services' HTTP APIs (like kubectl or gh).

Every command that reads or changes data goes through the service, with a key, so the
key's scope and the audit apply and the actor recorded is the key's name. Where the
services are, and which key to send, is found in this order:

1. ``--url`` (or ``SHEGONG_REGISTRY_URL`` / ``SHEGONG_TRAINING_URL`` /
   ``SHEGONG_MATCHING_URL``) — a department's remote node, say — with ``--key`` (or
   ``SHEGONG_API_KEY``);
2. the local platform of ``--data-dir`` (or ``SHEGONG_DATA_DIR``), else of ``./.shegong``
   (this checkout's ``shegong up``), else the platform this user started last: its
   discovery file ``<data dir>/platform.json`` names the URLs ``shegong up`` bound, and the
   credentials file (``credentials.py``) its admin key.

Nothing here imports a service, the database layer or the kernel: ``shegong --help`` and
``shegong auth whoami`` stay fast; requests go out with the standard library's ``urllib``
(no HTTP library to import).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from shegong.platform.answers import (
    ERROR_BYTES,
    Response,
    answer_deadline,
    answer_limit,
)
from shegong.platform.credentials import PLATFORM_FILE, credentials_path, read_credentials
from shegong.platform.printing import err as err
from shegong.platform.printing import fail as fail
from shegong.platform.printing import lazy_console as lazy_console
from shegong.platform.printing import out as out
from shegong.platform.sending import multipart, within

DEFAULT_DATA_DIR = Path(".shegong")
START_HINT = (
    "启动平台 start it (in another terminal):  uv run shegong up\n"
    "或指定服务 or point at one:  --url http://… --key sgk_…  "
    "(SHEGONG_REGISTRY_URL / SHEGONG_TRAINING_URL / SHEGONG_MATCHING_URL, SHEGONG_API_KEY)"
)


KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="SHEGONG_API_KEY",
        show_envvar=False,
        help="API key (default: the local platform's admin key). Other users on this "
        "machine can read it in the process list (ps): set SHEGONG_API_KEY or use --key-file",
        show_default=False,
    ),
]
# Round 12b: a key on the command line is in the process list for every user to read.
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="read the API key from this file (yours, mode 0600), instead of --key",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="SHEGONG_DATA_DIR",
        show_envvar=False,
        help="which local platform (its data dir; default ./.shegong, else the last started)",
        show_default=False,
    ),
]


def url_option(service: str) -> Any:
    return typer.Option(
        "--url",
        envvar=f"SHEGONG_{service.upper()}_URL",
        show_envvar=False,
        help=f"the {service} service's URL (env SHEGONG_{service.upper()}_URL; default: the "
        "running local platform's)",
        show_default=False,
    )


@dataclass(frozen=True)
class LocalPlatform:
    data_dir: Path
    services: dict[str, str]
    pid: int | None
    running: bool


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _not_private(path: Path, folder: bool = True) -> str | None:
    """Why a file is not this user's private one (0600, this user's; in a 0700 folder of
    this user's, for the discovery file ``shegong up`` writes), or None when it is."""
    if not hasattr(os, "getuid"):
        return None
    for part in (path.parent, path) if folder else (path,):
        st = part.stat()
        if st.st_uid != os.getuid():
            return f"{part} belongs to another user (uid {st.st_uid})"
        if st.st_mode & 0o077:
            return f"{part} is open to others (mode {st.st_mode & 0o777:o})"
    return None


def _platform_at(data_dir: Path) -> LocalPlatform | None:
    path = data_dir / PLATFORM_FILE
    try:
        found = json.loads(path.read_text())
        why = _not_private(path)
    except (OSError, ValueError):
        return None
    if why is not None:
        # Round 11: a folder copied or cloned with a .shegong/platform.json in it (or one
        # another user left) named where the command sent the user's files and key.
        fail(
            f"不使用 {path}：它不是本用户“shegong up”写下的私有文件（{why}），"
            "其中的地址可能把您的文件和密钥发往别处 / "
            f"not using {path}: it is not a private file this user's `shegong up` wrote "
            f"({why}); the addresses in it could send your files and key elsewhere. "
            "Start the platform there (uv run shegong up), or name one: --data-dir, or "
            "--url with --key"
        )
    pid = found.get("pid")
    return LocalPlatform(data_dir.resolve(), dict(found.get("services", {})), pid, _pid_alive(pid))


def find_platform(data_dir: Path | None) -> LocalPlatform | None:
    """The local platform the command means (see the module's docstring), or None."""
    if data_dir is not None:
        return _platform_at(data_dir)
    here = _platform_at(DEFAULT_DATA_DIR)
    if here is not None:
        return here
    creds = read_credentials()
    homes = [creds.get("current"), *creds.get("platforms", {})]
    for home in dict.fromkeys(h for h in homes if h):
        found = _platform_at(Path(home))
        if found is not None and found.running:
            return found
    return None


def local_key(data_dir: Path) -> str | None:
    entry = read_credentials().get("platforms", {}).get(str(data_dir.resolve()))
    if entry and entry.get("api_key"):
        return str(entry["api_key"])
    try:  # the same user who ran `shegong up` may read its admin key (0600)
        return (data_dir / "admin.key").read_text().strip() or None
    except OSError:
        return None


class Api:
    """One service, with a key; errors become a clear message and a non-zero exit.

    Plain ``urllib``: a command pays no HTTP library's import (httpx costs ~0.4 s of CPU
    at every start); the service is local or one department's node, one request at a time.
    """

    def __init__(self, service: str, url: str, key: str | None, where: str) -> None:
        self.service, self.url, self.key, self.where = service, url.rstrip("/"), key, where

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        patience: float = 0,
    ) -> Response:
        """``patience``: seconds to keep trying while the service does not answer (one
        restarting); then, or at once without it, a clear exit. Each try has a deadline
        (``answer_deadline``): past it, a clear exit too."""
        url = self.url + path
        if params:
            query = {k: v for k, v in params.items() if v is not None}
            url += "?" + urllib.parse.urlencode(query)
        sent = {"Accept": "application/json", **(headers or {})}
        if self.key:
            sent["Authorization"] = f"Bearer {self.key}"
        body: bytes | None = None
        if files is not None or data is not None:
            body, sent["Content-Type"] = multipart(data or {}, files or {})
        elif json_body is not None:
            body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        # Here, not at start: ``shegong --help`` sends nothing.
        from urllib.error import HTTPError, URLError
        from urllib.request import HTTPRedirectHandler, Request, build_opener

        class _NoRedirect(HTTPRedirectHandler):
            # urllib follows a redirect with every header, the key too, to whatever host it
            # names (round 10: a node answering 302 to another host was sent the key). The
            # services never redirect: a 3xx is answered, not followed.
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        urlopen = build_opener(_NoRedirect()).open
        req = Request(url, data=body, headers=sent, method=method)

        seconds, setting = answer_deadline(upload=files is not None)

        def answered() -> Response:  # all of it within the deadline, a refusal's body too
            try:
                with urlopen(req, timeout=seconds) as answer:
                    body_read = self._bounded(answer, answer_limit())
                    return Response(answer.status, body_read, dict(answer.headers.items()))
            except HTTPError as refused:
                cut = refused.read(ERROR_BYTES)  # the start says why; the rest is not read
                return Response(refused.code, cut, dict(refused.headers.items()))

        until = time.monotonic() + patience
        while True:
            try:
                resp = within(seconds, answered)
            except (URLError, ConnectionError) as error:
                if time.monotonic() < until:
                    time.sleep(0.5)
                    continue
                fail(
                    f"{self.service} 服务无应答 does not answer at {self.url} ({self.where}): "
                    f"{getattr(error, 'reason', error)}\n" + START_HINT
                )
            except TimeoutError:
                split = urllib.parse.urlsplit(self.url)  # the host: not a user or password in it
                host = f"{split.hostname}{f':{split.port}' if split.port else ''}"
                fail(
                    f"{self.service} at {host} did not answer within {seconds:g} s "
                    f"({setting} sets how long) / {self.service} 服务（{host}）未在 "
                    f"{seconds:g} 秒内答完（可用 {setting} 调整）"
                )
            break
        if 300 <= resp.status_code < 400:
            where = "".join(c for c in resp.headers.get("Location", "?") if c.isprintable())[:200]
            fail(
                f"{self.service} at {self.url} answered HTTP {resp.status_code}, a redirect to "
                f"{where}; not followed, since the key would go with it — if that is the "
                "service, give its address with --url / "
                "服务返回重定向，未跟随（密钥会随之发往对方）；如确为该服务，请用 --url 指定其地址"
            )
        if resp.status_code == 401:
            hint = "" if self.key else " — no key was sent: pass --key or set SHEGONG_API_KEY"
            fail(f"HTTP 401 {error_text(resp)}{hint}")
        return resp

    def _bounded(self, answer: Any, limit: int) -> bytes:
        """The answer's body, or a clear exit once it is longer than ``limit``."""
        said = answer.headers.get("Content-Length", "")
        if not (said.isdigit() and int(said) > limit):  # a length over it: refused unread
            body = answer.read(limit + 1)
            if said.isdigit() and len(body) < int(said):
                # The service went away mid-answer (killed, restarting): http.client hands
                # over what came, without a word. Not an answer — a restart is waited for.
                raise ConnectionResetError(f"answer cut short: {len(body)} of {said} bytes")
            if len(body) <= limit:
                return bytes(body)
        fail(
            f"{self.service} at {self.url} answered more than {limit:,} bytes; not read "
            "(SHEGONG_MAX_ANSWER_BYTES sets how much is) / "
            f"服务应答超过 {limit:,} 字节，未读取（可用 SHEGONG_MAX_ANSWER_BYTES 调整上限）"
        )

    def ok(self, method: str, path: str, **kw: Any) -> Response:
        """The response, or the service's refusal (in English and Chinese) and exit 1."""
        resp = self.request(method, path, **kw)
        if resp.is_error:
            fail(f"HTTP {resp.status_code}: {error_text(resp)}")
        return resp

    def json(self, method: str, path: str, **kw: Any) -> Any:
        resp = self.ok(method, path, **kw)
        try:
            return resp.json()
        except ValueError:
            fail(
                f"{self.service} at {self.url} answered HTTP {resp.status_code} with something "
                f"that is not JSON: {resp.text[:200]} / 服务的应答不是JSON"
            )


def error_text(resp: Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:500]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        field = f"{error['field']}: " if error.get("field") else ""
        zh = f" / {error['message_zh']}" if error.get("message_zh") else ""
        return f"{field}{error.get('message')}{zh}"
    if isinstance(body, dict) and "detail" in body:
        return json.dumps(body["detail"], ensure_ascii=False)[:500]
    return resp.text[:500]


def key_in(path: Path) -> str:
    """The key a ``--key-file`` holds: a file of this user's that no one else may read
    (0600, as the credentials file), or a clear exit."""
    try:
        why = _not_private(path, folder=False)
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        fail(f"无法读取密钥文件 cannot read the key file {path}: {error}")
    if why is not None:
        fail(
            f"不使用密钥文件 {path}：它须属于本用户且仅本用户可读（chmod 600）— {why} / "
            f"not using the key file {path}: it must be yours and readable by you alone "
            f"(chmod 600) — {why}"
        )
    if not key:
        fail(f"密钥文件为空 the key file {path} is empty")
    return key


def connect(
    service: str,
    url: str | None = None,
    key: str | None = None,
    data_dir: Path | None = None,
    key_file: Path | None = None,
) -> Api:
    """The service of the platform the command means, with its key — or a clear exit. A
    ``key_file`` is read for the key (over ``SHEGONG_API_KEY``)."""
    if key_file is not None:
        key = key_in(key_file)
    if url:
        return Api(service, url, key, "--url")
    platform = find_platform(data_dir)
    if platform is None:
        where = f"{data_dir}/{PLATFORM_FILE}" if data_dir else f"./.shegong/{PLATFORM_FILE}"
        fail(
            "没有正在运行的 shegong 平台 / no running shegong platform found "
            f"(looked for {where} and {credentials_path()}).\n" + START_HINT
        )
    if not platform.running:
        fail(
            f"{platform.data_dir} 的平台未在运行 / the platform of {platform.data_dir} is not "
            f"running (pid {platform.pid} is gone).\n"
            f"启动它 start it:  uv run shegong up --data-dir {platform.data_dir}"
        )
    found = platform.services.get(service)
    if not found:
        fail(f"the platform of {platform.data_dir} runs no {service} service")
    return Api(
        service, found, key or local_key(platform.data_dir), f"platform of {platform.data_dir}"
    )


def write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def positions_text(as_of: dict[str, Any]) -> str:
    """Event positions a figure was computed as of, as ``source position`` pairs."""
    pairs: list[str] = []
    for name, value in sorted(as_of.items()):
        if isinstance(value, dict):
            inner = positions_text(value)
            pairs.append(f"{name}: {inner}" if inner != "—" else f"{name}: —")
        else:
            pairs.append(f"{name} {value}")
    return "; ".join(pairs) if pairs else "—"
