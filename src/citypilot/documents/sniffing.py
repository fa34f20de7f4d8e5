"""Tell a file's type from its bytes. The client's file name and Content-Type are never trusted."""

from __future__ import annotations

import zipfile
from typing import IO

import filetype

from .choices import FileType

_BY_FILETYPE = {
    "application/pdf": FileType.PDF,
    "image/jpeg": FileType.JPEG,
    "image/png": FileType.PNG,
}


def _zip_members(stream: IO[bytes]) -> set[str]:
    try:
        with zipfile.ZipFile(stream) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()


def sniff(stream: IO[bytes]) -> FileType | None:
    """The type of the file behind ``stream`` (left at position 0), or None when unrecognised."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04"):
        # Office Open XML and OFD (GB/T 33190) are ZIP containers: look at what is inside.
        members = _zip_members(stream)
        stream.seek(0)
        if "word/document.xml" in members:
            return FileType.DOCX
        if "xl/workbook.xml" in members:
            return FileType.XLSX
        if "OFD.xml" in members:
            return FileType.OFD
        return None
    kind = filetype.guess(head)
    return _BY_FILETYPE.get(kind.mime) if kind is not None else None
