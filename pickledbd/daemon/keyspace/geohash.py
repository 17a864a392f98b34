"""Geohash arithmetic as Redis 7.0.15 does it (src/geohash.c, geohash_helper.c).

A position is a 52-bit integer: 26 bits of latitude offset (range -85.05112878..85.05112878,
the Web-Mercator limits) interleaved with 26 bits of longitude offset, stored as the member's
sorted-set score. Every float operation below is done in the same order as the C code, so
scores, decoded coordinates and distances are bit-identical to Redis's.

A radius / box search looks up the cell of the centre at a step (precision) chosen from the
radius, plus its 8 neighbours; each cell is one score range of the sorted set.
"""
from __future__ import annotations

import math

LONG_MIN, LONG_MAX = -180.0, 180.0
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
STEP_MAX = 26
EARTH_RADIUS = 6372797.560856
MERCATOR_MAX = 20037726.37
D_R = math.pi / 180.0
M64 = (1 << 64) - 1
CIRCULAR, RECTANGLE = 1, 2

_sin, _cos, _asin, _sqrt = math.sin, math.cos, math.asin, math.sqrt
NAN = math.nan


def _c(fn):
    """``fn`` as C's libm: NaN instead of a domain error (an infinite radius, rounding)."""
    def f(x):
        try:
            return fn(x)
        except ValueError:
            return NAN
    return f


_csin, _ccos, _casin, _csqrt = _c(math.sin), _c(math.cos), _c(math.asin), _c(math.sqrt)

# 8 bits spread to the even bits of 16 (interleave64 by table)
_SPREAD = []
for _i in range(256):
    _v = 0
    for _b in range(8):
        if _i >> _b & 1:
            _v |= 1 << (2 * _b)
    _SPREAD.append(_v)
del _i, _v, _b


def interleave64(x: int, y: int) -> int:
    """Bits of x (< 2**32) in the even positions, bits of y in the odd ones."""
    s = _SPREAD
    xs = s[x & 255] | s[x >> 8 & 255] << 16 | s[x >> 16 & 255] << 32 | s[x >> 24 & 255] << 48
    ys = s[y & 255] | s[y >> 8 & 255] << 16 | s[y >> 16 & 255] << 32 | s[y >> 24 & 255] << 48
    return xs | ys << 1


def deinterleave64(v: int) -> int:
    """Even bits to the low 32 bits, odd bits to the high 32 (geohash.c)."""
    x = v & M64
    y = x >> 1
    for b, s in ((0x5555555555555555, 0), (0x3333333333333333, 1), (0x0F0F0F0F0F0F0F0F, 2),
                 (0x00FF00FF00FF00FF, 4), (0x0000FFFF0000FFFF, 8), (0x00000000FFFFFFFF, 16)):
        x = (x | (x >> s)) & b
        y = (y | (y >> s)) & b
    return x | (y << 32)


def encode(lon: float, lat: float, step: int = STEP_MAX,
           lon_range=(LONG_MIN, LONG_MAX), lat_range=(LAT_MIN, LAT_MAX)):
    """geohashEncode: the ``step``*2-bit hash, or None outside the supported area."""
    if lon > LONG_MAX or lon < LONG_MIN or lat > LAT_MAX or lat < LAT_MIN:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < lon_range[0] or lon > lon_range[1]:
        return None
    lat_offset = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    long_offset = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    scale = float(1 << step)
    return interleave64(int(lat_offset * scale), int(long_offset * scale))


_LAT_SCALE = LAT_MAX - LAT_MIN
_LONG_SCALE = LONG_MAX - LONG_MIN
_STEP_SCALE = float(1 << STEP_MAX)


def score_of(lon: float, lat: float) -> int:
    """GEOADD's score: ``encode`` at 26 steps (52 bits, already aligned), inlined for the hot
    path; the caller has checked the ranges."""
    x = int((lat - LAT_MIN) / _LAT_SCALE * _STEP_SCALE)
    y = int((lon - LONG_MIN) / _LONG_SCALE * _STEP_SCALE)
    s = _SPREAD
    return (s[x & 255] | s[x >> 8 & 255] << 16 | s[x >> 16 & 255] << 32 | s[x >> 24 & 255] << 48
            | (s[y & 255] | s[y >> 8 & 255] << 16 | s[y >> 16 & 255] << 32 | s[y >> 24 & 255] << 48) << 1)


