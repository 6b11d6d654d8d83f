"""The registry's public events (人员库): stream ``registry.events``.

Personal data never travels here (ARCHITECTURE rule 7): an ID number or phone is a
keyed hash for linkage plus a masked form for display, e.g. ``620102********123X``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shegong.contracts.access import ACCESS_EVENTS, key_id_field, key_unknown
from shegong.contracts.events import Event, Labelled, StreamContract, Upcaster
from shegong.contracts.ladder import (
    ExpertPoolAdmitted,
    ExpertPoolLeft,
    LadderEligibilityChanged,
)
from shegong.contracts.registry_census import (
    CensusModelAdopted,
    CensusPairDecided,
    CensusTrainingRequested,
    PairQueuedForReview,
    RecordsLinked,
    RecordsUnlinked,
)
from shegong.contracts.registry_census import census_record_key as census_record_key


class Gender(Labelled):
    MALE = "male"
    FEMALE = "female"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {"male": "男", "female": "女"}


class Post(Labelled):
    """Post category (岗位类别)."""

    SOCIAL_WORK_POST = "social_work_post"
    COMMUNITY_WORKER = "community_worker"
    OTHER = "other"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "social_work_post": "社会工作岗位",
            "community_worker": "社区工作者",
            "other": "其他",
        }


class OrgType(Labelled):
    """Organisation type (单位类型)."""

    SOCIAL_WORK_ORG = "social_work_org"
    COMMUNITY = "community"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    SOCIAL_WORK_STATION = "social_work_station"
    OTHER = "other"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "social_work_org": "社会工作服务机构",
            "community": "社区",
            "school": "学校",
            "hospital": "医院",
            "social_work_station": "社工站",
            "other": "其他",
        }


class CertificateLevel(Labelled):
    """National social-work qualification (职业资格), the first rungs of the ladder (三级进阶)."""

    ASSISTANT = "assistant"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "assistant": "助理社会工作师",
            "intermediate": "社会工作师",
            "senior": "高级社会工作师",
        }

    @property
    def rank(self) -> int:
        return list(CertificateLevel).index(self) + 1


class Region(BaseModel):
    """Where a record sits in the region tree (区县 / 乡镇街道 / 社区村)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    county: str | None = Field(default=None, max_length=64, description="区县")
    township: str | None = Field(default=None, max_length=64, description="乡镇街道")
    community: str | None = Field(default=None, max_length=64, description="社区村")


IdHash = Annotated[str, Field(min_length=16, max_length=64, description="keyed hash (HMAC)")]
Masked = Annotated[str, Field(max_length=32, description="masked for display")]


def mask_id_display(masked: str) -> str:
    """An ID number's display form shows its first and last character only
    (``6****************X``): the birth date is published beside it, and a number whose
    region, birth date and last four are known is known whole. Events recorded with the
    older, wider mask (``620102********123X``) are narrowed as they are read, and so is a
    mistyped number's (not 18 characters), to its first character."""
    if len(masked) == 18:
        return masked[0] + "*" * 16 + masked[17]
    if "*" in masked:  # a mistyped number's: its last character may be an order digit
        return masked[:1] + "*" * (len(masked) - 1)
    return masked


MaskedId = Annotated[
    str,
    AfterValidator(mask_id_display),
    Field(max_length=32, description="masked for display: first and last character only"),
]


