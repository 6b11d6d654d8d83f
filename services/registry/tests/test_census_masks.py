"""The census's answers show an ID number's mask in the display's form, whatever form
its read model holds (rows stored before a mask was narrowed are not rewritten)."""

from __future__ import annotations

from shegong.registry.api.census_models import PersonSummary, RecordDetail, ReviewSide


def test_a_read_models_older_mask_is_narrowed_in_every_census_answer() -> None:
    """A record stored with a mistyped number's old mask (``6***************2``: its last
    character, an order digit of the right number) was shown as stored on
    ``/census/persons``, a person's page and the review queue."""
    old, wide = "6***************2", "621102********1287"
    assert RecordDetail(key="a", certificates=[], id_masked=old).id_masked == "6****************"
    assert RecordDetail(key="a", certificates=[], id_masked=wide).id_masked == "6****************7"
    assert ReviewSide(key="a", id_masked=old).id_masked == "6****************"
    fields = dict.fromkeys(PersonSummary.model_fields, None)
    fields.update(person_id="p", active=True, departments=[], records=[], id_masked=old)
    assert PersonSummary.model_validate(fields).id_masked == "6****************"