def decode_area(bits: int, step: int, lon_range=(LONG_MIN, LONG_MAX), lat_range=(LAT_MIN, LAT_MAX)):
    """geohashDecode: (lon_min, lon_max, lat_min, lat_max) of a cell."""
    sep = deinterleave64(bits)
    ilato = sep & 0xFFFFFFFF
    ilono = sep >> 32 & 0xFFFFFFFF
    div = float(1 << step)
    lat_scale = lat_range[1] - lat_range[0]
    long_scale = lon_range[1] - lon_range[0]
    return (lon_range[0] + (ilono * 1.0 / div) * long_scale,
            lon_range[0] + (((ilono + 1) & 0xFFFFFFFF) * 1.0 / div) * long_scale,
            lat_range[0] + (ilato * 1.0 / div) * lat_scale,
            lat_range[0] + (((ilato + 1) & 0xFFFFFFFF) * 1.0 / div) * lat_scale)


def score_bits(score: float) -> int:
    """C's ``(uint64_t)score`` as gcc compiles it on x86-64 (scores set by ZADD may be anything)."""
    if score < 9223372036854775808.0:
        if score >= -9223372036854775808.0:
            return int(score) & M64
        return 1 << 63
    rest = score - 9223372036854775808.0
    if rest < 9223372036854775808.0:
        return int(rest) ^ (1 << 63)
    return 0


def _compact(v: int) -> int:
    """The even bits of a 16-bit value, packed into 8 bits."""
    v &= 0x5555
    v = (v | v >> 1) & 0x3333
    v = (v | v >> 2) & 0x0F0F
    return (v | v >> 4) & 0x00FF


# deinterleave by table, 16 bits at a time: the latitude (even) and longitude (odd) bits
_EVEN8 = [_compact(i) for i in range(256)]
_ODD8 = [_compact(i >> 1) for i in range(256)]
_EVEN16 = [e | h << 4 for h in _EVEN8 for e in _EVEN8]
_ODD16 = [o | h << 4 for h in _ODD8 for o in _ODD8]
_DIV26 = float(1 << STEP_MAX)


def decode_score(score: float):
    """decodeGeohash: the (lon, lat) centre of the member's cell, clamped to the valid area.
    Scores below 2**52 (every GEOADD score) take a table-driven path with the same float
    operations as geohashDecode; anything else (a ZADD of any double) the generic one."""
    if 0.0 <= score < 4503599627370496.0:
        b = int(score)
        c0, c1, c2, c3 = b & 0xFFFF, b >> 16 & 0xFFFF, b >> 32 & 0xFFFF, b >> 48
        ev, od = _EVEN16, _ODD16
        ilato = ev[c0] | ev[c1] << 8 | ev[c2] << 16 | ev[c3] << 24
        ilono = od[c0] | od[c1] << 8 | od[c2] << 16 | od[c3] << 24
        lon = ((LONG_MIN + (ilono / _DIV26) * _LONG_SCALE)
               + (LONG_MIN + ((ilono + 1) / _DIV26) * _LONG_SCALE)) / 2
        lat = ((LAT_MIN + (ilato / _DIV26) * _LAT_SCALE)
               + (LAT_MIN + ((ilato + 1) / _DIV26) * _LAT_SCALE)) / 2
    else:
        lo0, lo1, la0, la1 = decode_area(score_bits(score), STEP_MAX)
        lon = (lo0 + lo1) / 2
        lat = (la0 + la1) / 2
    if lon > LONG_MAX:
        lon = LONG_MAX
    elif lon < LONG_MIN:
        lon = LONG_MIN
    if lat > LAT_MAX:
        lat = LAT_MAX
    elif lat < LAT_MIN:
        lat = LAT_MIN
    return lon, lat


GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"


def standard_geohash(score: float) -> str:
    """GEOHASH's 11 characters: the position re-encoded on the standard -90..90 latitude range."""
    lon, lat = decode_score(score)
    bits = encode(lon, lat, STEP_MAX, (-180.0, 180.0), (-90.0, 90.0)) or 0
    out = [GEOALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10)]
    out.append(GEOALPHABET[0])       # 52 bits only: the 11th character is always '0'
    return "".join(out)


