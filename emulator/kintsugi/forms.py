"""Reading a Kintsugi form body: its text fields and its ``file`` part.

Recordings may be 128 MB: a form's file part goes to a temporary file once it passes
1 MiB (Starlette's spooling; the body budget charges such a request 1 MiB,
``core.limits.spool``) and is read back through a memory map, not into one bytes
object (``screening`` reads one spooled recording at a time).
"""

from __future__ import annotations

import mmap

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from emulator.core import limits

Audio = bytes | memoryview


async def read_form(request: Request, cap: int) -> tuple[dict[str, str], Audio | None]:
    """Text fields and the `file` part's bytes. A body that is not a form (or not
    parseable) reads as an empty one, so the errors name what is missing.

    A text field may hold 1 MiB (they are short ids and numbers); the file part is
    spooled to disk past 1 MiB and comes back memory-mapped (``cap`` bounds the body).
    """
    limits.spool(request.scope)
    try:
        async with request.form(
            max_files=8, max_fields=64, max_part_size=min(cap, limits.SPOOL_BYTES)
        ) as form:
            fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            upload = form.get("file")
            audio = await _contents(upload) if isinstance(upload, UploadFile) else None
    except HTTPException:  # Starlette's 400 for a malformed multipart body
        return {}, None
    return fields, audio


async def _contents(upload: UploadFile) -> Audio:
    """The file part: its bytes when small, else a read-only map of its spooled file
    (valid after the file is closed and deleted; unmapped when the last view goes)."""
    if upload.size is None or upload.size <= limits.SPOOL_BYTES:
        return await upload.read()
    await upload.seek(0)
    return memoryview(mmap.mmap(upload.file.fileno(), 0, access=mmap.ACCESS_READ))
