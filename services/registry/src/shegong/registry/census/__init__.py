"""The city census (动态专业人员数据库): one person per human across departments' rosters.

``linkage`` is the pure, incremental record-linkage engine (``comparison`` and ``model``
its Fellegi–Sunter comparisons and learned weights); ``projection`` runs it on the event
feeds; ``queries`` and ``indicators`` read the census. Multi-department rosters with known
truth, to measure it by, live in the test kit (``shegong.testkit.census_city``).
"""

from shegong.registry.census.linkage import (
    COMMON_NAMES,
    CensusConflict,
    CensusRecord,
    Decision,
    Link,
    Linker,
    Review,
    Unlink,
    compare,
    normalize_org,
    normalize_person_name,
)

__all__ = [
    "COMMON_NAMES",
    "CensusConflict",
    "CensusRecord",
    "Decision",
    "Link",
    "Linker",
    "Review",
    "Unlink",
    "compare",
    "normalize_org",
    "normalize_person_name",
]
