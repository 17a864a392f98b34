"""LOLWUT's computer art, as Redis 7.0 draws it (lolwut.c, lolwut5.c, lolwut6.c).

``LOLWUT`` and ``LOLWUT VERSION <n>`` for n other than 5 and 6 answer Redis 7.0's
"Redis ver. <version>" line. VERSION 5 draws Georg Nees's *Schotter* in Braille characters,
VERSION 6 a skyline in terminal colours; both are random, as in Redis, and end with the
line tools look for. Sizes are clamped as Redis clamps them, so the work is bounded.
"""
from __future__ import annotations

import math
import random

from ...version import REDIS_VERSION
from ..protocol.reply import Verbatim
from .util import parse_int


class Canvas:
    __slots__ = ("width", "height", "pixels")

    def __init__(self, width: int, height: int, color: int = 0):
        self.width, self.height = width, height
        self.pixels = bytearray([color]) * (width * height)

    def put(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = color

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """Bresenham, as lwDrawLine; the path of each (dx, dy) is computed once."""
        path = _path(x2 - x1, y2 - y1)
        w, h, px = self.width, self.height, self.pixels
        if 0 <= min(x1, x2) and max(x1, x2) < w and 0 <= min(y1, y2) and max(y1, y2) < h:
            base = x1 + y1 * w
            for ox, oy in path:
                px[base + ox + oy * w] = color
        else:
            for ox, oy in path:
                self.put(x1 + ox, y1 + oy, color)

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        size = _c_round(size / 1.4142135623)
        k = math.pi / 4 + angle
        px, py = [], []
        for _ in range(4):
            px.append(_c_round(math.sin(k) * size + x))
            py.append(_c_round(math.cos(k) * size + y))
            k += math.pi / 2
        for j in range(4):
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color)


_PATHS: dict = {}


def _path(dx0: int, dy0: int) -> tuple:
    """The pixels lwDrawLine visits from (0, 0) to (dx0, dy0)."""
    got = _PATHS.get((dx0, dy0))
    if got is not None:
        return got
    x = y = 0
    dx, dy = abs(dx0), abs(dy0)
    sx = 1 if dx0 > 0 else -1
    sy = 1 if dy0 > 0 else -1
    err = dx - dy
    out = []
    while True:
        out.append((x, y))
        if x == dx0 and y == dy0:
            break
        e2 = err * 2
        if e2 > -dy:
            err -= dy
            x += sx
        if e2 < dx:
            err += dx
            y += sy
    if len(_PATHS) < 65536:
        _PATHS[(dx0, dy0)] = got = tuple(out)
    return tuple(out)


