"""A region file (区县, 乡镇街道, 社区村, 城镇常住人口) → the region tree, or row-level rejections.

Pure parsing: bytes in, Python objects out; no database, no events. Reading the file,
the header row and the cells is the kernel's spreadsheet layer
(:mod:`shegong.kernel.data.sheets`), exactly as for rosters.

Rules:

* **Header row**: the first non-blank row, among the first 10, with a 区县/county column;
  title lines above it are skipped. Accepted headers — county: 区县, 所属区县, 县区, 区(县),
  county · township: 乡镇街道, 乡镇(街道), 街道, 乡镇, township · community: 社区村, 社区(村),
  社区, 村, community · urban_population: 城镇常住人口, 城镇常住人口数, 常住人口, 城镇人口,
  urban_population, population. Matching ignores spaces, ``*``, ``_``/``-``, case, bracket
  width and a trailing bracketed note; a note containing 万 (城镇常住人口（万人）) means the
  column is in units of 10,000. 区县 and 城镇常住人口 are required columns; two columns meaning
  the same field are a file error (``TabularFileError``, as for every import).
* **A row names a path** 区县[/乡镇街道[/社区村]]; its population belongs to the deepest node
  named. Ancestors are implied: a township row creates its county (population ``None``
  unless a county row gives one). A county may also be given on its own row.
* **Codes** are the normalised names joined by ``/`` ("安定区/永定路街道/东关社区"), so the
  same file always gives the same codes. Names are NFKC-normalised with all whitespace
  removed (``region_name``); :func:`region_code` applies the same rule to a roster's
  county/township/community so roster rows can be placed in the tree.
* **Population**: blank (or a placeholder ``-``, ``无``…) is ``None``; otherwise a
  non-negative whole number: ``12345``, ``12,345`` (correct thousands grouping only),
  ``12345人``, ``1.2万`` / ``1.2万人``, an Excel number cell (``12345.0`` is fine,
  ``12345.5`` is not). Above 100,000,000 is refused as implausible.
* **Rejected** (one ``RowRejection`` per bad field; a rejected row contributes nothing,
  not even its implied ancestors): a township without county (field ``county``), a community
  without township (field ``township``), a population given with no region at all
  (``county``), a name longer than 64 characters or containing ``/``, a population that is
  not a non-negative whole number, and the same path given again with a different
  population (the later row is rejected and told which row it contradicts; the same
  population again, or a blank one, is harmless).
* Not checked: that a county's population equals the sum of its townships' (rows are often
  partial; the indicator code decides how to roll up).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from shegong.kernel.data.sheets import Cell, CellError, RowRejection, cell_text, read_headed
from shegong.kernel.data.sheets.cells import EXACT_FLOAT
from shegong.kernel.data.sheets.vocabulary import (
    COMMUNITY_HEADERS,
    COUNTY_HEADERS,
    TOWNSHIP_HEADERS,
)

__all__ = [
    "REGION_FIELDS",
    "RegionLevel",
    "RegionNode",
    "RegionsParse",
    "parse_regions",
    "region_code",
    "region_name",
]

# field → accepted headers; the first is the Chinese label used in messages.
REGION_FIELDS: dict[str, tuple[str, ...]] = {
    # a place in the words every importer reads, this list's own label first
    "county": ("区县", *COUNTY_HEADERS),
    "township": ("乡镇街道", *TOWNSHIP_HEADERS),
    "community": ("社区村", *COMMUNITY_HEADERS),
    "urban_population": (
        "城镇常住人口",
        "城镇常住人口数",
        "常住人口",
        "城镇人口",
        "城镇常住人口数量",
        "常住人口数",
        "population",
    ),
}
_LABEL_ZH = {name: aliases[0] for name, aliases in REGION_FIELDS.items()}
_PATH_FIELDS = ("county", "township", "community")
_REQUIRED = ("county", "urban_population")
_MAX_NAME = 64
_MAX_POPULATION = 100_000_000
_WAN = 10_000


class RegionLevel(enum.StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    COMMUNITY = "community"

    @property
    def zh(self) -> str:
        return {"county": "区县", "township": "乡镇街道", "community": "社区村"}[self.value]


_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.COMMUNITY)


@dataclass(frozen=True, slots=True)
class RegionNode:
    """A node of the tree. ``row_number`` is the first row that named it (as itself or as
    an ancestor); ``declared`` is whether some row gave it as its deepest level."""

    code: str
    name: str
    level: RegionLevel
    parent: str | None
    urban_population: int | None
    row_number: int
    declared: bool


@dataclass(frozen=True)
class RegionsParse:
    nodes: list[RegionNode]  # parents always before their children
    rejections: list[RowRejection]
    rows_read: int
    columns: dict[str, str]  # field → the header as written in the file
    ignored_columns: tuple[str, ...]
    header_row: int

    @property
    def rejected_rows(self) -> int:
        return len({(r.sheet, r.row_number) for r in self.rejections})

    def by_code(self) -> dict[str, RegionNode]:
        return {node.code: node for node in self.nodes}


def region_name(text: str) -> str:
    """A region name as the tree keys it: NFKC, no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def region_code(*names: str | None) -> str | None:
    """The code of the path ``names`` (county, township, community; trailing ``None``s
    dropped); ``None`` if the path is empty or has a gap."""
    parts = list(names)
    while parts and not parts[-1]:
        parts.pop()
    if not parts or not all(parts):
        return None
    return "/".join(region_name(p) for p in parts if p)


