//! comity's own elementary functions: the same bits on every machine and every CPU path.
//!
//! The model used to call the platform's `libm` for `exp`, `ln`, `powf` and `cos`. glibc picks
//! some of its implementations by CPU (`__ieee754_exp_fma` where there is FMA), and other C
//! libraries round differently, so a run's bytes depended on the machine's libm; and an `exp`
//! inside a loop kept the loop from vectorising. The functions here are plain IEEE arithmetic:
//! `+`, `-`, `*`, `/`, comparisons, selects and bit operations, which Rust never fuses or
//! reorders. With `sqrt` (correctly rounded everywhere, by IEEE 754) they are all the simulation
//! computes, so its outputs no longer depend on the platform's math library. [`exp`] has no
//! branch and no table: the row kernels ([`super::kernels`]) inline it and the compiler
//! vectorises it on every path, with the same bits as the scalar code.
//!
//! Errors, in ulps of the exact value (the largest measured by `benches/math_fits.py` against
//! 200-bit `mpmath`, on 150,000 inputs each; the unit tests check the functions against glibc
//! on millions):
//!
//! | function | method | max error |
//! |---|---|---|
//! | [`exp`] | Tang (1989), table-free as in fdlibm: `x = k ln 2 + r`, a degree-9 fit for `e^r` by Estrin's scheme | 0.71 ulp |
//! | [`ln`] | fdlibm's `log`: `ln(1 + f) = 2 atanh(f / (2 + f))`, a degree-7 fit in `s^2` | 0.77 ulp |
//! | [`cos_2pi`] | `cos(2 pi u)` reduced on `u` exactly, degree-7 fits in `w^2` on `\|w\| <= 1/8` | 1.53 ulp, 1.6e-16 absolute |
//! | [`pow`] | `exp(y ln x)` | about `0.7 + 1.3 \|y ln x\|` ulp |
//!
//! The polynomial coefficients are Chebyshev fits (`mpmath.chebyfit`, 200 bits) rounded to
//! `f64`; `benches/math_fits.py` refits them and checks that these are the fits.

/// `1.5 * 2^52`: `(y + ROUND) - ROUND` rounds `y` (|y| < 2^51) to the nearest integer, ties to
/// even.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// `2^52`: `(m + TWO_52)`'s low 52 bits hold the integer `m` for `0 <= m < 2^52`.
const TWO_52: f64 = 4_503_599_627_370_496.0;
/// `ln 2` as a head with 32 significant bits (`k * LN2_HI` is exact for `|k| < 2^21`) and the
/// rest (fdlibm's `ln2_hi`, `ln2_lo`).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// `(e^r - 1 - r) / r^2` on `|r| <= ln 2 / 2` as a polynomial of degree 9 (a Chebyshev fit; its
/// error, times `r^2 <= 0.121`, is below 0.05 ulp of `e^r`), evaluated by Estrin's scheme so that
/// the vector kernels are not held up by one long chain of dependent operations.
const EXP_POLY: [f64; 10] = [
    f64::from_bits(0x3fe0_0000_0000_0001),
    f64::from_bits(0x3fc5_5555_5555_5556),
    f64::from_bits(0x3fa5_5555_5555_3d63),
    f64::from_bits(0x3f81_1111_1111_09b3),
    f64::from_bits(0x3f56_c16c_1788_bd90),
    f64::from_bits(0x3f2a_01a0_1a7c_41d5),
    f64::from_bits(0x3efa_019b_90d2_ae7a),
    f64::from_bits(0x3ec7_1de0_dae6_3bb3),
    f64::from_bits(0x3e92_8918_5613_a3d6),
    f64::from_bits(0x3e5a_f38a_9b0e_c855),
];
/// Above this `exp` overflows to infinity (`exp(709.79) > f64::MAX`); below `-746` it is 0
/// (under half the smallest subnormal). Clamping there keeps `k` within `-1077 ..= 1025`.
const EXP_HIGH: f64 = 710.0;
const EXP_LOW: f64 = -746.0;

