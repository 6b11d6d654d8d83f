"""Crafted hostile spreadsheets, for the tests that check :mod:`shegong.kernel.data.tabular`
refuses them (``shared/kernel/tests/test_tabular_limits.py``, ``tests/faults/
test_hostile_uploads.py``). Shipped in the package, as ``testing.py`` is, so both layers
craft the same files. Every file is built as a stream: the test process never holds the
expanded content.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def xlsx(sheet_xml: bytes | Iterable[bytes], sheet_name: str = "Sheet1") -> bytes:
    """A minimal workbook whose first sheet is ``sheet_xml`` (bytes or chunks), named
    ``sheet_name`` as written in ``workbook.xml`` (XML character references included:
    Excel would never save ``&#x1b;`` there, a crafted file may)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.replace('"Sheet1"', f'"{sheet_name}"'))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for chunk in [sheet_xml] if isinstance(sheet_xml, bytes) else sheet_xml:
                sheet.write(chunk)
    return buf.getvalue()


def _cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def cells_at(*refs: str) -> bytes:
    """A workbook with one text cell at each reference (``"A1"``, ``"XFD1048576"``)."""
    rows: dict[int, list[str]] = {}
    for ref in refs:
        number = int("".join(ch for ch in ref if ch.isdigit()))
        rows.setdefault(number, []).append(ref)
    body = b"".join(
        f'<row r="{n}">'.encode() + b"".join(_cell(r, "x") for r in rows[n]) + b"</row>"
        for n in sorted(rows)
    )
    return xlsx(_HEAD + b"<sheetData>" + body + b"</sheetData></worksheet>")


def long_cell(chars: int = 100_000_000) -> bytes:
    """A 姓名 header and one cell of ``chars`` characters (~100 KB for 100 million):
    longer than Excel lets a cell be."""
    body = _HEAD + b'<sheetData><row r="1">' + _cell("A1", "姓名") + b'</row><row r="2">'
    return xlsx(
        [
            body,
            b'<c r="A2" t="inlineStr"><is><t>',
            b"A" * chars,
            b"</t></is></c></row></sheetData></worksheet>",
        ]
    )


def far_cell() -> bytes:
    """One cell at A1 and one at XFD1048576 (~1.6 KB): a dense reader asks for 512 GiB."""
    return cells_at("A1", "XFD1048576")


def zip_bomb(mib: int = 350) -> bytes:
    """~``mib`` MiB of sheet XML in a ~1.4 MB file: rows without positions (so nothing
    but the size itself is over a limit until the rows are counted)."""
    row = b'<row><c t="inlineStr"><is><t>' + b"a" * 200 + b"</t></is></c></row>"
    per_mib = (1024 * 1024) // len(row)

    def chunks() -> Iterable[bytes]:
        yield _HEAD + b"<sheetData>"
        for _ in range(mib):
            yield row * per_mib
        yield b"</sheetData></worksheet>"

    return xlsx(chunks())


def lying_zip_bomb(mib: int = 350) -> bytes:
    """:func:`zip_bomb` whose zip directory declares every member 100 bytes long."""
    data = bytearray(zip_bomb(mib))
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:  # central directory entries
        extra_len = struct.unpack_from("<H", data, at + 30)[0]
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        struct.pack_into("<I", data, at + 24, 100)
        # a zip64 extra field (id 1) carries the real sizes: make it lie too
        extra = at + 46 + name_len
        end = extra + extra_len
        while extra + 4 <= end:
            tag, size = struct.unpack_from("<HH", data, extra)
            if tag == 1 and size >= 8:
                struct.pack_into("<Q", data, extra + 4, 100)
            extra += 4 + size
        at += 46
    return bytes(data)


def no_positions(columns: int) -> bytes:
    """One row of ``columns`` cells with no ``r`` attributes (positions implied)."""
    cell = b'<c t="inlineStr"><is><t>x</t></is></c>'
    return xlsx(_HEAD + b"<sheetData><row>" + cell * columns + b"</row></sheetData></worksheet>")


def entity_expansion() -> bytes:
    """A sheet with a 'billion laughs' entity declaration."""
    doctype = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    prev = b"a"
    for i in range(1, 10):
        doctype += b'<!ENTITY a%d "' % i + (b"&" + prev + b";") * 10 + b'">'
        prev = b"a%d" % i
    doctype += b"]>"
    sheet = (
        doctype + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&' + prev + b";</t></is></c>"
        b"</row></sheetData></worksheet>"
    )
    return xlsx(sheet)
