"""The ladder's rules file (``rules.toml``, or the operator's own through
``REGISTRY_LADDER_RULES``), read and checked before the registry starts.

Every mistake is refused with the file, the line and the reason, in English and Chinese
(``rules.toml line 12: rule 'hours_3y': hours must be a number above 0 / 第12行：…``): a
typo in a rule can never silently change who is eligible.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, get_args

from shegong.contracts.ladder import LadderStep
from shegong.contracts.registry import CertificateLevel
from shegong.contracts.training import AppraisalGrade

STEPS: tuple[str, ...] = get_args(LadderStep)


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    label_zh: str
    rules: list[dict[str, Any]]


class LadderRulesError(ValueError):
    """A rules file the ladder cannot use: where and why, in both languages."""

    def __init__(self, source: str, line: int | None, reason: str, reason_zh: str) -> None:
        self.source, self.line, self.reason, self.reason_zh = source, line, reason, reason_zh
        where = f"{source} line {line}" if line else source
        where_zh = f"第{line}行" if line else "文件"
        super().__init__(f"{where}: {reason} / {source} {where_zh}：{reason_zh}")


def _level(value: Any) -> tuple[str, str] | None:
    if value in {level.value for level in CertificateLevel}:
        return None
    allowed = ", ".join(level.value for level in CertificateLevel)
    return f"level must be one of {allowed}", f"level 应为 {allowed} 之一"


def _grade(value: Any) -> tuple[str, str] | None:
    if value in {grade.value for grade in AppraisalGrade}:
        return None
    allowed = ", ".join(grade.value for grade in AppraisalGrade)
    return f"grade must be one of {allowed}", f"grade 应为 {allowed} 之一"


def _whole(low: int) -> Callable[[str], Callable[[Any], tuple[str, str] | None]]:
    def check(name: str) -> Callable[[Any], tuple[str, str] | None]:
        def valid(value: Any) -> tuple[str, str] | None:
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= low <= value <= 60:
                return None
            return (
                f"{name} must be a whole number from {low} to 60",
                f"{name} 应为{low}到60之间的整数",
            )

        return valid

    return check


def _positive(name: str) -> Callable[[Any], tuple[str, str] | None]:
    def valid(value: Any) -> tuple[str, str] | None:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 10000:
            return None
        return f"{name} must be a number above 0", f"{name} 应为大于0的数"

    return valid


# Each kind's parameters: name -> (required, check).
KINDS: dict[str, dict[str, tuple[bool, Callable[[Any], tuple[str, str] | None]]]] = {
    "certificate_held": {"level": (True, _level), "years": (False, _whole(0)("years"))},
    "certificate_not_held": {"level": (True, _level)},
    "training_hours": {"hours": (True, _positive("hours")), "years": (False, _whole(1)("years"))},
    "appraisal_at_least": {"grade": (True, _grade), "periods": (False, _whole(1)("periods"))},
    "in_service": {"years": (True, _whole(0)("years"))},
}
_COMMON = ("key", "kind", "label", "label_zh")


def default_rules() -> str:
    return files(__package__).joinpath("rules.toml").read_text("utf-8")


def load_ladder(text: str | None = None, source: str = "rules.toml") -> list[Step]:
    """The steps of ``text`` (default: the shipped ``rules.toml``); a mistake raises
    :class:`LadderRulesError` naming the line."""
    text = default_rules() if text is None else text
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"line (\d+)", str(err))
        raise LadderRulesError(
            source,
            int(found.group(1)) if found else None,
            f"not valid TOML: {err}",
            f"不是有效的TOML格式：{err}",
        ) from None
    lines = _Lines(text, source)
    steps = config.get("steps")
    if not isinstance(steps, dict) or not steps:
        raise lines.error(None, "no [steps.…] table: the file defines no step", "未定义任何步骤")
    loaded = []
    for key, step in steps.items():
        header = lines.find(rf"\[\s*steps\.{re.escape(key)}\s*\]") or lines.find(
            rf"steps\.{re.escape(key)}\b"
        )
        if key not in STEPS:
            raise lines.error(
                header,
                f"unknown step {key!r}: the steps are {', '.join(STEPS)}",
                f"未知步骤 {key!r}，可用步骤：{', '.join(STEPS)}",
            )
        for name in ("label", "label_zh"):
            if not isinstance(step.get(name), str) or not step[name].strip():
                raise lines.error(header, f"step {key!r}: {name} is missing", f"步骤缺少 {name}")
        rules = step.get("rules")
        if not isinstance(rules, list) or not rules:
            raise lines.error(header, f"step {key!r} has no rules", f"步骤 {key!r} 没有任何规则")
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            _check_rule(lines, key, index, rule, seen)
        loaded.append(Step(key, step["label"], step["label_zh"], [dict(r) for r in rules]))
    return loaded


def load_ladder_file(path: str | Path | None) -> list[Step]:
    """The operator's rules file, or the shipped one when ``path`` is empty."""
    if not path:
        return load_ladder()
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LadderRulesError(
            str(file), None, f"cannot read the file: {err}", f"无法读取文件：{err}"
        ) from None
    return load_ladder(text, str(file))


