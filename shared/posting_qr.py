"""QR codes that open a posting's public page, for posters and the station's job board (issue 5).

The code holds only the page's address: the public URL of the hub (or of the node, on the station's Wi-Fi) and the
posting's random id.  Nothing personal is ever in it (DOMAIN.md §9).  Error correction M survives a poster that is
creased, smudged or photographed at an angle while keeping the code small enough to scan from across a room.
"""

from __future__ import annotations

import functools
import io
import re
from typing import TYPE_CHECKING

from shared.postings import POSTING_ID_SHAPE

if TYPE_CHECKING:
    import qrcode

PUBLIC_PATH = "/j/"
BORDER = 4  # the quiet zone the QR standard asks for, in modules

_POSTING_ID = re.compile(POSTING_ID_SHAPE)


def posting_url(public_url: str, posting_id: str) -> str:
    """The public page of a posting: ``<public_url>/j/<posting_id>``.

    Refuses anything but an http(s) base and a posting id of 32 hex characters, so that no name, phone or ID
    number can find its way into a code that is printed and put on a wall.
    """
    if not re.match(r"^https?://[^\s/?#]+", public_url):
        raise ValueError(f"public URL must start with http:// or https://: {public_url!r}")
    if not _POSTING_ID.match(posting_id):
        raise ValueError("posting id must be 32 hex characters")
    return public_url.rstrip("/") + PUBLIC_PATH + posting_id


def _code(url: str, box_size: int) -> qrcode.QRCode:
    # qrcode (with Pillow) is imported on first use: a station's page process only pays for it once a code is drawn.
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=BORDER)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, box_size: int = 10) -> bytes:
    """A PNG of the code, ``box_size`` pixels per module, black on white."""
    buffer = io.BytesIO()
    _code(url, box_size).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """An SVG of the code (one path, sized in millimetres), for print pages that scale it to the paper.

    Drawn once per address and kept (a few kB each): the board and every poster ask for the same codes
    again and again, and drawing one costs more CPU than the rest of the page on a station's Pi."""
    from qrcode.image.svg import SvgPathImage

    return _code(url, 10).make_image(image_factory=SvgPathImage).to_string(encoding="unicode")
