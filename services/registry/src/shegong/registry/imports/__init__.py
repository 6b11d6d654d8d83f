"""Imports of department files into the registry: rosters (花名册) first."""

from shegong.registry.imports.roster import (
    RosterParse,
    RosterReader,
    RosterRow,
    RowRejection,
    iter_roster,
    parse_roster,
)

__all__ = [
    "RosterParse",
    "RosterReader",
    "RosterRow",
    "RowRejection",
    "iter_roster",
    "parse_roster",
]
