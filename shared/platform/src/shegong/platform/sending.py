"""How the ``shegong`` command sends a request: a form with a file as multipart, and the
whole exchange within a deadline (round 12b)."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def multipart(data: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    import secrets

    boundary = f"shegong-{secrets.token_hex(12)}"
    parts: list[bytes] = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    for name, (filename, body) in files.items():
        quoted = urllib.parse.quote(filename)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f"filename=\"{quoted}\"; filename*=UTF-8''{quoted}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + body
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``'s answer, or TimeoutError once it has taken ``seconds``: a socket's timeout
    is per read, and a node may drip its status line, headers or body a byte at a time.
    The call runs in a daemon thread, left behind (the command exits) when it overruns."""
    done: list[T | BaseException] = []

    def run() -> None:
        try:
            done.append(call())
        except BaseException as error:  # typer.Exit too: re-raised here
            done.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if not done:
        raise TimeoutError
    if isinstance(done[0], BaseException):
        raise done[0]
    return done[0]