def _no_other_phones(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 carried one phone a record and no former name."""
    return {**data, "other_phones_hash": None, "former_name": None}


# The other numbers a phone cell held (a second mobile, the office's landline): digests only.
OtherPhonesHash = Annotated[
    str | None,
    Field(
        default=None,
        max_length=200,
        description="Keyed digests of the other numbers the roster's phone cell held beside "
        "the one kept (a second mobile, a landline), each prefixed m (mobile) or l "
        "(landline), '.'-separated: not contacts, evidence that two records are one person; "
        "'' in an update: the cell holds no other number now",
    ),
]


def _no_id_swaps(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 carried no digests of an ID number's neighbours swapped."""
    return {**data, "id_number_swaps_hash": None}


def _no_document(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 kept another document's number (a passport's, a 回乡证's) as its mask only."""
    return {**data, "document_type": None, "document_hash": None}


def _no_age(data: dict[str, Any]) -> dict[str, Any]:
    """Version 4 dropped a roster's 年龄 (an age, where no birth date was given): version 5
    keeps the import's year minus it, a birth year ±1 (the list may be a year old, the
    birthday not yet come), never a birth date."""
    return {**data, "birth_year_by_age": None}


class DocumentType(Labelled):
    """The document a 证件号码 is of when it is no resident ID (其他证件类型)."""

    HKMO_PERMIT = "hkmo_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    FOREIGN_PERMANENT = "foreign_permanent"
    PASSPORT = "passport"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "hkmo_permit": "港澳居民来往内地通行证",
            "taiwan_permit": "台湾居民来往大陆通行证",
            "foreign_permanent": "外国人永久居留身份证",
            "passport": "护照",
        }


class WorkerRegistered(Event):
    """A department registered a worker (社会工作人才) on its roster.

    Version 2 adds ``other_phones_hash`` and ``former_name`` (None in version 1); version
    3 adds ``id_number_swaps_hash`` (None in version 2); version 4 ``document_type`` and
    ``document_hash`` (None in version 3); version 5 ``birth_year_by_age`` (None in 4)."""

    schema_version: ClassVar[int] = 5
    upcasters: ClassVar[dict[int, Upcaster]] = {
        1: _no_other_phones,
        2: _no_id_swaps,
        3: _no_document,
        4: _no_age,
    }
    aggregate_type = "worker"
    type: Literal["WorkerRegistered"] = "WorkerRegistered"
    worker_id: str
    department: str
    record_id: str | None = Field(default=None, description="The department's own key")
    name: str
    former_name: str | None = Field(
        default=None,
        max_length=64,
        description="曾用名: a name the roster says they had (else its Latin spelling, 英文姓名)",
    )
    gender: Gender | None = None
    birth_date: date | None = None
    id_number_hash: IdHash | None = None
    id_number_masked: MaskedId | None = None
    id_number_parts: str | None = Field(
        default=None,
        max_length=64,
        description="Keyed digests of the number's region, birth date, order and check "
        "character ('r.b.o.c'), valid or not: a mistyped number shares three with the "
        "right one, so the census can link it without seeing either; a part the number "
        "does not show is empty (a published mask; one Excel stored as a number, cut to "
        "15 digits, shows region and birth date: 'r.b..')",
    )
    id_number_swaps_hash: str | None = Field(
        default=None,
        max_length=64,
        description="Keyed digests of the number with the two characters at each border "
        "of its parts (region|birth date, birth date|order, order|check) put in order "
        "('a.b.c'), digits only: two neighbours swapped across a border share that "
        "border's digest with the right number, so the census tells the slip from "
        "another person without seeing either",
    )
    phone_hash: IdHash | None = None
    phone_masked: Masked | None = None
    phone_parts: str | None = Field(
        default=None,
        max_length=64,
        description="Keyed digests of the phone with each of four blocks of its digits "
        "hidden ('a.b.c.d'): a number with one digit mistyped shares one with the right "
        "one, so the census can link it without seeing either",
    )
    other_phones_hash: OtherPhonesHash = None
    organization: str | None = None
    org_type: OrgType | None = None
    post: Post = Post.OTHER
    region: Region = Region()
    hired_on: date | None = None
    channel: str | None = Field(default=None, description="Recruitment channel (招聘渠道)")
    document_type: DocumentType | None = Field(
        default=None,
        description="证件类型 of a 证件号码 that is no resident ID number (its mask is "
        "id_number_masked)",
    )
    document_hash: IdHash | None = Field(
        default=None,
        description="Keyed digest of that document's number in its normal form (a "
        "permit's renewal count left off): the same passport or permit on two lists "
        "links them; never the number",
    )
    birth_year_by_age: int | None = Field(
        default=None, ge=1880, le=2100, description="年龄: the import's year minus it, a year ±1"
    )


class WorkerProfileUpdated(Event):
    """Some profile fields changed; only the changed ones are present (others null).

    Version 2 adds ``other_phones_hash`` and ``former_name`` (None in version 1)."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _no_other_phones}
    aggregate_type = "worker"
    type: Literal["WorkerProfileUpdated"] = "WorkerProfileUpdated"
    worker_id: str
    changed: list[str] = Field(description="Names of the fields that changed")
    name: str | None = None
    former_name: str | None = Field(default=None, max_length=64)
    phone_hash: IdHash | None = None
    phone_masked: Masked | None = None
    phone_parts: str | None = Field(default=None, max_length=64)
    other_phones_hash: OtherPhonesHash = None
    organization: str | None = None
    org_type: OrgType | None = None
    post: Post | None = None
    region: Region | None = None
    hired_on: date | None = None
    channel: str | None = None


class WorkerCertified(Event):
    """A worker holds a qualification certificate (取证)."""

    aggregate_type = "worker"
    type: Literal["WorkerCertified"] = "WorkerCertified"
    worker_id: str
    level: CertificateLevel
    certificate_no: str | None = None
    certified_on: date


class WorkerLeft(Event):
    """A worker left the organisation (离职); certificates stay theirs."""

    aggregate_type = "worker"
    type: Literal["WorkerLeft"] = "WorkerLeft"
    worker_id: str
    left_on: date
    reason: str | None = None


class DepartmentRegistered(Event):
    """A department (部门: 民政, 人社, 团委 …) joined the platform under a short code."""

    aggregate_type = "department"
    type: Literal["DepartmentRegistered"] = "DepartmentRegistered"
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: str = Field(min_length=1, max_length=64)


class RegionDefined(Event):
    """A node of the region tree (区县 / 乡镇街道 / 社区村) as defined now, with its urban
    resident population (城镇常住人口) when known. A later definition replaces it."""

    aggregate_type = "region"
    type: Literal["RegionDefined"] = "RegionDefined"
    code: str = Field(max_length=200, description="Path, e.g. 安定区/永定路街道/东关社区")
    name: str = Field(max_length=64)
    level: Literal["county", "township", "community"]
    parent: str | None = None
    urban_population: int | None = Field(default=None, ge=0)


# ----------------------------------------------------------------------- the city census
# Records are named "department:record_id" (the department's own key; the worker id when
# the department gave none). Evidence says, per field, "agree" / "disagree" / "missing"
# (plus rule details); it never holds personal data.


class ExpertAdmitted(Event):
    """A person was admitted to the city expert pool (专家库) on a date; admission needs
    社会工作师 (intermediate) or above held on that date."""

    aggregate_type = "expert"
    type: Literal["ExpertAdmitted"] = "ExpertAdmitted"
    id_number_hash: IdHash
    id_number_masked: MaskedId
    name: str
    admitted_on: date
    level: CertificateLevel = Field(description="Highest certificate on the admission date")


class PersonalDataViewed(Event):
    """Someone saw a worker's personal data in full (个人信息查看留痕): who, in which role,
    which fields. The values themselves never travel (rule 7).

    Version 2 names the key by its id too (round 13; version 1: ``None``)."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: key_unknown}

    aggregate_type = "personal-data-access"
    audit = True
    type: Literal["PersonalDataViewed"] = "PersonalDataViewed"
    worker_id: str
    department: str = Field(description="The department whose record was viewed")
    viewer: str = Field(description="The API key's name (and the person it named)")
    viewer_key_id: str | None = key_id_field()
    viewer_role: str
    viewer_department: str | None = None
    fields: list[str] = Field(description="Which fields were shown: id_number, phone")


REGISTRY_STREAM = StreamContract(
    name="registry.events",
    service="registry",
    description="Departments, regions, workers, certificates and departures recorded by "
    "every registry node; the city census's links, reviews and clerks' decisions; the "
    "expert pool; every full view of a worker's personal data.",
    events=(
        WorkerRegistered,
        WorkerProfileUpdated,
        WorkerCertified,
        WorkerLeft,
        DepartmentRegistered,
        RegionDefined,
        RecordsLinked,
        RecordsUnlinked,
        PairQueuedForReview,
        CensusModelAdopted,
        CensusTrainingRequested,
        CensusPairDecided,
        ExpertAdmitted,
        PersonalDataViewed,
        LadderEligibilityChanged,
        ExpertPoolAdmitted,
        ExpertPoolLeft,
        *ACCESS_EVENTS,
    ),
)
