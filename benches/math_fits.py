#!/usr/bin/env python3
"""Where the constants of comity's own math come from, and how accurate the functions are.

`src/sim/math.rs` computes exp, ln, pow and cos(2 pi u) with plain IEEE arithmetic (issue 13:
the same bits on every machine, and an `exp` the vector kernels can inline). This script

1. refits its polynomials with `mpmath.chebyfit` at 200 bits and checks that the constants in
   `src/sim/math.rs` are those fits rounded to f64 (so the numbers have a source);
2. measures the largest error, in ulps of the exact value, of Python mirrors of the Rust
   functions (Python floats are IEEE doubles and Python never fuses a multiply-add, so the
   mirrors round exactly as the Rust code does), against 200-bit mpmath.

    python3 benches/math_fits.py            # needs mpmath (pip install mpmath); about a minute

The unit tests in `src/sim/math.rs` check the Rust functions themselves against glibc on
millions of inputs; this script is where the stated maximum errors come from.
"""

import math
import pathlib
import random
import re
import struct
import sys

try:
    import mpmath
except ImportError:
    sys.exit("math_fits.py needs mpmath: pip install mpmath")

mpmath.mp.prec = 200


def from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def to_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def rust_constants(name):
    """The f64::from_bits constants of the array `name` in src/sim/math.rs."""
    src = (pathlib.Path(__file__).resolve().parent.parent / "src/sim/math.rs").read_text()
    body = re.search(r"const " + name + r": \[f64; \d+\] = \[(.*?)\];", src, re.S).group(1)
    return [from_bits(int(h.replace("_", ""), 16)) for h in re.findall(r"0x([0-9a-f_]+)", body)]


def fit(f, lo, hi, terms):
    poly, err = mpmath.chebyfit(f, [lo, hi], terms, error=True)
    return [float(c) for c in poly[::-1]], err


# --- 1. the fits -------------------------------------------------------------------------------

SMAX2 = ((mpmath.sqrt(2) - 1) / (mpmath.sqrt(2) + 1)) ** 2 * mpmath.mpf("1.001")
T = mpmath.mpf(1) / 64 * mpmath.mpf("1.001")


def ln_r_over_z(z):
    if z == 0:
        return mpmath.mpf(2) / 3
    s = mpmath.sqrt(z)
    return (2 * mpmath.atanh(s) - 2 * s) / (s * z)


def sin_over_w(t):
    return 2 * mpmath.pi if t == 0 else mpmath.sin(2 * mpmath.pi * mpmath.sqrt(t)) / mpmath.sqrt(t)


def cos_of(t):
    return mpmath.cos(2 * mpmath.pi * mpmath.sqrt(t))


HALF_LN2 = mpmath.log(2) / 2 * mpmath.mpf("1.0001")


def exp_small_over_r2(r):
    return mpmath.mpf(1) / 2 if r == 0 else (mpmath.exp(r) - 1 - r) / r**2


def largest_gap(f, coefficients, lo, hi):
    """The largest |fit - f| on a grid of 2,001 points (chebyfit's own estimate is not used)."""
    worst = mpmath.mpf(0)
    for k in range(2001):
        x = lo + (hi - lo) * mpmath.mpf(k) / 2000
        p = mpmath.mpf(0)
        for c in reversed(coefficients):
            p = p * x + mpmath.mpf(c)
        worst = max(worst, abs(p - f(x)))
    return worst


ok = True
for name, f, lo, hi, terms in [
    ("EXP_POLY", exp_small_over_r2, -HALF_LN2, HALF_LN2, 10),
    ("LN_POLY", ln_r_over_z, 0, SMAX2, 8),
    ("SIN_2PI_POLY", sin_over_w, 0, T, 8),
    ("COS_2PI_POLY", cos_of, 0, T, 8),
]:
    coefficients, _ = fit(f, lo, hi, terms)
    same = coefficients == rust_constants(name)
    ok &= same
    gap = largest_gap(f, coefficients, lo, hi)
    print(f"{name}: degree {terms - 1} Chebyshev fit, largest gap {mpmath.nstr(gap, 3)}; src/sim/math.rs has it: {same}")

