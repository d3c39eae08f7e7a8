#!/usr/bin/env python3
"""Render a `tmux capture-pane -e -p` dump (text with ANSI SGR colours) to a PNG.

Tooling for the README's screenshots, not part of netanomaly. Needs Pillow and a
monospace font with box-drawing, block and Braille glyphs (Debian: python3-pil,
fonts-dejavu-core).

    ansi2png.py capture.ansi out.png [--font PATH] [--size 15]
"""
import argparse
import re

from PIL import Image, ImageDraw, ImageFont

# xterm's 16 colours, a dark theme.
PALETTE = [
    (0x1d, 0x1f, 0x21), (0xcc, 0x44, 0x44), (0x5f, 0xb8, 0x5f), (0xd7, 0xaf, 0x3f),
    (0x5f, 0x87, 0xd7), (0xc0, 0x6c, 0xd0), (0x4f, 0xb8, 0xc8), (0xc5, 0xc8, 0xc6),
    (0x6c, 0x6c, 0x6c), (0xff, 0x6b, 0x6b), (0x8a, 0xe2, 0x8a), (0xff, 0xd7, 0x5f),
    (0x87, 0xaf, 0xff), (0xe0, 0x9c, 0xf0), (0x7f, 0xe0, 0xf0), (0xff, 0xff, 0xff),
]
FG, BG = (0xd8, 0xd8, 0xd8), (0x16, 0x18, 0x1a)
# (column, row, bit) of each Braille dot.
BRAILLE_DOTS = [(0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (1, 0, 0x08),
                (1, 1, 0x10), (1, 2, 0x20), (0, 3, 0x40), (1, 3, 0x80)]
SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


def parse(text):
    """Yields rows of (char, fg, bg, bold) cells."""
    rows = []
    state = {"fg": None, "bg": None, "bold": False, "dim": False, "rev": False}
    for line in text.split("\n"):
        cells = []
        pos = 0
        for m in SGR.finditer(line):
            for ch in line[pos:m.start()]:
                cells.append((ch, dict(state)))
            pos = m.end()
            params = [p for p in re.split("[;:]", m.group(1))] or ["0"]
            params = [int(p) if p else 0 for p in params]
            i = 0
            while i < len(params):
                p = params[i]
                if p == 0:
                    state.update(fg=None, bg=None, bold=False, dim=False, rev=False)
                elif p == 1:
                    state["bold"] = True
                elif p == 2:
                    state["dim"] = True
                elif p == 7:
                    state["rev"] = True
                elif p == 22:
                    state["bold"] = state["dim"] = False
                elif p == 27:
                    state["rev"] = False
                elif 30 <= p <= 37:
                    state["fg"] = PALETTE[p - 30]
                elif 90 <= p <= 97:
                    state["fg"] = PALETTE[p - 90 + 8]
                elif 40 <= p <= 47:
                    state["bg"] = PALETTE[p - 40]
                elif 100 <= p <= 107:
                    state["bg"] = PALETTE[p - 100 + 8]
                elif p == 39:
                    state["fg"] = None
                elif p == 49:
                    state["bg"] = None
                elif p in (38, 48) and i + 1 < len(params):
                    key = "fg" if p == 38 else "bg"
                    if params[i + 1] == 5 and i + 2 < len(params):
                        state[key] = xterm256(params[i + 2])
                        i += 2
                    elif params[i + 1] == 2 and i + 4 < len(params):
                        state[key] = tuple(params[i + 2:i + 5])
                        i += 4
                i += 1
        for ch in line[pos:]:
            cells.append((ch, dict(state)))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--font", default="/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    ap.add_argument("--bold-font", default="/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
    ap.add_argument("--size", type=int, default=15)
    args = ap.parse_args()
    rows = parse(open(args.capture, encoding="utf-8", errors="replace").read())
    font = ImageFont.truetype(args.font, args.size)
    bold = ImageFont.truetype(args.bold_font, args.size)
    left, top, right, bottom = font.getbbox("M")
    cw = round(font.getlength("M"))
    ch = round(args.size * 1.25)
    width = max(len(r) for r in rows)
    pad = 8
    img = Image.new("RGB", (width * cw + 2 * pad, len(rows) * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    for y, cells in enumerate(rows):
        for x, (c, st) in enumerate(cells):
            fg, bg = st["fg"] or FG, st["bg"] or BG
            if st["rev"]:
                fg, bg = bg, fg
            if st["dim"]:
                fg = tuple(int(v * 0.6) for v in fg)
            px, py = pad + x * cw, pad + y * ch
            if bg != BG:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if c == " ":
                continue
            code = ord(c)
            # Block elements fill the cell exactly, so bars join up.
            if 0x2581 <= code <= 0x2588:
                h = round(ch * (code - 0x2580) / 8)
                draw.rectangle([px, py + ch - h, px + cw - 1, py + ch - 1], fill=fg)
                continue
            # Braille is drawn as dots: few monospace fonts carry it.
            if 0x2800 <= code <= 0x28FF:
                bits = code - 0x2800
                r = max(1.0, cw / 7)
                for col, row, bit in BRAILLE_DOTS:
                    if bits & bit:
                        cx = px + (col + 0.5) * cw / 2
                        cy = py + (row + 0.5) * ch / 4
                        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fg)
                continue
            draw.text((px, py + (ch - args.size) // 2 - 1), c, font=bold if st["bold"] else font, fill=fg)
    img.save(args.out)


if __name__ == "__main__":
    main()
