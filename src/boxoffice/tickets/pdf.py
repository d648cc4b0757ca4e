"""Printable tickets: one A4 page per ticket, with a vector QR code, the short code and the event.

Written in the language asked for (the order's, for the e-mail; the reader's, for a download),
with the event's time in the display zone, its zone named.

The QR is drawn as vector paths (segno's SVG placed by fpdf2), so it stays sharp on any
printer and at any zoom. The text uses the PDF core font Helvetica, which needs no font file
and covers Latin-1 (every accent of Portuguese or Spanish); characters outside it are
replaced by their closest ASCII look-alike or by "?", never left to fail a download.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from boxoffice import i18n
from boxoffice.tickets.presentation import Shown

_PUNCTUATION = str.maketrans(
    {"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "*"}
)
QR_SIZE_MM = 110


def latin1(text: str) -> str:
    """`text` in the core font's character set, as close to the original as it can get."""
    text = text.translate(_PUNCTUATION)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            char = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"
        out.append(char)
    return "".join(out)


def qr_svg(payload: str) -> bytes:
    """The QR as a standalone SVG with a viewBox and no fixed size (the caller scales it)."""
    buffer = io.BytesIO()
    code = segno.make(payload, error="m", boost_error=False, micro=False)
    code.save(buffer, kind="svg", scale=1, border=4, xmldecl=False, omitsize=True)
    return buffer.getvalue()


def _instead_of_qr(
    pdf: FPDF, gettext: Callable[[str], str], *, top: float, width: float, cancelled: bool
) -> None:
    """A cancelled ticket has no code to show; a rotating one cannot be printed (by design)."""
    pdf.set_xy(pdf.l_margin, top + QR_SIZE_MM / 2 - 20)
    if cancelled:
        pdf.set_font("helvetica", "B", 28)
        pdf.cell(width, 20, latin1(gettext("CANCELLED")), align="C")
        return
    pdf.set_font("helvetica", "B", 16)
    text = gettext(
        "This event uses a live QR code that changes every 30 seconds, so it cannot be "
        "printed. Open the ticket on your phone at the gate, or give the code below."
    )
    pdf.multi_cell(width, 9, latin1(text), align="C")


def render_tickets(shown: Sequence[Shown], *, locale: str, zone: ZoneInfo) -> bytes:
    """The order's tickets as a PDF, one page each, in the order given: in `locale`'s
    language, times in `zone`."""
    gettext = i18n.translations(locale).gettext
    fmt = i18n.Formats(locale, zone.key)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_lang(i18n.LOCALES[locale][0])
    pdf.set_title(latin1(gettext("Tickets")))
    pdf.set_creator("Boxoffice")
    pdf.set_auto_page_break(auto=False)
    width = pdf.w - 2 * pdf.l_margin
    for item in shown:
        ticket = item.ticket
        pdf.add_page()
        pdf.set_font("helvetica", "B", 22)
        pdf.multi_cell(width, 10, latin1(ticket.event_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 13)
        line = f"{ticket.venue}  |  {fmt.when_named(ticket.starts_at)}"
        pdf.multi_cell(width, 7, latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        top = pdf.get_y() + 6
        left = (pdf.w - QR_SIZE_MM) / 2
        if ticket.status == "cancelled" or ticket.rotating_qr:
            _instead_of_qr(
                pdf, gettext, top=top, width=width, cancelled=ticket.status == "cancelled"
            )
        else:
            pdf.image(io.BytesIO(qr_svg(item.payload)), x=left, y=top, w=QR_SIZE_MM)
        pdf.set_xy(pdf.l_margin, top + QR_SIZE_MM + 4)
        pdf.set_font("courier", "B", 36)
        pdf.cell(width, 16, ticket.display_code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 14)
        for text in (ticket.holder_name, ticket.ticket_type_name):
            pdf.cell(width, 8, latin1(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 10)
        pdf.set_y(pdf.h - 25)
        if ticket.rotating_qr:
            note = gettext("Each ticket admits one person, once.")
        else:
            note = gettext("Show this QR code at the gate. Each ticket admits one person, once.")
        pdf.cell(width, 6, latin1(note), align="C")
    return bytes(pdf.output())