# --- 2. mirrors of the Rust functions, op for op ----------------------------------------------

LOG2_E = 1.4426950408889634
ROUND = 6755399441055744.0
TWO_52 = 4503599627370496.0
LN2_HI = from_bits(0x3FE62E42FEE00000)
LN2_LO = from_bits(0x3DEA39EF35793C76)
EXP_POLY = rust_constants("EXP_POLY")
LN_POLY = rust_constants("LN_POLY")
SIN_POLY = rust_constants("SIN_2PI_POLY")
COS_POLY = rust_constants("COS_2PI_POLY")


def horner(c, x):
    p = c[-1]
    for a in reversed(c[:-1]):
        p = p * x + a
    return p


def pow2(k):
    biased = to_bits((k + 1023.0) + TWO_52) & ((1 << 52) - 1)
    return from_bits(biased << 52)


def exp(x):
    xc = 710.0 if x > 710.0 else (-746.0 if x < -746.0 else x)
    k = (xc * LOG2_E + ROUND) - ROUND
    hi = xc - k * LN2_HI
    lo = k * LN2_LO
    r = hi - lo
    rc = (hi - r) - lo
    c = EXP_POLY
    r2, r4 = r * r, (r * r) * (r * r)
    r8 = r4 * r4
    low = (c[0] + c[1] * r) + (c[2] + c[3] * r) * r2
    high = (c[4] + c[5] * r) + (c[6] + c[7] * r) * r2
    small = r2 * ((low + high * r4) + (c[8] + c[9] * r) * r8)
    t = 1.0 + r
    t_err = (1.0 - t) + r
    e = t + ((t_err + rc) + small)
    k1 = (k * 0.5 + ROUND) - ROUND
    k2 = k - k1
    return (e * pow2(k1)) * pow2(k2)


def ln(x):
    x, e0 = (x * 18014398509481984.0, -54.0) if x < 2.2250738585072014e-308 else (x, 0.0)
    bits = to_bits(x)
    e = float((bits >> 52) & 0x7FF) - 1023.0 + e0
    m = from_bits((bits & ((1 << 52) - 1)) | (1023 << 52))
    if m > math.sqrt(2):
        m *= 0.5
        e += 1.0
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    r = z * horner(LN_POLY, z)
    half_f2 = 0.5 * f * f
    return e * LN2_HI - ((half_f2 - (s * (half_f2 + r) + e * LN2_LO)) - f)


def cos_2pi(u):
    a = abs(u - ((u + ROUND) - ROUND))
    if a <= 0.125:
        return horner(COS_POLY, a * a)
    if a <= 0.375:
        w = a - 0.25
        return -(w * horner(SIN_POLY, w * w))
    w = 0.5 - a
    return -horner(COS_POLY, w * w)


def ulp_error(y, exact):
    return float(abs(mpmath.mpf(y) - exact) / math.ulp(y))


rng = random.Random(1)
worst = {}
for name, draw, ours, exact in [
    ("exp", lambda: rng.choice([rng.uniform(-1, 1), rng.uniform(-40, 40), rng.uniform(-708, 709)]),
     exp, lambda x: mpmath.exp(mpmath.mpf(x))),
    ("ln", lambda: rng.choice([rng.uniform(0.5, 2), rng.uniform(0, 100), math.exp(rng.uniform(-700, 700)),
                               rng.uniform(0.99, 1.01)]),
     ln, lambda x: mpmath.log(mpmath.mpf(x))),
    ("cos_2pi", lambda: rng.randrange(2**53) / 2**53, cos_2pi, lambda u: mpmath.cos(2 * mpmath.pi * mpmath.mpf(u))),
]:
    w = (0.0, None)
    for _ in range(150_000):
        x = draw()
        e = ulp_error(ours(x), exact(x))
        if e > w[0]:
            w = (e, x)
    worst[name] = w
    print(f"{name}: max error {w[0]:.3f} ulp (at {w[1]!r}) on 150,000 inputs")
if not ok:
    sys.exit("the constants in src/sim/math.rs are not the fits above")
