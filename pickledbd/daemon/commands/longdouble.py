"""INCRBYFLOAT and HINCRBYFLOAT arithmetic as Redis does it on x86-64: C ``long double`` (x87 80-bit
extended: 64-bit significand, 15-bit exponent), parsed with ``strtold`` and printed with
``"%.17Lf"`` with trailing zeros trimmed.

Values are exact ``Fraction``s rounded to a 64-bit significand (round-half-even, like
the FPU's default mode), so ``SET k 10.1; INCRBYFLOAT k 1500`` gives Redis's own
``1510.09999999999999998`` and ``10.5 + 0.1`` gives ``10.6``. Subnormal long doubles
(below ~3.4e-4932) are treated as normal numbers; no user will meet them.
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

MANT_BITS = 64
MAX_EXP = 16384          # values >= 2**16384 overflow to infinity
MIN_EXP = -16445         # smallest subnormal is 2**-16445
MAX_CHARS = 5 * 1024     # MAX_LONG_DOUBLE_CHARS

INF = "inf"

_DEC = re.compile(r"([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?\Z", re.ASCII)
_HEX = re.compile(r"([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))"
                  r"(?:[pP]([+-]?\d+))?\Z", re.ASCII)
_INF = re.compile(r"([+-]?)(?:inf|infinity)\Z", re.IGNORECASE | re.ASCII)


def _floor_log2(x: Fraction) -> int:
    n, d = x.numerator, x.denominator
    k = n.bit_length() - d.bit_length()
    if (n << -k if k < 0 else n) < (d << k if k > 0 else d):
        k -= 1
    return k


def round_ld(x: Fraction):
    """Round an exact value to the nearest long double; INF-signed tuple on overflow,
    None on underflow to zero."""
    if x == 0:
        return x
    sign = -1 if x < 0 else 1
    a = abs(x)
    e = _floor_log2(a) - (MANT_BITS - 1)
    if e < MIN_EXP:
        e = MIN_EXP
    scaled = a / (Fraction(2) ** e) if e >= 0 else a * (1 << -e)
    m = round(scaled)           # Fraction.__round__ is round-half-even
    if m == 0:
        return None
    r = m * (Fraction(2) ** e)
    if r >= Fraction(2) ** MAX_EXP:
        return (INF, sign)
    return sign * r


def _int10(digits: str) -> int:
    """int(digits) without Python's 4300-digit limit on str->int (values reach ~4950 digits)."""
    return int(digits) if len(digits) < 4000 else int(Decimal(digits))


def parse_ld(s: str):
    """strtold as Redis's string2ld uses it: a Fraction, (INF, sign), or None when invalid."""
    if not s or len(s) >= MAX_CHARS or not s.isascii() or s[0].isspace():
        return None
    m = _DEC.match(s)
    if m:
        sign, ip, fp, fp2, ex = m.groups()
        if fp2 is not None:
            ip, fp = "", fp2
        digits = (ip or "") + (fp or "")
        exp = int(ex) if ex else 0
        exp -= len(fp or "")
        if abs(exp) > 100000:          # absurd exponents: clearly 0 or overflow
            if _int10(digits) == 0:
                return Fraction(0)
            return None
        v = Fraction(_int10(digits)) * (Fraction(10) ** exp)
    else:
        m = _HEX.match(s)
        if m:
            sign, ip, fp, fp2, ex = m.groups()
            if fp2 is not None:
                ip, fp = "", fp2
            digits = (ip or "") + (fp or "")
            exp = (int(ex) if ex else 0) - 4 * len(fp or "")
            if abs(exp) > 100000:
                if int(digits, 16) == 0:
                    return Fraction(0)
                return None
            v = Fraction(int(digits, 16)) * (Fraction(2) ** exp)
        else:
            m = _INF.match(s)
            if m:
                return (INF, -1 if m.group(1) == "-" else 1)
            return None      # nan and garbage
    if sign == "-":
        v = -v
    r = round_ld(v)
    if r is None or type(r) is tuple:   # ERANGE: underflow to zero or overflow
        return None
    return r


def format_ld(x: Fraction) -> str:
    """printf("%.17Lf") with trailing zeros (and a bare '.') removed; -0 prints as 0."""
    neg = x < 0
    q = round(abs(x) * (10 ** 17))     # exact, round-half-even like glibc
    s = format(Decimal(q), "f").rjust(18, "0")   # str(int) stops at 4300 digits; ~4950 occur
    ip, fp = s[:-17], s[-17:].rstrip("0")
    out = ip + ("." + fp if fp else "")
    if neg and out != "0":
        out = "-" + out
    return out


def add_ld(a, b):
    """a + b in long double: Fraction, or None when the result is NaN or infinite."""
    if type(a) is tuple or type(b) is tuple:
        return None
    r = round_ld(a + b)
    if r is None:
        return Fraction(0)
    if type(r) is tuple:
        return None
    return r
