"""The person's columns on a sign-in sheet and an exam list: the name, the ID number (or
its last four or six characters, 身份证后六位, which tell namesakes apart) and the phone."""

from __future__ import annotations

from shegong.kernel.data.sheets.vocabulary import ID_NUMBER_HEADERS, MOBILE_HEADERS, NAME_HEADERS

# The person's columns in the words every importer reads (学员姓名 and 考生姓名 too, by the
# name's last resort), a trainee's or candidate's own words, then each sheet's own.
PERSON = {
    "name": (
        *NAME_HEADERS,
        "学员",
        "考生",
        "参训人员",
        "参训学员",
        "培训人员",
        "报名人员",
        # a trainee's or candidate's own words in English (Full Name: the shared vocabulary)
        "trainee",
        "trainee name",
        "candidate",
        "candidate name",
        "student name",
    ),
    # ID No., Mobile …: the shared vocabulary; a bare "ID" on a sign-in sheet or an exam
    # list is the person's (a roster's may be its own record number)
    "id_number": (*ID_NUMBER_HEADERS, "id"),
    "phone": MOBILE_HEADERS,
    # the ID number's last four or six characters (身份证后六位): namesakes told apart
    "id_tail": (
        "身份证后六位",
        "身份证后6位",
        "身份证号后六位",
        "身份证号后6位",
        "身份证号码后六位",
        "身份证号码后6位",
        "证件号后六位",
        "证件号码后六位",
        "证件号码后6位",
        "身份证后四位",
        "身份证后4位",
        "身份证号后四位",
        "身份证号后4位",
        "身份证号码后四位",
        "身份证号码后4位",
        "证件号后四位",
        "证件号码后四位",
        "证件号码后4位",
        "身份证尾号",
        "身份证号尾号",
        "id last 6",
        "id last 4",
        "last 6 of id",
        "last 4 of id",
        "last six of id",
        "last four of id",
        "id_tail",
    ),
}
