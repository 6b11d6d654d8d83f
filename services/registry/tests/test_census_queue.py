"""What goes to a clerk and what does not: pairs a clerk would not be asked about because
the rows themselves answer (two rows of one roster under two names)."""

from __future__ import annotations


def test_a_published_mask_meets_the_full_number_in_the_engine_path() -> None:
    """The bench's engine path (``to_census_record``) sees a volunteer platform's masked
    mobile as the service does: its shown digits beside the full number's are the level
    ``mask`` — it dropped them, so the engine queued pairs the service linked."""
    from shegong.registry.census.comparison import LEVELS, Features, compare_levels
    from shegong.testkit.census_city import RosterRow
    from shegong.testkit.census_records import to_census_record

    from .test_linkage import HASHER

    def row(key: str, phone: str) -> RosterRow:
        return RosterRow(
            department=key,
            record_id="1",
            name="李海",
            id_number=None,
            gender="女",
            birth_date=None,
            phone=phone,
            organization=None,
            county="格桑县",
            township="加吾乡",
            community="曲玛村",
        )

    full = Features(to_census_record(row("civil-affairs", "13831909406"), HASHER))
    for shown, level in (("138****9406", "mask"), ("138****9407", "else")):
        masked = Features(to_census_record(row("volunteer", shown), HASHER))
        assert LEVELS["phone"][compare_levels(full, masked)[4]] == level