def _check_rule(lines: _Lines, step: str, index: int, rule: Any, seen: set[str]) -> None:
    start = lines.rule_line(step, index)
    name = rule.get("key") if isinstance(rule, dict) else None
    label = f"rule {name!r}" if name else f"rule {index + 1} of step {step!r}"
    label_zh = f"规则 {name!r}" if name else f"步骤 {step!r} 的第{index + 1}条规则"
    for field in _COMMON:
        if not isinstance(rule.get(field), str) or not rule[field].strip():
            raise lines.error(start, f"{label}: {field} is missing", f"{label_zh}缺少 {field}")
    if name in seen:
        raise lines.error(
            lines.field_line(start, "key"),
            f"{label} is defined twice in step {step!r}",
            f"{label_zh}在步骤 {step!r} 中重复定义",
        )
    seen.add(str(name))
    kind = rule["kind"]
    params = KINDS.get(kind)
    if params is None:
        raise lines.error(
            lines.field_line(start, "kind"),
            f"{label}: unknown kind {kind!r}; the kinds are {', '.join(KINDS)}",
            f"{label_zh}：未知类型 {kind!r}，可用类型：{', '.join(KINDS)}",
        )
    for field in rule:
        if field not in _COMMON and field not in params:
            raise lines.error(
                lines.field_line(start, field),
                f"{label}: {kind} takes no {field!r} (it takes {', '.join(params)})",
                f"{label_zh}：{kind} 没有参数 {field!r}（可用：{', '.join(params)}）",
            )
    for field, (required, check) in params.items():
        if field not in rule:
            if required:
                raise lines.error(
                    start, f"{label}: {field} is missing", f"{label_zh}缺少参数 {field}"
                )
            continue
        wrong = check(rule[field])
        if wrong:
            raise lines.error(
                lines.field_line(start, field), f"{label}: {wrong[0]}", f"{label_zh}：{wrong[1]}"
            )


class _Lines:
    """Finds where something is written in the file (TOML parsers keep no positions)."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def error(self, line: int | None, reason: str, reason_zh: str) -> LadderRulesError:
        return LadderRulesError(self.source, line, reason, reason_zh)

    def find(self, pattern: str, start: int = 0) -> int | None:
        for number, line in enumerate(self.lines[start:], start + 1):
            if re.match(rf"\s*{pattern}", line):
                return number
        return None

    def rule_line(self, step: str, index: int) -> int | None:
        header = rf"\[\[\s*steps\.{re.escape(step)}\.rules\s*\]\]"
        found = [n for n, line in enumerate(self.lines, 1) if re.match(rf"\s*{header}", line)]
        return found[index] if index < len(found) else None

    def field_line(self, start: int | None, field: str) -> int | None:
        if start is None:
            return None
        for number, line in enumerate(self.lines[start:], start + 1):
            if re.match(r"\s*\[", line):
                break
            if re.match(rf"\s*{re.escape(field)}\s*=", line):
                return number
        return start
