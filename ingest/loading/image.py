"""Images (PNG, JPEG, TIFF with one page or many): their text read by OCR, one page per image or TIFF page.

Pillow opens the image; ``ocr`` reads it. An image's header says how large it is before anything is decoded,
so a decompression bomb (a small file that decodes to 30,000 x 30,000 pixels) is refused from its header with
``Image.MAX_IMAGE_PIXELS`` set here on purpose, and so is each page of a TIFF. A TIFF of more pages than the
file limit (``LoadOptions.max_pages``) or than OCR may read (``ocr.MAX_OCR_PAGES``) is read up to the limit,
and the pages left out are named in a warning.
"""

from __future__ import annotations

import functools
import io
import warnings
from typing import TYPE_CHECKING

from ingest.loading.loader import LoadOptions
from ingest.loading.ocr import MAX_IMAGE_PIXELS, OcrError, session_for
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument, Page

if TYPE_CHECKING:
    from PIL.Image import Image

_FORMATS = ["PNG", "JPEG", "TIFF"]  # what detect.sniff_kind sends here; Pillow tries no other decoder
_UNREADABLE = "unreadable image (damaged, truncated or not really a PNG, JPEG or TIFF)"
_TOO_LARGE = f"image larger than the limit of {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb?)"


def load_image(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """The text of an image, or of each page of a TIFF, read by OCR; the pages OCR found no text on are left
    out, and the file fails when none has text (with ``ocr.OCR_UNAVAILABLE`` when Tesseract is missing)."""
    picture = _open(data)
    try:
        frames = getattr(picture, "n_frames", 1)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UnsupportedDocumentError(_UNREADABLE, cause=f"{type(exc).__name__}: {exc}") from exc
    single = frames == 1
    session = session_for(options, (lambda _: "image (OCR)") if single else None)
    readable = min(frames, options.max_pages)
    if frames > readable:
        session.skip(f"not read: the limit of {options.max_pages} pages per file", range(readable + 1, frames + 1))
    pages: list[Page] = []
    for index in range(readable):
        found = session.page(index + 1, functools.partial(_frame, picture, index))
        if found is not None:
            pages.append(found)
    if not pages:
        failure = session.failure()  # "page 1: ..." says nothing more than the reason for a single image
        raise UnsupportedDocumentError(failure.removeprefix("page 1: ") if single else failure)
    return LoadedDocument(
        kind="image", pages=pages, pages_without_text=frames - len(pages), warnings=session.warnings()
    )


def _open(data: bytes) -> Image:
    # deferred: heavy (Pillow), only where an image is loaded (the isolated worker)
    from PIL import Image, UnidentifiedImageError

    # Set here, deliberately, rather than left at Pillow's default (89 million pixels, an error at twice that):
    # above this Pillow warns, and the warning is made an error below.
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UnsupportedDocumentError(_TOO_LARGE, cause=str(exc)) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UnsupportedDocumentError(_UNREADABLE, cause=f"{type(exc).__name__}: {exc}") from exc


def _frame(picture: Image, index: int) -> Image:
    """Page ``index`` of the image, decoded, upright (a photo's EXIF orientation) and grey on white; OcrError
    for a page that is too large or cannot be decoded, so that the other pages are still read."""
    # deferred: heavy (Pillow)
    from PIL import Image, ImageOps

    try:
        picture.seek(index)
        width, height = picture.size
        if width * height > MAX_IMAGE_PIXELS:  # Pillow checks the first page only; a TIFF's later pages too
            raise OcrError(_TOO_LARGE)
        upright = ImageOps.exif_transpose(picture) or picture
        if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
            # Transparent pixels hold any colour (often black): the text is laid on white, as it was shown.
            rgba = upright.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("L")
        return upright.convert("L")
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise OcrError(f"unreadable image data ({type(exc).__name__})") from exc