# --- cells -----------------------------------------------------------

_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NOT_WHOLE = (
    "is not a non-negative whole number (e.g. 12345, 12,345 or 1.2万)",
    "不是非负整数（可写作12345、12,345或1.2万）",
)


def _population(cell: Cell, in_wan: bool) -> int | None:
    """A population cell → a non-negative int or ``None``; raises ``CellError``."""
    scale = _WAN if in_wan else 1
    if isinstance(cell, bool):
        raise CellError(*_NOT_WHOLE)
    if isinstance(cell, int):
        value = Decimal(cell) * scale
    elif isinstance(cell, float):
        if cell != cell or abs(cell) >= EXACT_FLOAT:  # NaN, or beyond exact floats
            raise CellError(*_NOT_WHOLE)
        value = Decimal(repr(cell)) * scale
    else:
        text = cell_text(cell)
        if text is None:
            return None
        text = "".join(unicodedata.normalize("NFKC", text).split())
        text = text.removesuffix("人")
        if text.endswith("万"):
            text, scale = text[:-1], _WAN
        negative = text.startswith("-")
        text = text.lstrip("+-")
        if _GROUPED.fullmatch(text):
            text = text.replace(",", "")
        if not _NUMBER.fullmatch(text):
            raise CellError(*_NOT_WHOLE)
        try:
            value = Decimal(text) * scale
        except InvalidOperation:
            raise CellError(*_NOT_WHOLE) from None
        if negative and value:
            value = -value
    if value < 0:
        raise CellError("is negative", "不能为负数")
    if value != value.to_integral_value():
        raise CellError(*_NOT_WHOLE)
    if value > _MAX_POPULATION:
        raise CellError(
            f"is more than {_MAX_POPULATION:,}; is the column in 万 (10,000s)?",
            "超过1亿，不合理；单位是否为“万人”？",
        )
    return int(value)


def _name(cell: Cell) -> str | None:
    text = cell_text(cell)
    if text is None:
        return None
    name = region_name(text)
    if len(name) > _MAX_NAME:
        raise CellError(f"is longer than {_MAX_NAME} characters", f"超过{_MAX_NAME}个字符")
    if "/" in name:
        raise CellError("must not contain “/”", "不能包含“/”")
    return name or None


# --- the file -----------------------------------------------------------


