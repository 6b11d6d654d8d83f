"""The city census (动态专业人员数据库): one person per human across departments' rosters.

``linkage`` is the pure, incremental record-linkage engine; ``synthetic`` generates
multi-department rosters with known truth to measure it by.
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