/// `2^k` for an integer-valued `k` in `-1022 ..= 1023`, from the bits.
#[inline(always)]
fn pow2(k: f64) -> f64 {
    let biased = ((k + 1023.0) + TWO_52).to_bits() & ((1u64 << 52) - 1);
    f64::from_bits(biased << 52)
}

/// `e^x`, within 0.75 ulp, the same bits on every machine (module docs). Cody-Waite reduction
/// `x = k ln 2 + r`, `|r| <= ln 2 / 2`, with `ln 2` in a 32-bit head (so `k ln2_hi` is exact)
/// and a tail; `exp(r) = 1 + r + r^2 P(r)` with `P` a degree-9 Chebyshev fit ([`EXP_POLY`]), the
/// rounding errors of `r` and of `1 + r` carried exactly into the small term; then `2^k` in two
/// factors, so that subnormal results round once. `exp(NaN)` is NaN,
/// `exp(+inf) = +inf`, `exp(-inf) = 0`, `exp(0) = 1` exactly; results below `f64::MIN_POSITIVE`
/// are subnormal, rounded once.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // NaN stays NaN through the clamp and the arithmetic.
    let xc = x.clamp(EXP_LOW, EXP_HIGH);
    let k = (xc * std::f64::consts::LOG2_E + ROUND) - ROUND;
    // r = x - k ln 2, as r plus the rounding error rc of its last subtraction
    let hi = xc - k * LN2_HI; // exact
    let lo = k * LN2_LO;
    let r = hi - lo;
    let rc = (hi - r) - lo;
    // Estrin: pairs, then pairs of pairs by r^2, r^4 and r^8
    let c = &EXP_POLY;
    let (r2, r4) = (r * r, (r * r) * (r * r));
    let r8 = r4 * r4;
    let low = (c[0] + c[1] * r) + (c[2] + c[3] * r) * r2;
    let high = (c[4] + c[5] * r) + (c[6] + c[7] * r) * r2;
    let small = r2 * ((low + high * r4) + (c[8] + c[9] * r) * r8);
    // 1 + r rounded, and its rounding error exactly (Fast2Sum, |r| < 1)
    let t = 1.0 + r;
    let t_err = (1.0 - t) + r;
    let e = t + ((t_err + rc) + small);
    // 2^k as 2^k1 * 2^k2, each within the normal exponents, so that subnormal results round once
    let k1 = (k * 0.5 + ROUND) - ROUND;
    let k2 = k - k1;
    (e * pow2(k1)) * pow2(k2)
}

/// `sqrt(2)`, rounded down: mantissas above it are halved, so `f = m - 1` lies in
/// `[sqrt(1/2) - 1, sqrt(2) - 1]`.
const SQRT_2: f64 = std::f64::consts::SQRT_2;
/// `R(z) / z` for `ln(1 + f) = 2 s + s R(z)`, `s = f / (2 + f)`, `z = s^2 <= 0.0295`: a degree-7
/// Chebyshev fit of `(2 atanh(s) - 2 s) / (s z)` (error 2e-18).
const LN_POLY: [f64; 8] = [
    f64::from_bits(0x3fe5_5555_5555_5555),
    f64::from_bits(0x3fd9_9999_9999_9a39),
    f64::from_bits(0x3fd2_4924_9247_6a1a),
    f64::from_bits(0x3fcc_71c7_201a_55d7),
    f64::from_bits(0x3fc7_45cf_8e4b_ba1b),
    f64::from_bits(0x3fc3_b1c3_c1c8_1c8f),
    f64::from_bits(0x3fc0_fbde_0f4a_d17b),
    f64::from_bits(0x3fc0_c0af_f044_a970),
];
/// `sin(2 pi w) / w` as a polynomial in `t = w^2`, `|w| <= 1/8` (degree-7 Chebyshev fit, error
/// 1e-20).
const SIN_2PI_POLY: [f64; 8] = [
    f64::from_bits(0x4019_21fb_5444_2d18),
    f64::from_bits(0xc044_abbc_e625_be53),
    f64::from_bits(0x4054_66bc_6775_aad9),
    f64::from_bits(0xc053_2d2c_ce62_ac0c),
    f64::from_bits(0x4045_0783_485c_9a89),
    f64::from_bits(0xc02e_3074_b4c7_418c),
    f64::from_bits(0x400e_8eec_e6e2_9f2a),
    f64::from_bits(0xbfe6_c5aa_ea56_852b),
];
/// `cos(2 pi w)` as a polynomial in `t = w^2`, `|w| <= 1/8` (degree-7 Chebyshev fit, error
/// 3e-20).
const COS_2PI_POLY: [f64; 8] = [
    f64::from_bits(0x3ff0_0000_0000_0000),
    f64::from_bits(0xc033_bd3c_c9be_45de),
    f64::from_bits(0x4050_3c1f_081b_5aac),
    f64::from_bits(0xc055_5d3c_7e3c_90bc),
    f64::from_bits(0x404e_1f50_6834_ff8a),
    f64::from_bits(0xc03a_6d1e_c744_d4c8),
    f64::from_bits(0x401f_9cc3_d5ba_881b),
    f64::from_bits(0xbffb_2639_532b_54be),
];

