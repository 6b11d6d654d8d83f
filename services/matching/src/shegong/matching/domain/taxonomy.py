"""The service taxonomy's rules (服务类型): what each type asks of a provider.

Children's and psychological services are never given to an unsupervised volunteer;
some types need a minimum qualification certificate or a skill learned in training.
"""

from __future__ import annotations

from dataclasses import dataclass

from shegong.contracts.matching import ServiceType
from shegong.contracts.registry import CertificateLevel
from shegong.contracts.training import TargetGroup


@dataclass(frozen=True)
class ServiceRule:
    required_skills: frozenset[str] = frozenset()
    min_certificate: CertificateLevel | None = None
    sensitive: bool = False  # volunteers must be supervised

    def to_dict(self, service_type: ServiceType) -> dict[str, object]:
        return {
            "code": service_type.value,
            "label_zh": service_type.zh,
            "required_skills": sorted(self.required_skills),
            "min_certificate": self.min_certificate.value if self.min_certificate else None,
            "supervision_required": self.sensitive,
        }


RULES: dict[ServiceType, ServiceRule] = {
    ServiceType.HEALTH_MANAGEMENT: ServiceRule(),
    ServiceType.MEAL_HELP: ServiceRule(),
    ServiceType.AFTER_SCHOOL_CARE: ServiceRule(sensitive=True),
    ServiceType.PARENT_CHILD: ServiceRule(sensitive=True),
    ServiceType.HOME_VISIT: ServiceRule(),
    ServiceType.PSYCHOLOGICAL_SUPPORT: ServiceRule(
        min_certificate=CertificateLevel.ASSISTANT, sensitive=True
    ),
    ServiceType.BENEFITS_HELP: ServiceRule(),
    ServiceType.REHABILITATION: ServiceRule(required_skills=frozenset({"rehabilitation"})),
}


def rule_for(service_type: ServiceType) -> ServiceRule:
    return RULES[service_type]


def needs_supervision(service_type: ServiceType, target_group: TargetGroup) -> bool:
    return rule_for(service_type).sensitive or target_group == TargetGroup.CHILDREN


def skill_code(skill: str) -> str:
    """A skill as training or a volunteer writes it (心理支持, Psychological_Support) → a code."""
    text = skill.strip()
    try:
        return ServiceType.parse(text).value
    except ValueError:
        return text.lower()


def relevant_skills(service_type: ServiceType) -> frozenset[str]:
    """Skills whose recent training counts for this type."""
    return frozenset({service_type.value}) | rule_for(service_type).required_skills
