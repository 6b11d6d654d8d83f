"""The characters no text the platform keeps may hold: C0 controls but tab, line feed and
carriage return; DEL and the C1 controls; the bidi embeddings, overrides and isolates.

A NUL cannot be stored in a PostgreSQL text column (an accepted row then never reached
a read model), and an override (U+202E) makes 王abc五 show as 王cba五. The API refuses
them (``web/text_guard.py``), the sheet reader drops them from every cell
(``tabular.py``), names lose them (``names.normalize_name``)."""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