/// `c[0] + c[1] x + ... ` by Horner's rule.
#[inline(always)]
fn horner<const N: usize>(c: &[f64; N], x: f64) -> f64 {
    let mut p = c[N - 1];
    let mut k = N - 1;
    while k > 0 {
        k -= 1;
        p = p * x + c[k];
    }
    p
}

/// The natural logarithm, within 0.8 ulp, the same bits on every machine. `ln(1) = 0`
/// exactly, `ln(0) = -inf`, `ln(+inf) = +inf`; negative numbers and NaN give NaN; subnormal
/// inputs are exact.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return x;
    }
    // x = m 2^e with m in [1, 2) (subnormals scaled by 2^54 first)
    let (x, e0) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54.0)
    } else {
        (x, 0.0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as f64 - 1023.0 + e0;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > SQRT_2 {
        m *= 0.5;
        e += 1.0;
    }
    let f = m - 1.0; // exact
    let s = f / (2.0 + f);
    let z = s * s;
    let r = z * horner(&LN_POLY, z);
    let half_f2 = 0.5 * f * f;
    // fdlibm's order of operations: ln 2's tail joins the small terms before f
    e * LN2_HI - ((half_f2 - (s * (half_f2 + r) + e * LN2_LO)) - f)
}

/// `x^y` for `x >= 0` as `exp(y ln x)`: within about `0.7 + 1.3 |y ln x|` ulp, the same bits
/// on every machine. `pow(x, 0) = pow(1, y) = 1` and `pow(x, 1) = x` exactly (as IEEE `pow`
/// has them); `pow(0, y > 0) = 0`, `pow(0, y < 0) = inf`; a negative `x` gives NaN (comity's
/// bases are ratios, shares and probabilities).
pub fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        1.0
    } else if y == 1.0 {
        x
    } else {
        exp(y * ln(x))
    }
}

/// `cos(2 pi u)`, within 1.6 ulp and 1.6e-16 absolute, the same bits on every machine. The
/// reduction works on `u` itself (its distance to the nearest integer, then to a quarter), with
/// exact subtractions for the draws Box-Muller gives it (multiples of `2^-53` in `[0, 1)`), so
/// there is no rounding of `2 pi u` as `(2.0 * PI * u).cos()` has (up to 4e-16). For `|u| <
/// 2^51`; NaN and infinities give NaN.
pub fn cos_2pi(u: f64) -> f64 {
    if !u.is_finite() {
        return f64::NAN;
    }
    let a = (u - ((u + ROUND) - ROUND)).abs(); // in [0, 1/2]
    if a <= 0.125 {
        horner(&COS_2PI_POLY, a * a)
    } else if a <= 0.375 {
        // cos(2 pi a) = -sin(2 pi (a - 1/4))
        let w = a - 0.25;
        -(w * horner(&SIN_2PI_POLY, w * w))
    } else {
        // cos(2 pi a) = -cos(2 pi (1/2 - a))
        let w = 0.5 - a;
        -horner(&COS_2PI_POLY, w * w)
    }
}

