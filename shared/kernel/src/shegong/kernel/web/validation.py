"""A request the routes' models refuse: the field and the reason in English and Chinese,
never the value sent back.

FastAPI's own answer was English only and echoed every refused value (``"input"``): a
50 MB string came back whole, a body missing one field came back entire — ID numbers and
phones included — into whatever logs or shows the error. This answer keeps FastAPI's
``detail`` list (where, what kind, the message; clients and tests read it) without the
values, and adds the platform's usual ``error`` (code, field, message, message_zh) for
the first problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

# The reasons people meet most, in Chinese; others say 取值无效 and keep the English.
_ZH = {
    "missing": "必填，未提供",
    "extra_forbidden": "不是可接受的字段",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_too_short": "过短（至少 {min_length} 个字符）",
    "string_type": "应为文字",
    "enum": "不在可选值中（{expected}）",
    "literal_error": "不在可选值中（{expected}）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是/否（true/false）",
    "date_from_datetime_parsing": "日期格式不正确（应为 YYYY-MM-DD）",
    "date_parsing": "日期格式不正确（应为 YYYY-MM-DD）",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "too_long": "项数过多（最多 {max_length} 项）",
    "json_invalid": "不是有效的JSON",
    "model_attributes_type": "格式不正确",
    "dict_type": "格式不正确",
    "list_type": "应为列表",
    "no_visible_text": "不含可显示的文字（只有空白、不可见或组合字符）",
    "date_out_of_range": "日期不合理（应在 {first} 至 {last} 之间）",
}


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _zh(problem: dict[str, Any]) -> str:
    template = _ZH.get(problem.get("type", ""))
    if template is None:
        return f"取值无效（{problem.get('msg', '')}）"
    try:
        return template.format(**(problem.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("（")[0]


# How many of a body's problems the answer lists (round 12): one 1 MiB body of 90,000
# unknown fields was answered with each of them — 7 MB, 1.8 s of the service's event loop;
# six at once held the registry's /health 4.8 s. The count of the rest is in the message.
LISTED = 20


async def validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
    problems = [p for p in err.errors() if isinstance(p, dict)]
    detail = [
        {"type": p.get("type"), "loc": list(p.get("loc", ())), "msg": p.get("msg")}
        for p in problems[:LISTED]
    ]
    first = problems[0] if problems else {"loc": ("body",), "msg": "invalid request"}
    field = _field(first.get("loc", ()))
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    more_zh = f"（另有 {len(problems) - 1} 处）" if len(problems) > 1 else ""
    error = {
        "code": "invalid",
        "field": field,
        "message": f"{field}: {first.get('msg', 'invalid')}{more}",
        "message_zh": f"{field}：{_zh(first)}{more_zh}",
    }
    return JSONResponse({"detail": detail, "error": error}, status_code=422)


async def unreadable_body(request: Request, err: StarletteHTTPException) -> Response:
    """FastAPI's 400 for a JSON body ``json.loads`` could not finish for another reason
    than its syntax — nested 100,000 deep (``RecursionError``), an integer of more than
    4,300 digits (``ValueError``) — was English only ("There was an error parsing the
    body"). Now it is the platform's error in both languages; so are the framework's
    other refusals (round 9: an unknown route's ``{"detail": "Not Found"}``, a wrong
    method, a multipart body the form parser cannot read or of more than 1,000 fields),
    which name no value sent."""
    if err.status_code == 400 and err.detail == "There was an error parsing the body":
        error = {
            "code": "invalid",
            "field": "body",
            "message": "body: not JSON this service can read (nested too deep, or a number "
            "too long)",
            "message_zh": "body：无法读取的JSON（嵌套过深或数字过长）",
        }
        return JSONResponse({"error": error}, status_code=400)
    if isinstance(err.detail, dict):  # a route's own error, in the platform's form
        return await http_exception_handler(request, err)
    code, field, message, message_zh = _FRAMEWORK.get(
        err.status_code,
        ("http_error", None, "the request cannot be served", "请求无法处理"),
    )
    refused = {"code": code, "field": field, "message": message, "message_zh": message_zh}
    return JSONResponse({"error": refused}, status_code=err.status_code, headers=err.headers)


_FRAMEWORK: dict[int, tuple[str, str | None, str, str]] = {
    404: ("not_found", None, "no such route on this service", "此服务没有这个接口"),
    405: (
        "method_not_allowed",
        None,
        "this route does not take this method",
        "此接口不接受该请求方法",
    ),
    400: (
        "invalid",
        "body",
        "body: not a form this service can read (multipart without its boundary, "
        "damaged, or more than 1,000 fields or files)",
        "body：无法读取的表单（缺少分隔符、已损坏，或超过1000个字段或文件）",
    ),
}