def parse_regions(data: bytes, filename: str) -> RegionsParse:
    """Parse a region file; raises ``TabularFileError`` for file-level problems."""
    sheet = read_headed(data, filename, REGION_FIELDS, marker="county", required=_REQUIRED)
    header_row, written, ignored = sheet.header_row, sheet.written, sheet.ignored
    width = sheet.width
    index = {name: sheet.columns.get(name, width) for name in REGION_FIELDS}
    nodes: dict[str, RegionNode] = {}
    population_row: dict[str, tuple[str, str]] = {}  # code → the row giving its population
    rejections: list[RowRejection] = []
    rows_read = 0
    for number, cells in sheet.rows:
        rows_read += 1
        # 城镇常住人口（万人）: each sheet's header says its unit
        notes = sheet.part.notes if sheet.part else sheet.notes
        in_wan = "万" in notes.get("urban_population", "")
        row = list(cells[:width])
        row.extend([None] * (width + 1 - len(row)))
        bad: list[RowRejection] = []

        def reject(
            field_name: str,
            reason: str,
            reason_zh: str,
            bad: list[RowRejection] = bad,
            number: int = number,
            row: list[Cell] = row,
        ) -> None:
            err = CellError(reason, reason_zh)
            bad.append(sheet.rejection(number, field_name, row[index[field_name]], err))

        names: list[str | None] = []
        for key in _PATH_FIELDS:
            try:
                names.append(_name(row[index[key]]))
            except CellError as exc:
                reject(key, exc.reason, exc.reason_zh)
                names.append("")  # present but bad: not also "missing"
        try:
            population = _population(row[index["urban_population"]], in_wan)
        except CellError as exc:
            reject("urban_population", exc.reason, exc.reason_zh)
            population = None
        deepest = max((i for i, n in enumerate(names) if n is not None), default=-1)
        if deepest < 0:
            reject(
                "county",
                "is missing; the row names no region",
                "未填写，该行没有任何区域",
            )
        for level in range(deepest):
            if names[level] is None:
                below = _PATH_FIELDS[level + 1]
                reject(
                    _PATH_FIELDS[level],
                    f"is missing but {below} is given",
                    f"未填写，但填写了{_LABEL_ZH[below]}",
                )
        if bad:
            rejections.extend(bad)
            continue

        path = [n for n in names[: deepest + 1] if n]
        code = "/".join(path)
        existing = nodes.get(code)
        if (
            existing is not None
            and population is not None
            and existing.urban_population is not None
            and existing.urban_population != population
        ):
            first, first_zh = population_row[code]
            reject(
                "urban_population",
                f"{code} already has {existing.urban_population:,} from {first}",
                f"“{code}”已在{first_zh}填写为{existing.urban_population:,}，与本行不一致",
            )
            rejections.extend(bad)
            continue

        parent: str | None = None
        for depth, name in enumerate(path):
            node_code = "/".join(path[: depth + 1])
            if node_code not in nodes:
                nodes[node_code] = RegionNode(
                    code=node_code,
                    name=name,
                    level=_LEVELS[depth],
                    parent=parent,
                    urban_population=None,
                    row_number=number,
                    declared=False,
                )
            parent = node_code
        node = nodes[code]
        if population is not None and node.urban_population is None:
            at = sheet.row_sheet
            population_row[code] = (
                (f"row {number}", f"第{number}行")
                if at is None
                else (f"row {number} of sheet {at}", f"工作表“{at}”第{number}行")
            )
            node = replace(node, urban_population=population)
        nodes[code] = replace(node, declared=True)

    return RegionsParse(
        nodes=list(nodes.values()),
        rejections=rejections,
        rows_read=rows_read,
        columns=written,
        ignored_columns=ignored,
        header_row=header_row,
    )


"""Wiring (for the lead; not built here)

Propose one event per node, ``RegionDefined(code, name, parent, level, urban_population)``,
rather than one ``RegionTreeImported`` carrying the whole file:

* the issue requires that importing the same file twice emits nothing and a changed row
  emits only what changed — a per-node event lets the handler compare each node with the
  stored one and emit only for new or different nodes (a whole-tree event cannot be
  diffed without re-reading the whole tree at every replay);
* the indicators roll up along the tree by node (``region=CODE``), and a late correction
  to one community's population is then one small event that moves its ancestors' sums;
* ``code`` is deterministic from the path, so re-imports and roster rows
  (:func:`region_code` on county/township/community) reach the same node.

A population change of an existing node could be the same event again (last one wins) or
a separate ``RegionPopulationChanged(code, urban_population, previous)``; and since urban
resident population is a yearly statistic, the command may want ``--year`` carried on the
event. Nodes are emitted in ``RegionsParse.nodes`` order (parents first). Undeclared
implied nodes (``declared=False``) must not overwrite a stored population with ``None``.
"""