# ---------------------------------------------------------------- distances
def lat_distance(lat1: float, lat2: float) -> float:
    """The distance along a meridian (geohashGetLatDistance)."""
    return EARTH_RADIUS * abs(lat2 * D_R - lat1 * D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine great-circle distance in meters (geohashGetDistance as in Redis 7.0.15:
    on the same meridian it takes the plain latitude difference)."""
    lon1r = lon1 * D_R
    lon2r = lon2 * D_R
    try:
        v = _sin((lon2r - lon1r) / 2)
        if v == 0.0:
            return EARTH_RADIUS * abs(lat2 * D_R - lat1 * D_R)
        lat1r = lat1 * D_R
        lat2r = lat2 * D_R
        u = _sin((lat2r - lat1r) / 2)
        return 2.0 * EARTH_RADIUS * _asin(_sqrt(u * u + _cos(lat1r) * _cos(lat2r) * v * v))
    except ValueError:
        v = _csin((lon2r - lon1r) / 2)
        if v == 0.0:
            return EARTH_RADIUS * abs(lat2 * D_R - lat1 * D_R)
        lat1r = lat1 * D_R
        lat2r = lat2 * D_R
        u = _csin((lat2r - lat1r) / 2)
        return 2.0 * EARTH_RADIUS * _casin(_csqrt(u * u + _ccos(lat1r) * _ccos(lat2r) * v * v))


def within_rectangle(width_m, height_m, x1, y1, x2, y2):
    """geohashGetDistanceIfInRectangle: the distance from the centre (x1, y1), or None when
    (x2, y2) is outside the box (latitude checked first, the cheaper one)."""
    if lat_distance(y2, y1) > height_m / 2:
        return None
    if distance(x2, y2, x1, y2) > width_m / 2:
        return None
    return distance(x1, y1, x2, y2)


# ---------------------------------------------------------------- search areas
def estimate_steps(range_meters: float, lat: float) -> int:
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return max(1, min(26, step))


def _move(bits: int, step: int, d: int, lat: bool) -> int:
    """geohash_move_x (longitude: the odd bits) / geohash_move_y (latitude: the even bits)."""
    odd_bits, even_bits = 0xAAAAAAAAAAAAAAAA, 0x5555555555555555
    mine, other = (even_bits, odd_bits) if lat else (odd_bits, even_bits)
    x = bits & mine
    y = bits & other
    zz = (other >> (64 - step * 2))
    if d > 0:
        x = (x + (zz + 1)) & M64
    else:
        x = ((x | zz) - (zz + 1)) & M64
    x &= (mine >> (64 - step * 2))
    return x | y


def neighbours(bits: int, step: int):
    """north, south, east, west, north_east, north_west, south_east, south_west."""
    def mv(dx, dy):
        b = bits
        if dx:
            b = _move(b, step, dx, False)
        if dy:
            b = _move(b, step, dy, True)
        return b
    return [mv(0, 1), mv(0, -1), mv(1, 0), mv(-1, 0), mv(1, 1), mv(-1, 1), mv(1, -1), mv(-1, -1)]


def _cdiv(a: float, b: float) -> float:
    """a / b with IEEE semantics (C: x/0 is +-inf or NaN, no exception)."""
    if b == 0.0:
        if a != a or a == 0.0:
            return NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def bounding_box(lon, lat, width_m, height_m):
    """geohashBoundingBox: (min_lon, min_lat, max_lon, max_lat); half sizes in meters."""
    lat_delta = (height_m / EARTH_RADIUS) / D_R
    long_delta_top = _cdiv(width_m / EARTH_RADIUS, _ccos((lat + lat_delta) * D_R)) / D_R
    long_delta_bottom = _cdiv(width_m / EARTH_RADIUS, _ccos((lat - lat_delta) * D_R)) / D_R
    if lat < 0:
        return lon - long_delta_bottom, lat - lat_delta, lon + long_delta_bottom, lat + lat_delta
    return lon - long_delta_top, lat - lat_delta, lon + long_delta_top, lat + lat_delta


def search_ranges(lon, lat, half_w_m, half_h_m, radius_m):
    """geohashCalculateAreasByShapeWGS84 + membersOfAllNeighbors' walk: the score ranges
    [min, max) to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), with cells
    excluded as useless and consecutive duplicates skipped."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(lon, lat, half_w_m, half_h_m)
    steps = estimate_steps(radius_m, lat)
    h = encode(lon, lat, steps)
    nb = neighbours(h, steps)
    n_area = decode_area(nb[0], steps)
    s_area = decode_area(nb[1], steps)
    e_area = decode_area(nb[2], steps)
    w_area = decode_area(nb[3], steps)
    if (n_area[3] < max_lat or s_area[2] > min_lat or e_area[1] < max_lon
            or w_area[0] > min_lon) and steps > 1:
        steps -= 1
        h = encode(lon, lat, steps)
        nb = neighbours(h, steps)
    area = decode_area(h, steps)
    cells = [h] + nb
    if steps >= 2:
        dead = set()
        if area[2] < min_lat:
            dead.update((2, 8, 7))       # south, south_west, south_east
        if area[3] > max_lat:
            dead.update((1, 5, 6))       # north, north_east, north_west
        if area[0] < min_lon:
            dead.update((4, 8, 6))       # west, south_west, north_west
        if area[1] > max_lon:
            dead.update((3, 7, 5))       # east, south_east, north_east
        for i in dead:
            cells[i] = None              # GZERO: bits 0, step 0
    shift = 52 - steps * 2
    ranges = []
    last = 0                             # index of the last cell scanned (0: never compared)
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if last and cell == cells[last]:
            continue                     # huge radii: adjacent cells can be the same
        ranges.append((cell << shift, (cell + 1) << shift))
        last = i
    return ranges