/// The standard logistic function `1 / (1 + e^-x)` with comity's [`exp`].
#[inline(always)]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The distance in ulps between two finite doubles of the same sign (or zeros).
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn within_one_ulp_of_glibc_everywhere() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let mut differ = 0u32;
        let ranges: [(f64, f64); 5] = [
            (-1.0, 1.0),
            (-40.0, 40.0),
            (-708.0, 709.7),
            (-1e-6, 1e-6),
            (-745.0, -708.0),
        ];
        for &(a, b) in &ranges {
            for _ in 0..400_000 {
                let x: f64 = rng.random_range(a..b);
                let (ours, libm) = (exp(x), x.exp());
                if libm >= f64::MIN_POSITIVE {
                    assert!(ulps(ours, libm) <= 1, "exp({x:e}) = {ours:e}, libm {libm:e}");
                } else {
                    // subnormal: at most one unit of the smallest subnormal apart
                    assert!((ours - libm).abs() <= 5e-324, "exp({x:e}) = {ours:e}, libm {libm:e}");
                }
                differ += u32::from(ours != libm);
            }
        }
        // a faithful but careless exp differs from a near-correctly-rounded one far more often
        assert!(differ < 2_000_000 / 20, "{differ} of 2,000,000 differ from glibc");
    }

    #[test]
    fn special_values_and_limits() {
        assert_eq!(exp(0.0).to_bits(), 1f64.to_bits());
        assert_eq!(exp(-0.0).to_bits(), 1f64.to_bits());
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0f64.to_bits());
        assert_eq!(exp(709.79), f64::INFINITY);
        assert_eq!(exp(1e300), f64::INFINITY);
        assert_eq!(exp(709.78), 709.78f64.exp());
        assert_eq!(exp(-745.2), 0.0);
        assert_eq!(exp(-1e300), 0.0);
        assert_eq!(exp(-745.1), 5e-324);
        assert_eq!(exp(-708.39), (-708.39f64).exp());
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(1e-300), 1.0);
        // near whole multiples of ln 2 (where the reduction leaves r close to 0), over the whole
        // normal range
        for k in -1020..1020 {
            let x = f64::from(k) * std::f64::consts::LN_2;
            for x in [x.next_down(), x, x.next_up()] {
                assert!(ulps(exp(x), x.exp()) <= 1, "exp({x:e}) = {:e}", exp(x));
            }
        }
    }

    #[test]
    fn monotone_across_reduction_boundaries() {
        // around x = (k + 1/2) ln 2 the reduction switches k; the result must not step backwards
        for k in -50..50 {
            let mid = (f64::from(k) + 0.5) * std::f64::consts::LN_2;
            let mut x = mid - 64.0 * mid.abs().max(1.0) * f64::EPSILON;
            let mut last = exp(x);
            for _ in 0..128 {
                x = x.next_up();
                let y = exp(x);
                assert!(y >= last, "exp not monotone at {x:e}");
                last = y;
            }
        }
    }

    #[test]
    fn ln_within_one_ulp_of_glibc() {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        let mut differ = 0u32;
        for round in 0..1_000_000 {
            let x: f64 = match round % 4 {
                0 => rng.random_range(0.5..2.0),
                1 => rng.random_range(0.0..100.0),
                2 => rng.random_range(0.999..1.001),
                _ => f64::from_bits(rng.random_range(1u64..0x7ff0_0000_0000_0000)),
            };
            let (ours, libm) = (ln(x), x.ln());
            assert!(ulps(ours, libm) <= 1, "ln({x:e}) = {ours:e}, libm {libm:e}");
            differ += u32::from(ours != libm);
        }
        assert!(differ < 1_000_000 / 20, "{differ} of 1,000,000 differ from glibc");
    }

    #[test]
    fn ln_special_values() {
        assert_eq!(ln(1.0).to_bits(), 0f64.to_bits());
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(-0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan() && ln(f64::NEG_INFINITY).is_nan());
        assert_eq!(ln(2.0), std::f64::consts::LN_2);
        assert_eq!(ln(std::f64::consts::E), 1.0);
        assert_eq!(ln(5e-324), 5e-324f64.ln());
        assert_eq!(ln(f64::MAX), f64::MAX.ln());
        for k in -1074..1024 {
            let x = 2f64.powi(k);
            assert!(ulps(ln(x), x.ln()) <= 1, "ln(2^{k})");
        }
        // exp and ln undo each other, within the rounding of ln x (relative |ln x| 2^-53)
        for x in [0.1, 0.5, 1.5, 3.0, 100.0, 1e-200, 1e200] {
            let relative = (exp(ln(x)) - x).abs() / x;
            assert!(relative <= 3e-16 * ln(x).abs().max(1.0), "{x}: {relative:e}");
        }
    }

    #[test]
    fn pow_by_hand_and_against_glibc() {
        assert_eq!(pow(0.3, 1.0), 0.3);
        assert_eq!(pow(0.3, 0.0), 1.0);
        assert_eq!(pow(1.0, 7.5), 1.0);
        assert_eq!(pow(0.0, 0.5), 0.0);
        assert_eq!(pow(0.0, -0.5), f64::INFINITY);
        assert!(pow(-2.0, 0.5).is_nan());
        assert_eq!(pow(4.0, 0.5), 2.0);
        let mut rng = ChaCha8Rng::seed_from_u64(15);
        for _ in 0..200_000 {
            let x: f64 = rng.random_range(1e-3..1e3);
            let y: f64 = rng.random_range(-3.0..3.0);
            let (ours, libm) = (pow(x, y), x.powf(y));
            let bound = 2.0 + 1.5 * (y * x.ln()).abs();
            assert!(
                ulps(ours, libm) as f64 <= bound,
                "pow({x:e}, {y}) = {ours:e}, libm {libm:e}"
            );
        }
    }

    #[test]
    fn cos_2pi_against_glibc() {
        for (u, want) in [(0.0, 1.0), (0.5, -1.0), (1.0, 1.0), (-0.5, -1.0), (2.0, 1.0)] {
            assert_eq!(cos_2pi(u), want, "cos(2 pi {u})");
        }
        assert_eq!(cos_2pi(0.25), 0.0);
        assert_eq!(cos_2pi(0.75), 0.0);
        assert!(ulps(cos_2pi(0.125), std::f64::consts::FRAC_1_SQRT_2) <= 1);
        assert!(cos_2pi(f64::NAN).is_nan() && cos_2pi(f64::INFINITY).is_nan());
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        for _ in 0..1_000_000 {
            let u: f64 = rng.random();
            let (ours, libm) = (cos_2pi(u), (2.0 * std::f64::consts::PI * u).cos());
            // libm's argument 2 pi u is itself rounded, with PI (up to 4.4e-16 + 1.8e-16 away
            // from the exact one)
            assert!(
                (ours - libm).abs() <= 8e-16,
                "cos(2 pi {u:e}) = {ours:e}, libm {libm:e}"
            );
            assert!(ours.abs() <= 1.0);
        }
        // even, and periodic with period 1 (exactly: the reduction is exact; u - 1 is exact for u
        // in [0.5, 1])
        for u in [0.1, 0.2, 0.3, 0.4, 0.45, 0.123_456_789] {
            assert_eq!(cos_2pi(u), cos_2pi(-u));
            assert_eq!(cos_2pi(u + 0.5), cos_2pi(u + 0.5 - 1.0));
        }
    }

    #[test]
    fn logistic_by_hand() {
        assert_eq!(logistic(0.0), 0.5);
        assert!((logistic(2.0) - 1.0 / (1.0 + (-2f64).exp())).abs() < 1e-16);
        assert_eq!(logistic(-1e6), 0.0);
        assert_eq!(logistic(1e6), 1.0);
    }
}
