"""The columns a sign-in sheet (签到表) and a national exam result list (考试成绩) are read
by: each field's headers as offices, punch-in apps (钉钉, 企业微信), meeting apps (腾讯会议)
and questionnaires (问卷星) write them — the first being the Chinese label messages use."""

from __future__ import annotations

from shegong.kernel.data.sheets.vocabulary import (
    CERTIFICATE_LEVEL_HEADERS,
    CERTIFICATE_NO_HEADERS,
    CERTIFIED_ON_HEADERS,
    ID_NUMBER_HEADERS,
    MOBILE_HEADERS,
    NAME_HEADERS,
)

# The person's columns in the words every importer reads (学员姓名 and 考生姓名 too, by the
# name's last resort), a trainee's or candidate's own words, then each sheet's own.
_PERSON = {
    "name": (*NAME_HEADERS, "学员", "考生", "参训人员", "参训学员", "培训人员", "报名人员"),
    "id_number": ID_NUMBER_HEADERS,
    "phone": MOBILE_HEADERS,
}
SIGNIN_COLUMNS = {
    **_PERSON,
    # a day in two halves: the morning's sign-in, else the afternoon's (coalesced)
    "signed_at": (
        "签到时间",
        "签到",
        "到场时间",
        "上午签到",
        "上午签到时间",
        "签到(上午)",
        "下午签到",
        "下午签到时间",
        "签到(下午)",
        # a QR-code sign-in's form (问卷星, 腾讯问卷) or a punch-in app
        "提交答卷时间",
        "提交时间",
        "结束答题时间",
        "答题时间",
        "填写时间",
        "扫码时间",
        "打卡时间",
        # an online meeting's participant list (腾讯会议, 钉钉会议): when they joined
        "入会时间",
        "首次入会时间",
        "加入时间",
        # a punch-in app's day report (企业微信: 最早打卡 | 最晚打卡)
        "最早打卡",
        "最早打卡时间",
        "上班打卡时间",
        "时间",
        "signed_at",
    ),
    # a sign-out (签退) or a meeting's 退会时间: attendance when the sign-in box is blank
    "signed_out": (
        "签退时间",
        "签退",
        "下午签退",
        "离开时间",
        "退会时间",
        "最后退会时间",
        "离会时间",
        "最后离会时间",
        "最晚打卡",
        "最晚打卡时间",
        "下班打卡时间",
        "signed_out",
    ),
    # a meeting's nickname (张伟-东关社区), read for a row whose name is blank or absent
    "nickname": (
        "用户昵称",
        "入会昵称",
        "昵称",
        "参会昵称",
        "会议昵称",
        "参会者昵称",
        "成员昵称",
        "微信昵称",
        "参会者",
        "参会人",
        "参会人员",
        "nickname",
    ),
    # a continuing-education record's 学时: the hours completed (结业) in the session
    "hours": ("学时", "培训学时", "获得学时", "认定学时", "学时数", "完成学时", "hours"),
    # 备注: 请假 or 缺席 beside blank boxes is an absence
    "remark": ("备注", "说明", "情况说明", "备注说明", "缺勤原因", "请假原因", "remark"),
    # the day, when a column of its own holds it (签到日期 | 签到时间 side by side)
    "signed_on": ("签到日期", "培训日期", "日期", "上课日期", "参训日期", "signed_on"),
    # what a punch-in app says of the day (钉钉: 打卡结果 正常 / 迟到 / 缺卡), beside the time
    "status": (
        "打卡结果",
        "签到状态",
        "签到结果",
        "出勤情况",
        "出勤状态",
        "考勤结果",
        "打卡状态",
        "校准状态",
        "考勤状态",
        "出勤结果",
        "签到情况",
        # a sheet's yes/no column: 是否参加 是 | 否
        "是否参加",
        "是否参训",
        "是否出席",
        "是否到场",
        "是否到会",
        "参训情况",
        "参加情况",
        "出席情况",
        "到会情况",
        "status",
    ),
    # the unit, which tells namesakes apart on a sheet without ID numbers or phones
    "organization": (
        "工作单位",
        "单位",
        "所在单位",
        "单位名称",
        "工作单位名称",
        "服务单位",
        "所在机构",
        "机构名称",
        "机构",
        "部门",
        "所在部门",
        "organization",
    ),
}

EXAM_COLUMNS = {
    **_PERSON,
    "exam_year": ("考试年度", "年度", "考试年份", "考试年", "exam_year", "year"),
    "level": (
        "级别",
        "考试级别",
        "报考级别",
        "报考等级",
        "考试等级",
        "等级",
        *CERTIFICATE_LEVEL_HEADERS,
        "level",
    ),
    "passed": (
        "是否通过",
        "通过",
        "考试结果",
        "结果",
        "是否合格",
        "合格与否",
        "是否合格(通过)",
        "合格标志",
        "考试结论",
        "成绩是否合格",
        "passed",
    ),
    "certificate_no": (*CERTIFICATE_NO_HEADERS, "certificate_no"),
    "certified_on": (*CERTIFIED_ON_HEADERS, "certified_on"),
    # a list of one row per subject (社会工作综合能力 | 社会工作实务): one exam, passed when
    # every subject of it is
    "subject": ("科目", "科目名称", "考试科目", "报考科目", "subject"),
    # a subject's score — or, a list of one column per subject, each subject's: 缺考 in
    # any of them, with 是否通过 blank, is no pass
    "score": (
        "成绩",
        "考试成绩",
        "科目成绩",
        "分数",
        "得分",
        "总成绩",
        "社会工作综合能力",
        "综合能力",
        "社会工作实务",
        "实务",
        "社会工作法规与政策",
        "法规与政策",
        "score",
    ),
}
