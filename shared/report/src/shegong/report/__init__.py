"""The annual workforce and services report (年度社会工作人才队伍建设与服务情况报告).

``figures`` asks the services' HTTP APIs; ``text`` writes the sentences; ``charts``,
``document`` (DOCX), ``tables`` (the province's XLSX) and ``pdf`` (LibreOffice) render;
``publish`` freezes a report and tells what changed since; ``cli`` is
``shegong report annual``.
"""
