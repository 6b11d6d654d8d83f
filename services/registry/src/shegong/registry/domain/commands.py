"""Commands as they arrive at the edge: typed, validated, with the field at fault named."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shegong.contracts.registry import CertificateLevel, Gender, OrgType, Post, Region
from shegong.kernel.data.days import Day
from shegong.kernel.data.visible import VisibleText
from shegong.kernel.web.api_keys import DepartmentCode


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterWorker(_Command):
    """Register a worker on a department's roster (登记)."""

    department: DepartmentCode | None = Field(
        default=None, max_length=64, description="Department code; default: this node's"
    )
    record_id: str | None = Field(default=None, max_length=64)
    name: VisibleText = Field(min_length=1, max_length=64, description="姓名")
    id_number: str | None = Field(default=None, max_length=40, description="身份证号")
    gender: Gender | None = Field(default=None, description="性别: male/female or 男/女")
    birth_date: Day | None = None
    phone: str | None = Field(default=None, max_length=40, description="手机号")
    organization: VisibleText | None = Field(default=None, max_length=128, description="工作单位")
    org_type: OrgType | None = Field(default=None, description="单位类型")
    post: Post = Field(default=Post.OTHER, description="岗位类别")
    region: Region = Region()
    hired_on: Day | None = Field(default=None, description="入职日期")
    channel: VisibleText | None = Field(default=None, max_length=64, description="招聘渠道")


class UpdateProfile(_Command):
    """Change profile fields; omitted fields stay as they are."""

    name: VisibleText | None = Field(default=None, min_length=1, max_length=64)
    phone: str | None = Field(default=None, max_length=40)
    organization: VisibleText | None = Field(default=None, max_length=128)
    org_type: OrgType | None = None
    post: Post | None = None
    region: Region | None = None
    hired_on: Day | None = None
    channel: VisibleText | None = Field(default=None, max_length=64)


class RecordCertificate(_Command):
    """Record a qualification certificate (取证)."""

    level: CertificateLevel = Field(description="assistant/intermediate/senior or 助理社会工作师…")
    certified_on: Day
    certificate_no: VisibleText | None = Field(default=None, max_length=64, description="证书编号")


class RecordDeparture(_Command):
    """Record that a worker left (离职)."""

    left_on: Day
    reason: VisibleText | None = Field(default=None, max_length=200)
