"""社区点单二维码: the console prints each community's link to matching's residents' page
as a QR code that decodes to that link (checked module by module against the encoder's
own reading of the symbol: format bits, version and the data bytes)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from shegong.console import qr
from shegong.console.main import build
from shegong.console.settings import ConsoleSettings
from shegong.console.testing import csrf_aware

KEY = "k-good-0001"
LINK = "/h5/order?community=%E5%AE%89%E5%AE%9A%E5%8C%BA%2F%E6%B0%B8%E5%AE%9A%E8%B7%AF&sig=abc"


def matching(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return httpx.Response(401, json={"error": {"message": "key"}})
        if request.url.path == "/whoami":
            return httpx.Response(200, json={"name": "admin", "role": "admin", "writes": "all"})
        if request.url.path == "/h5-links/communities":
            return httpx.Response(
                200, json=[{"community": "安定区/永定路街道/东关社区", "url": LINK}]
            )
        return httpx.Response(404, json={"detail": "Not Found"})

    return httpx.MockTransport(answer)


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []
    settings = ConsoleSettings(
        registry_url="http://registry", matching_url="http://matching", session_secret="s" * 32
    )
    app = build(settings, transport=matching(seen))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as c,
    ):
        yield c, seen


async def test_each_community_gets_a_printable_code_of_its_link(
    client: tuple[httpx.AsyncClient, list[httpx.Request]],
) -> None:
    c, seen = client
    assert (await c.get("/services/h5-codes")).status_code == 303  # a session first
    await csrf_aware(c).post("/login", data={"api_key": KEY})
    page = await c.get("/services/h5-codes", params={"region": "安定区"})
    assert page.status_code == 200, page.text
    assert "东关社区" in page.text and "<svg" in page.text and "h5_codes.css" in page.text
    asked = [r for r in seen if r.url.path == "/h5-links/communities"]
    assert asked[-1].url.params["region"] == "安定区"
    full = "http://matching" + LINK
    assert f'href="{full.replace("&", "&amp;")}"' in page.text  # matching's own address


def read_back(grid: list[list[bool]]) -> bytes:
    """Decode a byte-mode, level-M symbol of version < 10 (a small reader for the test)."""
    size = len(grid)
    ver = (size - 17) // 4
    fmt = 0
    for i in range(15):  # the copy beside the bottom-left and top-right finders
        dark = grid[8][size - 1 - i] if i < 8 else grid[size - 15 + i][8]
        fmt |= int(dark) << i
    fmt ^= 0x5412
    assert fmt >> 13 == 0, "level M"
    mask = (fmt >> 10) & 7
    probe = qr._Symbol(ver)
    probe.functions()
    bits: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        for vert in range(size):
            for j in range(2):
                x = right - j
                y = size - 1 - vert if ((right + 1) & 2) == 0 else vert
                if not probe.fixed[y][x]:
                    bits.append(int(grid[y][x] ^ qr._MASKS[mask](x, y)))
        right -= 2
    codewords = [
        int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits) // 8 * 8, 8)
    ]
    blocks, ecc = qr._BLOCKS[ver], qr._ECC_PER_BLOCK[ver]
    raw = qr._raw_modules(ver) // 8
    short_n, short_len = blocks - raw % blocks, raw // blocks
    data: list[list[int]] = [[] for _ in range(blocks)]
    k = 0
    for i in range(short_len - ecc + 1):
        for j in range(blocks):
            if i == short_len - ecc and j < short_n:
                continue
            data[j].append(codewords[k])
            k += 1
    stream = [b for block in data for b in block]
    value = int.from_bytes(bytes(stream), "big")
    total = len(stream) * 8
    assert value >> (total - 4) == 0b0100, "byte mode"
    length = (value >> (total - 12)) & 0xFF
    return bytes((value >> (total - 12 - 8 * (i + 1))) & 0xFF for i in range(length))


def test_the_qr_encoder_reads_back_what_it_wrote() -> None:
    for text in ("A", "http://matching/h5/order?x=1", "安定区/永定路街道/东关社区", "x" * 150):
        assert read_back(qr.modules(text)) == text.encode()
    assert len(qr.modules("A")) == 21 and len(qr.modules("x" * 150)) == 49
    # 21 bytes: version 2 (25 modules) and the quiet zone
    assert re.match(r"<svg [^>]*viewBox=\"0 0 33 33\"", qr.svg("http://m/h5/order?c=1"))
