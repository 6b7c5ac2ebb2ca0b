"""Build rare-earth-separation-outside-china.pdf, the PDF article of the newsdesk demo corpus.

The PDF is written by hand (no PDF library needed) so that it can be rebuilt offline
and byte for byte:

    python data/sample/make_pdf.py

Layout: US Letter pages, the built-in Helvetica Type1 font (WinAnsiEncoding, so the
text must be plain ASCII), the title in Helvetica-Bold, then the body.  Every
sentence starts on its own line and long sentences wrap at word boundaries using the
standard Helvetica glyph widths; paragraphs are separated by extra space.  Each line
is one text object drawn with Tj (body) or TJ (title), so text extractors such as
pypdf return one line of text per drawn line with ordinary spaces between words.
The /Info dictionary carries Title, Author, CreationDate (the publication date) and
Publisher (a custom key, which newsdesk's PDF reader takes as the article's source).

The article is fictional, written for the newsdesk demo corpus.
"""

from __future__ import annotations

from pathlib import Path

TITLE = "Rare earth separation plants outside China race to scale up"
AUTHOR = "Thomas Herrera"
PUBLISHER = "Rare Earth Digest"
CREATION_DATE = "D:20251112090000Z"  # published 12 November 2025
OUTPUT = Path(__file__).resolve().parent / "articles" / "rare-earth-separation-outside-china.pdf"

# One inner list per paragraph, one string per sentence.
PARAGRAPHS = [
    [
        "Outside China, a handful of rare earth separation plants are racing to scale up.",
        "Meridian Rare Earths opened its separation plant at Seadrift, Texas, in September.",
        "The plant is designed to produce 5,000 tonnes of NdPr oxide a year.",
        "The company expects to reach full capacity in 2028.",
    ],
    [
        "NdPr oxide is the main ingredient of the permanent magnets used in electric vehicle "
        "motors and wind turbines.",
        "In Malaysia, Coral Bay Rare Earths produced 2,150 tonnes of NdPr oxide in the year to June.",
        "Coral Bay also began separating dysprosium and terbium in May.",
        "It is the first commercial producer of heavy rare earths outside China.",
    ],
    [
        "In France, Brightwater Materials restarted a separation line near Nantes.",
        "The line can process 1,000 tonnes of mixed rare earths a year.",
        "Together, plants outside China hold less than 10 percent of global separation capacity.",
    ],
    [
        "Separation is the hardest step because rare earths occur together in the same ore and "
        "must be split apart in hundreds of solvent extraction stages.",
        "\"Mining is the easy part; separation is where China built its lead,\" said Helen Cho, "
        "chief executive of Meridian Rare Earths.",
    ],
    [
        "Financing remains difficult because Chinese producers can cut prices when new competitors appear.",
        "The US Department of Defense has agreed a price floor of $110 per kilogram of NdPr oxide "
        "with one domestic producer.",
        "Meridian said it is seeking a similar price guarantee for its Texas output.",
    ],
]

PAGE_W, PAGE_H = 612, 792
MARGIN = 72
TEXT_W = PAGE_W - 2 * MARGIN
BODY_SIZE, BODY_LEAD = 11, 15
TITLE_SIZE, TITLE_LEAD = 15, 20
PARA_GAP = 9

# Helvetica advance widths (1/1000 em) for ASCII 32..126, from the standard AFM metrics
# (character 39 is quotesingle under WinAnsiEncoding).
_WIDTHS = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
]


def text_width(text: str, size: float) -> float:
    """Width in points of `text` set in Helvetica at `size` (bold is approximated as regular)."""
    return sum(_WIDTHS[ord(ch) - 32] for ch in text) * size / 1000


def wrap(sentence: str, size: float, width: float) -> list[str]:
    """Split one sentence into lines no wider than `width`, breaking at spaces."""
    lines: list[str] = []
    current = ""
    for word in sentence.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


def pdf_string(text: str) -> str:
    """`text` as a PDF literal string, with backslash and parentheses escaped."""
    if not text.isascii():
        raise ValueError(f"non-ASCII text cannot be drawn with this font setup: {text!r}")
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def layout() -> list[list[tuple[str, float, float, str]]]:
    """Place the title and body: a list of pages, each a list of (font, size, y, text)."""
    pages: list[list[tuple[str, float, float, str]]] = [[]]
    y = PAGE_H - MARGIN - TITLE_SIZE
    bold_width = TEXT_W * 0.9  # bold glyphs are a little wider than the regular metrics
    for line in wrap(TITLE, TITLE_SIZE, bold_width):
        pages[-1].append(("F2", TITLE_SIZE, y, line))
        y -= TITLE_LEAD
    y -= PARA_GAP
    for paragraph in PARAGRAPHS:
        for sentence in paragraph:
            for line in wrap(sentence, BODY_SIZE, TEXT_W):
                if y < MARGIN:
                    pages.append([])
                    y = PAGE_H - MARGIN - BODY_SIZE
                pages[-1].append(("F1", BODY_SIZE, y, line))
                y -= BODY_LEAD
        y -= PARA_GAP
    return pages


def content_stream(lines: list[tuple[str, float, float, str]]) -> bytes:
    """The page content: one BT/ET text object per line."""
    ops = []
    for font, size, y, text in lines:
        show = f"[{pdf_string(text)}] TJ" if font == "F2" else f"{pdf_string(text)} Tj"
        ops.append(f"BT /{font} {size} Tf {MARGIN} {y:.0f} Td {show} ET")
    return ("\n".join(ops) + "\n").encode("ascii")


def build() -> bytes:
    """The complete PDF file as bytes, with a correct cross-reference table."""
    pages = layout()
    n_pages = len(pages)
    # Object numbers: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info,
    # then for each page: page object, content stream.
    first_page = 6
    page_ids = [first_page + 2 * i for i in range(n_pages)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: (
            f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
            f"/Count {n_pages} >>"
        ).encode("ascii"),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        5: (
            f"<< /Title {pdf_string(TITLE)} /Author {pdf_string(AUTHOR)} "
            f"/CreationDate {pdf_string(CREATION_DATE)} /Publisher {pdf_string(PUBLISHER)} "
            f"/Producer (newsdesk make_pdf.py) >>"
        ).encode("ascii"),
    }
    for page_id, lines in zip(page_ids, pages):
        stream = content_stream(lines)
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {page_id + 1} 0 R >>"
        ).encode("ascii")
        objects[page_id + 1] = (
            f"<< /Length {len(stream)} >>\nstream\n".encode("ascii") + stream + b"endstream"
        )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode("ascii") + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n".encode("ascii")
    out += b"0000000000 65535 f \n"
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {size} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


def main() -> None:
    """Write the PDF next to this script."""
    OUTPUT.write_bytes(build())
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