def _c_round(x: float) -> int:
    """C's round(): halves away from zero."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def _rand(rnd) -> int:
    return rnd.getrandbits(31)


def schotter(cols: int, per_row: int, per_col: int, rnd) -> str:
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = (width - padding * 2) / per_row
    height = int(side * per_col + padding * 2)
    canvas = Canvas(width, height)
    rand_max = float((1 << 31) - 1)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(x * side + side / 2 + padding)
            sy = int(y * side + side / 2 + padding)
            angle = 0.0
            if y > 1:
                r1 = _rand(rnd) / rand_max / per_col * y
                r2 = _rand(rnd) / rand_max / per_col * y
                r3 = _rand(rnd) / rand_max / per_col * y
                if _rand(rnd) % 2:
                    r1 = -r1
                if _rand(rnd) % 2:
                    r2 = -r2
                if _rand(rnd) % 2:
                    r3 = -r3
                angle = r1
                sx = int(sx + r2 * side / 3)
                sy = int(sy + r3 * side / 3)
            canvas.square(sx, sy, side, angle, 1)
    text = "\n".join(_braille_rows(canvas))
    if height and (height - 1) % 4 != 0:
        text += "\n"             # lolwut5's renderer ends every band but one at height-1
    return text


_BRAILLE = [chr(0x2800 + b) for b in range(256)]


def _braille_rows(canvas: Canvas):
    """Each band of 4 pixel rows as Braille cells (dots 0-2,6 from the even column, 3-5,7 from
    the odd one), computed a whole band at a time on big integers (one byte per pixel)."""
    w, h, px = canvas.width, canvas.height, canvas.pixels
    wide = w + (w & 1)
    blank = bytes(wide)
    n = wide // 2
    m7 = int.from_bytes(b"\x07" * n, "little")
    m64 = int.from_bytes(b"\x40" * n, "little")
    for y in range(0, h, 4):
        r = [bytes(px[(y + i) * w:(y + i + 1) * w]) + blank[:wide - w] if y + i < h else blank for i in range(4)]
        mixed = (int.from_bytes(r[0], "little") | int.from_bytes(r[1], "little") << 1
                 | int.from_bytes(r[2], "little") << 2 | int.from_bytes(r[3], "little") << 6)
        cells = mixed.to_bytes(wide, "little")
        even = int.from_bytes(cells[0::2], "little")
        odd = int.from_bytes(cells[1::2], "little")
        out = (even | (odd & m7) << 3 | (odd & m64) << 1).to_bytes(n, "little")
        yield "".join(map(_BRAILLE.__getitem__, out))


_COLORS = {0: "0;30;40m", 1: "0;90;100m", 2: "0;37;47m", 3: "0;97;107m"}


def _skyscraper(canvas: Canvas, rnd, xoff: int, width: int, height: int, windows: bool, color: int) -> None:
    starty = canvas.height - 1
    endy = starty - height + 1
    w, px = canvas.width, canvas.pixels
    for y in range(max(endy, 0), starty + 1):
        lo, hi = (xoff + 2, xoff + width - 2) if y == endy else (xoff, xoff + width)   # the roof is narrower
        lo, hi = max(lo, 0), min(hi, w)
        if lo < hi:
            px[y * w + lo:y * w + hi] = bytes([color]) * (hi - lo)
        if not (windows and endy + 1 < y < starty - 1) or (y - (endy + 1)) % 2 == 0:
            continue
        # windows: two pixels wide, one tall, of the grays that are not the wall's
        for x in range(xoff + 2, xoff + width - 2):
            relx = x - (xoff + 1)
            if (relx // 2) % 2 == 0:
                continue
            if relx % 2:
                c = canvas.get(x - 1, y)
            else:
                c = 1 + _rand(rnd) % 2
                while c == color:
                    c = 1 + _rand(rnd) % 2
            canvas.put(x, y, c)


def skyline(cols: int, rows: int, rnd) -> str:
    canvas = Canvas(cols, rows, 3)
    h = canvas.height
    for color in (2, 1):
        offset = -10
        while offset < canvas.width:
            offset += _rand(rnd) % 8
            width = 10 + _rand(rnd) % 9
            height = h // 2 + (_rand(rnd) % h) // (2 if color == 2 else 3)
            _skyscraper(canvas, rnd, offset, width, height, False, color)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < canvas.width:
        offset += _rand(rnd) % 8
        width = 5 + _rand(rnd) % 14
        if width % 4:
            width += width % 3
        height = h // 3 + (_rand(rnd) % h) // 2
        _skyscraper(canvas, rnd, offset, width, height, True, 0)
        offset += width + 5
    cell = ["\033[%s \033[0m" % _COLORS.get(c, _COLORS[0]) for c in range(256)]
    w, px = canvas.width, canvas.pixels
    return "\n".join("".join(map(cell.__getitem__, px[y * w:(y + 1) * w])) for y in range(h))


def _clamped(args: list, i: int, default: int, hi: int) -> int:
    n = parse_int(args[i]) if len(args) > i else default
    return min(max(n, 1), hi)


def lolwut(args: list) -> Verbatim:
    """LOLWUT [VERSION v] [art arguments...]."""
    version = None
    if len(args) >= 3 and args[1].lower() == "version":
        version = parse_int(args[2]) & 0xFFFFFFFF      # printed as %u, as Redis does
        args = args[:1] + args[3:]
    rnd = random.Random()
    if version == 5:
        cols = _clamped(args, 1, 66, 1000)
        per_row = _clamped(args, 2, 8, 200)
        per_col = _clamped(args, 3, 12, 200)
        art = schotter(cols, per_row, per_col, rnd)
        return Verbatim(art + "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. %s\n" % REDIS_VERSION)
    if version == 6:
        cols = _clamped(args, 1, 80, 1000)
        rows = _clamped(args, 2, 20, 1000)
        art = skyline(cols, rows, rnd)
        return Verbatim(art + "\nDedicated to the 8 bit game developers of past and present.\n"
                        "Original 8 bit image from Plaguemon by hikikomori. Redis ver. %s\n" % REDIS_VERSION)
    return Verbatim("Redis ver. %s\n" % REDIS_VERSION)
