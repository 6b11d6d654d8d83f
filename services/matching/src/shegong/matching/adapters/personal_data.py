"""The residents' personal data (个人信息): raw phone and address, kept only here.

Events carry a keyed hash and a masked form (rule 7); the raw values are written in the
same transaction as the event that references them and never leave the service.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.matching.adapters.tables import resident_data

_INSERT = resident_data.insert()  # built once: every order with a contact writes one


def mask_address(address: str) -> str:
    """Keep the first few characters (the street), hide the rest: 永定路12号3单元 → 永定路12****."""
    text = "".join(address.split())
    return text[: min(5, max(1, len(text) // 3))] + "****"


async def store_resident_data(
    conn: AsyncConnection,
    request_id: str,
    *,
    phone: str | None,
    phone_hash: str | None,
    address: str | None,
) -> None:
    if phone is None and address is None:
        return
    await conn.execute(
        _INSERT,
        {"request_id": request_id, "phone": phone, "phone_hash": phone_hash, "address": address},
    )
