"""PDF through a real renderer: LibreOffice (``soffice --headless --convert-to pdf``) turns
the .docx into PDF. Without LibreOffice there is no PDF — the caller is told how to get it
(Debian: ``apt-get install libreoffice-writer-nogui``), never handed a hand-made one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PdfUnavailable", "docx_to_pdf", "soffice"]

INSTALL_HINT = (
    "PDF needs LibreOffice: apt-get install libreoffice-writer-nogui "
    "(or write --format docx and print it from Word or WPS)"
)


class PdfUnavailable(RuntimeError):
    """No renderer on this machine, or it failed."""


def soffice() -> str | None:
    """The LibreOffice executable, if installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def docx_to_pdf(docx: bytes, timeout: float = 180) -> bytes:
    exe = soffice()
    if exe is None:
        raise PdfUnavailable(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="shegong-pdf-") as tmp:
        src = Path(tmp) / "report.docx"
        src.write_bytes(docx)
        # Its own profile: a user's running LibreOffice (or another conversion) never blocks it.
        profile = Path(tmp, "profile").as_uri()
        env = {**os.environ, "HOME": tmp}
        try:
            done = subprocess.run(
                [
                    exe,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(src),
                ],
                capture_output=True,
                timeout=timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise PdfUnavailable(f"LibreOffice did not finish in {timeout:.0f}s") from err
        out = Path(tmp) / "report.pdf"
        if done.returncode != 0 or not out.exists():
            msg = (done.stderr or done.stdout).decode(errors="replace").strip()[:500]
            raise PdfUnavailable(f"LibreOffice could not convert the report: {msg}")
        return out.read_bytes()
