//! The model's mechanisms as small pure functions: numbers in, numbers out.
//!
//! Systems gather inputs from the world and call these; each function names its
//! equation and its source. Unit tests below check them against hand-computed
//! values.

use super::math::{cos_2pi, exp, ln, pow};

/// Ceilings of the quantities that grow by multiplication during a run: a state's power (a
/// share of the system's capabilities, at most 1 at the start), its GDP (trillion USD, at most
/// 1e6 at the start) and a pair's trade (bn USD per year, at most 1e6 at the start). Drift over
/// thousands of years or shocks piled on shocks would otherwise overflow them to infinity and
/// trust, identity and the metrics to NaN (issue 12); a value that reaches its ceiling stays
/// there. Far above anything a real scenario reaches, so they change no output of one
/// (docs/scenario-format.md, section Bounds).
pub const POWER_CEILING: f64 = 1e6;
pub const GDP_CEILING: f64 = 1e12;
pub const TRADE_CEILING: f64 = 1e12;
/// Ceiling of a pair's trade dependence (trade / GDP): a GDP that drifted toward 0 beside a
/// large trade would make it infinite, and 0 x infinity in the onset logit NaN.
pub const DEPENDENCE_CEILING: f64 = 1e6;

/// Standard logistic function, with comity's own `exp` ([`super::math::logistic`]).
#[inline(always)]
pub fn logistic(x: f64) -> f64 {
    super::math::logistic(x)
}

/// Box-Muller transform of two uniforms in [0, 1) to one standard normal.
pub fn box_muller(u1: f64, u2: f64) -> f64 {
    (-2.0 * ln(1.0 - u1)).sqrt() * cos_2pi(u2)
}

/// Converts a yearly rate of adjustment to a per-step share: `1 - (1 - r)^dt`.
pub fn per_step_rate(rate_per_year: f64, dt: f64) -> f64 {
    crate::time::per_step_probability(rate_per_year, dt)
}

/// Bayesian trust update after one observed signal (Kydd 2005):
/// cooperation `T' = T q_c / (T q_c + (1 - T) q_u)`,
/// defection `T' = T (1 - q_c) / (T (1 - q_c) + (1 - T)(1 - q_u))`.
pub fn bayes_update(trust: f64, q_coop: f64, q_uncoop: f64, cooperated: bool) -> f64 {
    let (lt, lu) = if cooperated {
        (q_coop, q_uncoop)
    } else {
        (1.0 - q_coop, 1.0 - q_uncoop)
    };
    let num = trust * lt;
    let den = num + (1.0 - trust) * lu;
    if den <= 0.0 { trust } else { num / den }
}

/// A signal of weight `w`: `floor(w)` full Bayesian updates, then a partial
/// step of the fractional part toward the next posterior. Weight 0 changes nothing.
pub fn weighted_signal(trust: f64, q_coop: f64, q_uncoop: f64, cooperated: bool, weight: f64) -> f64 {
    if weight <= 0.0 {
        return trust;
    }
    let mut t = trust;
    let whole = weight.floor().min(50.0) as u32;
    for _ in 0..whole {
        t = bayes_update(t, q_coop, q_uncoop, cooperated);
    }
    let frac = weight - weight.floor();
    if frac > 0.0 {
        t += frac * (bayes_update(t, q_coop, q_uncoop, cooperated) - t);
    }
    t.clamp(0.0, 1.0)
}

/// Identity pulls trust along (constructivist): `T + nu (W - T)`.
pub fn identity_pull(trust: f64, identity: f64, nu_step: f64) -> f64 {
    trust + nu_step * (identity - trust)
}

/// Savage-Deutsch relative acceptance `RA = (A - E) / E` with `E = A_i A_j / A_total`.
/// `None` when the expectation is zero (a state with no transactions).
pub fn relative_acceptance(actual: f64, total_i: f64, total_j: f64, total: f64) -> Option<f64> {
    if total <= 0.0 {
        return None;
    }
    let expected = total_i * total_j / total;
    (expected > 0.0).then(|| (actual - expected) / expected)
}

/// The transaction drive of we-feeling for a pair (Deutsch 1957; Savage-Deutsch):
/// `bias + s_RA min(RA, 10) + d_I institutions + d_N (similarity - 0.5) - d_R rivalry`, with `rivalry`
/// the pair's rivalry pressure ([`rivalry_pressure`]).
/// The rivalry term is the constructivist reading of conflict memory: enemy images reproduce
/// themselves, so rivals do not come to identify with each other (Wendt 1999, ch. 6).
pub fn transaction_drive(
    p: &crate::params::Params,
    relative_acceptance: f64,
    institutions: f64,
    norm_similarity: f64,
    rivalry: f64,
) -> f64 {
    p.identity_bias
        + p.identity_ra_slope * relative_acceptance.min(10.0)
        + p.identity_institution_drive * institutions
        + p.identity_norm_drive * (norm_similarity - 0.5)
        - p.identity_rivalry_drive * rivalry
}

/// One step of we-feeling (Deutsch 1957):
/// `W + eta * logistic(drive) * f * (1 - W) - mu * W`, `f` the state's openness factor.
pub fn identity_step(identity: f64, drive: f64, eta_step: f64, mu_step: f64, openness: f64) -> f64 {
    identity_growth_step(identity, logistic(drive), eta_step, mu_step, openness)
}

/// [`identity_step`] with the logistic of the drive already taken.
pub fn identity_growth_step(identity: f64, pull: f64, eta_step: f64, mu_step: f64, openness: f64) -> f64 {
    (identity + eta_step * pull * openness * (1.0 - identity) - mu_step * identity).clamp(0.0, 1.0)
}

/// Openness of a state to identification with others: `2 * orientation`
/// (1 at a neutral 0.5, 0 for a fully nationalist state, 2 for a fully internationalist one).
pub fn openness(orientation: f64) -> f64 {
    2.0 * orientation
}

/// One step of a geometric random walk (geometric Brownian motion, exact discretisation):
/// `x exp((g - s^2 / 2) dt + s sqrt(dt) z)`, `z` a standard normal draw: GDP with trend
/// `gdp_growth` and volatility `gdp_volatility`.
pub fn geometric_step(x: f64, growth: f64, volatility: f64, dt: f64, z: f64) -> f64 {
    x * exp((growth - 0.5 * volatility * volatility) * dt + volatility * dt.sqrt() * z)
}

/// [`geometric_step`] without a trend, `x exp(s sqrt(dt) z - s^2 dt / 2)`, whose expectation is
/// `x`: power shares (volatility `power_volatility`) wander without drifting. (The same value as
/// `geometric_step` with `g = 0` up to rounding; kept as its own function because runs depend on
/// its exact bits.)
pub fn martingale_step(x: f64, volatility: f64, dt: f64, z: f64) -> f64 {
    x * exp(volatility * dt.sqrt() * z - 0.5 * volatility * volatility * dt)
}

/// Probability that state i, not j, initiates a dispute of the pair: `0.5 + (T_ji - T_ij) / 2`
/// clamped to `[0.05, 0.95]`: the side that trusts less is the likelier initiator (the spiral
/// model, Jervis 1976), and neither side is ever certain to be the one.
pub fn initiator_probability(trust_ij: f64, trust_ji: f64) -> f64 {
    (0.5 + 0.5 * (trust_ji - trust_ij)).clamp(0.05, 0.95)
}

/// Contact weight of state j as i's norm partner (Axelrod 1997's neighbourhood, widened from
/// adjacency to contact): `c_0 + [contiguous] + I_ij + c_X X_ij / X_i`, with `I_ij` the
/// salience-weighted institutions the two share and `X_ij / X_i` j's share of i's trade (0 when i
/// trades with no one). A state meets partners in proportion to these weights.
#[inline(always)]
pub fn norm_contact_weight(
    p: &crate::params::Params,
    contiguous: bool,
    institutions: f64,
    trade: f64,
    row_trade: f64,
) -> f64 {
    p.norm_contact_floor
        + f64::from(u8::from(contiguous))
        + institutions
        + if row_trade > 0.0 {
            p.norm_trade_contact * trade / row_trade
        } else {
            0.0
        }
}

/// Norm similarity `1 - mean |n_i - n_j|` (Axelrod 1997, for continuous traits).
pub fn norm_similarity(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() {
        return 1.0;
    }
    1.0 - a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

/// Gravity trade target relative to the dyad's observed baseline (partial
/// adjustment model; Tinbergen 1962, Anderson & van Wincoop 2003). Static terms
/// (distance, the constant G) are absorbed in `baseline`, so only changes move the target:
/// `X* = X0 (Y_i/Y_i0)^a (Y_j/Y_j0)^a exp(d dPTA + f dIGO - g recent) ((1 - tau) / (1 - tau0))^sigma`,
/// with `sigma` the trade elasticity of tariffs.
#[allow(clippy::too_many_arguments)]
pub fn gravity_target(
    baseline: f64,
    gdp_ratio_i: f64,
    gdp_ratio_j: f64,
    elasticity: f64,
    log_shift: f64,
    tariff: f64,
    tariff0: f64,
    tariff_elasticity: f64,
) -> f64 {
    baseline
        * pow(gdp_ratio_i, elasticity)
        * pow(gdp_ratio_j, elasticity)
        * exp(log_shift)
        * pow((1.0 - tariff) / (1.0 - tariff0).max(1e-9), tariff_elasticity)
}

/// The log shift of a pair's gravity target: `d dPTA + f dI - g exp(-peace_years / m)`, its
/// shared trade pacts and institutions against the start and the fading penalty of its last
/// dispute (Pollins 1989; the exponential fading is comity's own).
pub fn trade_log_shift(pta_change: f64, institution_change: f64, peace_years: f64, p: &crate::params::Params) -> f64 {
    trade_log_shift_faded(
        pta_change,
        institution_change,
        exp(-peace_years / p.trade_dispute_memory),
        p,
    )
}

/// [`trade_log_shift`] with the dispute's fading `exp(-peace_years / m)` given (computed in the
/// trade kernel, [`super::kernels::trade_targets`]): the same value, bit for bit.
#[inline(always)]
pub fn trade_log_shift_faded(pta_change: f64, institution_change: f64, fading: f64, p: &crate::params::Params) -> f64 {
    p.trade_pta_effect * pta_change + p.trade_institution_effect * institution_change - p.trade_dispute_penalty * fading
}

/// [`gravity_target`] with the GDP terms already raised to their elasticity (`growth_i =
/// (Y_i / Y_i0)^a`, once per state and tick) and no tariff at the start: the same value, bit for
/// bit, with the tariff factor skipped when there is no tariff.
pub fn gravity_target_grown(
    baseline: f64,
    growth_i: f64,
    growth_j: f64,
    log_shift: f64,
    tariff: f64,
    tariff_elasticity: f64,
) -> f64 {
    if tariff > 0.0 {
        gravity_target(
            baseline,
            growth_i,
            growth_j,
            1.0,
            log_shift,
            tariff,
            0.0,
            tariff_elasticity,
        )
    } else {
        baseline * growth_i * growth_j * exp(log_shift)
    }
}

/// Partial adjustment `X + lambda (X* - X)`.
pub fn partial_adjust(x: f64, target: f64, lambda_step: f64) -> f64 {
    x + lambda_step * (target - x)
}

/// Trade dependence of the pair: the smaller of the two states' trade-to-GDP ratios,
/// `X / max(GDP_i, GDP_j)` (Oneal & Russett's weak link). Trade in bn USD, GDP in
/// trillion USD; 0 when a GDP is unknown.
#[inline]
pub fn trade_dependence(trade_bn: f64, gdp_i: f64, gdp_j: f64) -> f64 {
    if gdp_i <= 0.0 || gdp_j <= 0.0 {
        0.0
    } else {
        (trade_bn / (gdp_i.max(gdp_j) * 1000.0)).min(DEPENDENCE_CEILING)
    }
}

/// Parity of two capabilities: 1 at equality, toward 0 at preponderance.
pub fn parity(pa: f64, pb: f64) -> f64 {
    if pa + pb <= 0.0 {
        1.0
    } else {
        1.0 - (pa - pb).abs() / (pa + pb)
    }
}

/// |ln(p_a / p_b)|, with shares floored at 1e-6.
pub fn log_power_ratio(pa: f64, pb: f64) -> f64 {
    (log_power(pa) - log_power(pb)).abs()
}

/// ln of a power share floored at 1e-6 (so that `log_power_ratio` can be formed from per-state values).
pub fn log_power(p: f64) -> f64 {
    ln(p.max(1e-6))
}

/// The distance term of the onset logit, `ln(1 + distance / 1000 km)`.
pub fn log_distance(distance_km: f64) -> f64 {
    ln(1.0 + distance_km / 1000.0)
}

/// Inputs of the dispute-onset logit for one dyad-year.
#[derive(Clone, Copy, Debug, Default)]
pub struct OnsetInputs {
    pub contiguous: bool,
    /// `ln(1 + distance / 1000 km)`.
    pub log_distance: f64,
    pub major: bool,
    pub log_power_ratio: f64,
    pub min_democracy: f64,
    pub dependence: f64,
    pub institutions: f64,
    pub allied: bool,
    pub peace_years: f64,
    pub mean_trust: f64,
    pub mean_identity: f64,
    /// Rivalry pressure in [0, 1) ([`rivalry_pressure`]).
    pub rivalry: f64,
    /// IGO density in [0, 1] ([`igo_density`]).
    pub igo_density: f64,
}

/// Dispute onset per dyad-year (Bremer 1992; Russett & Oneal 2001; brief section 3):
/// `logit P = b0 + b_c contig + b_d ln(1 + dist/1000) + b_m major + b_cm contig*major + b_r |ln ratio| + b_D minDem
/// + b_X minDep + b_I min(inst, 3) + b_A allied + g exp(-py/tau) + L_distrust (1 - T) + L_identity W
/// + b_R rivalry + b_IGO density`, `rivalry` the pressure of the pair's rivalry stock ([`rivalry_pressure`]). The rivalry term is event dependence (Crescenzi & Enterline
/// 2001): each past dispute raises the hazard of the next, fading with the stock's half-life.
/// The zone-of-peace gate multiplies the probability afterwards ([`gated_probability`]).
pub fn onset_logit(p: &crate::params::Params, x: &OnsetInputs) -> f64 {
    onset_logit_with_recent(p, x, exp(-x.peace_years / p.onset_recent_decay))
}

/// An upper bound of [`onset_logit`] without its exponential: the recent-dispute term
/// `exp(-py / tau)` replaced by its bound ([`exp_upper_bound`]), or by 0 when `g < 0`. Floating-point
/// sums and products are monotone, so the bound holds for the computed values, not only the exact ones.
#[inline]
pub fn onset_logit_bound(p: &crate::params::Params, x: &OnsetInputs) -> f64 {
    // Computed either way and selected (no branch), so that dispute onset's row loop vectorises.
    let bound = exp_upper_bound(-x.peace_years / p.onset_recent_decay);
    let recent = if p.onset_recent >= 0.0 { bound } else { 0.0 };
    onset_logit_with_recent(p, x, recent)
}

/// [`onset_logit`] with the recent-dispute factor `exp(-py / tau)` given.
#[inline]
fn onset_logit_with_recent(p: &crate::params::Params, x: &OnsetInputs, recent: f64) -> f64 {
    p.onset_base
        + if x.contiguous { p.onset_contiguous } else { 0.0 }
        + p.onset_distance * x.log_distance
        + if x.major { p.onset_major } else { 0.0 }
        + if x.major && x.contiguous {
            p.onset_contiguous_major
        } else {
            0.0
        }
        + p.onset_power_ratio * x.log_power_ratio
        + p.onset_democracy * x.min_democracy
        + p.onset_trade * x.dependence
        + p.onset_institutions * x.institutions.min(3.0)
        + if x.allied { p.onset_alliance } else { 0.0 }
        + p.onset_recent * recent
        + p.onset_distrust * (1.0 - x.mean_trust)
        + p.onset_identity * x.mean_identity
        + p.onset_rivalry * x.rivalry
        + p.onset_igo_density * x.igo_density
}

/// A cheap upper bound of `exp(x)` as computed by [`super::math::exp`]: `2^ceil(x log2(e) + 1e-9)`, at
/// most twice `exp(x)` (and at least the smallest normal number, infinite above `2^1023`). It
/// lets dispute onset skip the two exponentials of a pair whose uniform draw is above an upper
/// bound of its hazard ([`onset_bound_exceeded`]); being a bound, not an approximation, it
/// changes no result. The `1e-9` covers the rounding of `x log2(e)` (at most `3e-13` for `|x| <
/// 1100`) and of `exp` itself (under one ulp).
#[inline]
pub fn exp_upper_bound(x: f64) -> f64 {
    // Branch-free (selects, no integer conversion), so that dispute onset's row loop vectorises.
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52: (y + ROUND) - ROUND rounds y to an integer
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let y = x * std::f64::consts::LOG2_E + 1e-9;
    let above = y.is_nan() | (y > 1023.0);
    let below = y <= -1022.0;
    let y = if above | below { 0.0 } else { y };
    // ceil(y) for y in (-1022, 1023]: the nearest integer, plus one when that is below y
    let nearest = (y + ROUND) - ROUND;
    let k = if nearest < y { nearest + 1.0 } else { nearest };
    // 2^k: the biased exponent k + 1023 (1 ..= 2046) read from the low bits of 2^52 + k + 1023
    let biased = ((k + 1023.0) + TWO_52).to_bits() & ((1u64 << 52) - 1);
    let power = f64::from_bits(biased << 52);
    if above {
        f64::INFINITY
    } else if below {
        f64::MIN_POSITIVE
    } else {
        power
    }
}

/// Whether a uniform draw `u` is certainly at or above the onset probability of a pair whose
/// onset logit is at most `logit_bound`: then `u < P` is false and the pair has no onset,
/// whatever the exact `P` is. The hazard after the zone gate and the step conversion is at most
/// `logistic(logit) < exp(logit) <= exp_upper_bound(logit_bound)`; the `1e-12` absorbs any
/// rounding of the exact computation (draws that small take the exact path).
#[inline]
pub fn onset_bound_exceeded(u: f64, logit_bound: f64) -> bool {
    u >= exp_upper_bound(logit_bound) + 1e-12
}

/// Linear ramp: 0 at or below `low`, 1 at or above `high` (a step at `low` when `high <= low`).
pub fn ramp(x: f64, low: f64, high: f64) -> f64 {
    if high <= low {
        return if x >= low { 1.0 } else { 0.0 };
    }
    ((x - low) / (high - low)).clamp(0.0, 1.0)
}

/// IGO density of a pair: `min(shared IGOs / scale, 1)` (Russett & Oneal 2001 count shared
/// IGO memberships, COW IGO data).
#[inline]
pub fn igo_density(shared_igos: f64, scale: f64) -> f64 {
    // A select, not an early return, so that dispute onset's row loop vectorises.
    let density = (shared_igos.max(0.0) / scale).min(1.0);
    if scale <= 0.0 { 0.0 } else { density }
}

/// What a lens reads to judge whether a pair is a zone of peace.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZoneInputs {
    /// The pair is in Wendt's Kantian culture (with hysteresis).
    pub kantian: bool,
    /// Mean identity and mean trust of the pair.
    pub mean_identity: f64,
    pub mean_trust: f64,
    pub min_democracy: f64,
    /// The weaker side's trade dependence ([`trade_dependence`]).
    pub dependence: f64,
    pub igo_density: f64,
}

impl ZoneInputs {
    /// The zone inputs of a pair whose onset inputs are already gathered.
    pub fn of(kantian: bool, x: &OnsetInputs) -> ZoneInputs {
        ZoneInputs {
            kantian,
            mean_identity: x.mean_identity,
            mean_trust: x.mean_trust,
            min_democracy: x.min_democracy,
            dependence: x.dependence,
            igo_density: x.igo_density,
        }
    }
}

/// Zone-of-peace score of a pair in [0, 1]: Deutsch's "dependable expectations of peaceful
/// change" as each lens explains them, `z = max(w_K z_K, w_L z_L)`:
/// - constructivist (Wendt 1999; Adler & Barnett 1998): `z_K = 1` in a Kantian dyad, else
///   `ramp(min(W, T), zone_kantian_low, kantian_enter)`: we-feeling and trust make force unthinkable;
/// - liberal (Russett & Oneal 2001, "all three in the top decile"): `z_L = D X I`, the product of
///   the democracy, interdependence and IGO scores, each a ramp between a low and a top-decile
///   level, so the three pacify jointly, not additively;
/// - realist: both weights 0, no zone of peace.
pub fn zone_score(p: &crate::params::Params, x: &ZoneInputs) -> f64 {
    let kantian = if p.zone_kantian_weight > 0.0 {
        if x.kantian {
            1.0
        } else {
            ramp(x.mean_identity.min(x.mean_trust), p.zone_kantian_low, p.kantian_enter)
        }
    } else {
        0.0
    };
    let liberal = if p.zone_liberal_weight > 0.0 {
        ramp(x.min_democracy, p.zone_democracy_low, p.zone_democracy_high)
            * ramp(x.dependence, p.zone_trade_low, p.zone_trade_high)
            * ramp(x.igo_density, p.zone_igo_low, p.zone_igo_high)
    } else {
        0.0
    };
    (p.zone_kantian_weight * kantian).max(p.zone_liberal_weight * liberal)
}

/// The gate on the dispute hazard: `P (1 - zone_peace z)`. A multiplicative factor, not one more
/// logit term, so that no amount of contiguity or rivalry outweighs a security community.
pub fn gated_probability(probability: f64, zone_peace: f64, zone: f64) -> f64 {
    probability * (1.0 - zone_peace * zone).clamp(0.0, 1.0)
}

/// Disputes in a pair with zone score at least 0.5 settle by talks below the use of force.
pub fn settles_by_talks(p: &crate::params::Params, zone: f64) -> bool {
    p.zone_cap >= 0.5 && zone >= 0.5
}

/// The rivalry stock after `dt` years without a dispute: `R 0.5^(dt / half_life)`
/// (conflict memory; Crescenzi & Enterline 2001, Thompson & Dreyer 2012). Each dispute adds 1.
/// Rivalry pressure of a stock: `R / (R + k)`, 0 without disputes, one half at `k`, below 1.
/// Saturating, so that event dependence raises a rivalry's hazard a bounded amount and
/// a hot rivalry does not run away into a dispute every year.
#[inline]
pub fn rivalry_pressure(stock: f64, saturation: f64) -> f64 {
    if stock <= 0.0 {
        return 0.0;
    }
    stock / (stock + saturation)
}

pub fn rivalry_decay(stock: f64, dt: f64, half_life: f64) -> f64 {
    stock * half_life_keep(dt, half_life)
}

/// Structural trust anchor of a directed pair: the level the lens's structural variables set,
/// relative to the pair's trust at the start `t0` (the imported structural proxy):
/// `A = clamp(logistic(logit t0 - s_p G) (1 - s_r dRival) + shift, 0, 1)`, with `G` the partner's
/// log capability change since the start minus one's own (realist power; Jervis 1978, Grieco 1988),
/// `dRival` the change in the partner's alignment with states one distrusts (Walt 1987), and
/// `shift` the lens-weighted changes of alliance, institutions and rivalry ([`anchor_shift`]).
///
/// Computed in the algebraic form `logistic(logit t0 - s_p G) = 1 / (1 + ((1 - t0) / t0) exp(s_p G))`
/// ([`trust_anchor_from_odds`]), where `exp(s_p G)` is the ratio of two per-state factors
/// ([`power_factor`], [`dilemma_ratio`]): no logarithm or exponential per pair. It agrees with the
/// logistic form to within `ANCHOR_FORM_ERROR` (tested).
pub fn trust_anchor(
    t0: f64,
    relative_gain: f64,
    power_sens: f64,
    rival_change: f64,
    rival_sens: f64,
    shift: f64,
) -> f64 {
    let ratio = exp(power_sens * relative_gain);
    trust_anchor_from_odds(
        t0,
        anchor_odds_against(t0),
        ratio,
        power_sens * relative_gain != 0.0,
        rival_change,
        rival_sens,
        shift,
    )
}

/// The largest absolute difference between the anchor's algebraic form
/// ([`trust_anchor_from_odds`] with [`dilemma_ratio`]) and the logistic form
/// `logistic(ln(t0 / (1 - t0)) - s_p G)` it replaced (issue 13), over starting trust in
/// `[1e-6, 1 - 1e-6]` and `|s_p G| <= 30`: a few units in the last place of a number below 1
/// (the largest in the test's million draws is 5.6e-16).
pub const ANCHOR_FORM_ERROR: f64 = 2e-15;

/// The odds against the starting trust, `(1 - t) / t` of `t0` clamped to `[1e-12, 1 - 1e-12]`. A
/// pair's `t0` never changes, so a run computes this once per directed pair
/// ([`trust_anchor_from_odds`]).
pub fn anchor_odds_against(t0: f64) -> f64 {
    let t = t0.clamp(1e-12, 1.0 - 1e-12);
    (1.0 - t) / t
}

/// A state's security-dilemma factor `exp(s_p g)`, `g` its log capability change since the start
/// ([`power_growth`]): taken once per state and tick, so that a pair's `exp(s_p G)` is a ratio
/// ([`dilemma_ratio`]).
pub fn power_factor(power_sens: f64, growth: f64) -> f64 {
    exp(power_sens * growth)
}

/// `exp(s_p G)` of a directed pair, `G = g_to - g_from`: the ratio of the two states' factors
/// ([`power_factor`]), or `exp(s_p G)` itself when a factor has overflowed, underflowed or is not
/// a normal number (capability changes of hundreds of orders of magnitude).
pub fn dilemma_ratio(factor_to: f64, factor_from: f64, power_sens: f64, relative_gain: f64) -> f64 {
    if factor_to.is_normal() && factor_from.is_normal() {
        factor_to / factor_from
    } else {
        exp(power_sens * relative_gain)
    }
}

/// A state's log capability change since the start, `ln(power / power0)`; 0 when either is 0.
/// From the logs when the ratio overflows or underflows (a power near 0 or near its ceiling):
/// both are finite, the ratio's log would be infinite.
pub fn power_growth(now: f64, start: f64) -> f64 {
    if now > 0.0 && start > 0.0 {
        let ratio = now / start;
        if ratio.is_normal() {
            ln(ratio)
        } else {
            ln(now) - ln(start)
        }
    } else {
        0.0
    }
}

/// A state's GDP growth factor in the gravity target, `(gdp / gdp0)^elasticity`; 1 when the
/// start GDP is unknown (0).
pub fn gdp_growth_factor(gdp: f64, gdp0: f64, elasticity: f64) -> f64 {
    if gdp0 > 0.0 { pow(gdp / gdp0, elasticity) } else { 1.0 }
}

/// The trade baseline of a pair that begins when one of its states enters: the scenario's trade
/// over both states' growth factors ([`gdp_growth_factor`]) at the entry, so that the gravity
/// target at the entry is the scenario's trade. Unchanged when the product is 0, subnormal,
/// infinite or undefined.
pub fn entry_trade_baseline(trade: f64, growth_a: f64, growth_b: f64) -> f64 {
    let scale = growth_a * growth_b;
    if scale.is_normal() && scale > 0.0 {
        trade / scale
    } else {
        trade
    }
}

/// [`trust_anchor`] with the odds against `t0` ([`anchor_odds_against`]) and `exp(s_p G)`
/// ([`dilemma_ratio`]) given: `t = 1 / (1 + odds ratio)` when the pair has a power change
/// (`moved`), else `t0` itself.
pub fn trust_anchor_from_odds(
    t0: f64,
    odds_against: f64,
    ratio: f64,
    moved: bool,
    rival_change: f64,
    rival_sens: f64,
    shift: f64,
) -> f64 {
    let t = if moved { 1.0 / (1.0 + odds_against * ratio) } else { t0 };
    (t * (1.0 - rival_sens * rival_change) + shift).clamp(0.0, 1.0)
}

/// The lens-weighted structural shift of the trust anchor since the start:
/// `a_A dAllied + a_I d min(inst, 3) + a_R d rivalry` (rivalry pressure, [`rivalry_pressure`]).
pub fn anchor_shift(
    p: &crate::params::Params,
    allied_change: f64,
    institutions_change: f64,
    rivalry_change: f64,
) -> f64 {
    p.anchor_alliance * allied_change + p.anchor_institutions * institutions_change + p.anchor_rivalry * rivalry_change
}

/// Share of a deviation kept after `dt` years with the given half-life: `0.5^(dt / half_life)`.
pub fn half_life_keep(dt: f64, half_life: f64) -> f64 {
    pow(0.5, dt / half_life)
}

/// Trust returns toward its anchor: the deviation from the old anchor shrinks by the step's
/// `keep = 0.5^(dt / half_life)` ([`half_life_keep`]) and is carried onto the new anchor,
/// `T' = A' + (T - A) keep`. Without shocks and with an unchanged structure, trust stays where it is.
pub fn revert_to_anchor(trust: f64, anchor_before: f64, anchor_now: f64, keep: f64) -> f64 {
    (anchor_now + (trust - anchor_before) * keep).clamp(0.0, 1.0)
}

/// A rung of the Correlates of War hostility ladder (Jones, Bremer & Singer 1996; the MID
/// `hostlev` code): 2 threat to use force, 3 display of force, 4 use of force, 5 war. Level 1
/// (no militarized action) is no dispute, so the model has no rung for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hostility {
    Threat = 2,
    Display = 3,
    Force = 4,
    War = 5,
}

impl Hostility {
    /// The ladder from the bottom.
    pub const ALL: [Hostility; 4] = [Hostility::Threat, Hostility::Display, Hostility::Force, Hostility::War];

    /// The MID `hostlev` code, 2 to 5.
    pub const fn level(self) -> u8 {
        self as u8
    }

    /// The rung of a MID code, `None` outside 2 to 5 (the scenario loader refuses those).
    pub const fn from_level(level: u8) -> Option<Hostility> {
        match level {
            2 => Some(Hostility::Threat),
            3 => Some(Hostility::Display),
            4 => Some(Hostility::Force),
            5 => Some(Hostility::War),
            _ => None,
        }
    }

    /// One rung up; war is the top.
    pub const fn escalated(self) -> Hostility {
        match self {
            Hostility::Threat => Hostility::Display,
            Hostility::Display => Hostility::Force,
            Hostility::Force | Hostility::War => Hostility::War,
        }
    }

    /// Use of force or war: what breaks a zone of peace's "no force" record and costs identity.
    pub const fn is_force(self) -> bool {
        matches!(self, Hostility::Force | Hostility::War)
    }
}

impl std::fmt::Display for Hostility {
    /// The MID code, as `disputes.csv` writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.level())
    }
}

/// The eight uniforms a dispute draws from its dyad's escalation sub-stream, by role, in the
/// order they are drawn (the order is part of the model's random-number layout: changing it
/// changes every run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EscalationDraws {
    /// The entry level ([`entry_level`]).
    pub entry: f64,
    /// Whether the target reciprocates (`< reciprocation`).
    pub reciprocation: f64,
    /// One per escalation step, at most three (threat to war).
    pub steps: [f64; 3],
    /// The outcome: a war's victor, or stalemate / compromise / yielding ([`dispute_outcome`]).
    pub outcome: f64,
    /// Which side yields, when one does.
    pub yield_side: f64,
    /// Whether the target calls its allies at use of force (`< call_at_force`).
    pub call_at_force: f64,
}

impl EscalationDraws {
    /// The roles of the draws `u[0..8]`: entry, reciprocation, three steps, outcome, yield side,
    /// call at force.
    pub fn from_uniforms(u: [f64; 8]) -> EscalationDraws {
        EscalationDraws {
            entry: u[0],
            reciprocation: u[1],
            steps: [u[2], u[3], u[4]],
            outcome: u[5],
            yield_side: u[6],
            call_at_force: u[7],
        }
    }
}

/// The highest rung a dispute may reach: war in general; display of force when the pair settles
/// by talks (a Kantian pair under `kantian_cap`, or a zone of peace under `zone_cap`: Deutsch's
/// "dependable expectations of peaceful change"); use of force when the target does not
/// reciprocate (a war takes two sides using force; Jones, Bremer & Singer 1996).
pub fn escalation_cap(settles_by_talks: bool, reciprocated: bool) -> Hostility {
    let cap = if settles_by_talks {
        Hostility::Display
    } else {
        Hostility::War
    };
    if reciprocated { cap } else { cap.min(Hostility::Force) }
}

/// Side A's share of the power in a war: `P_A / (P_A + P_B + sum of B's joiners)`, one half when
/// both sides have none (Bueno de Mesquita 1981's expected-utility odds, in its simplest form).
pub fn war_share(power_a: f64, power_b_side: f64) -> f64 {
    if power_a + power_b_side > 0.0 {
        power_a / (power_a + power_b_side)
    } else {
        0.5
    }
}

/// How a dispute ends (outcome shares from MID 5, Palmer et al. 2022): a war is won by side A
/// with probability `share_a` ([`war_share`]); a dispute settled by talks ends in talks; else a
/// stalemate with probability `outcome_stalemate`, a compromise with `outcome_compromise`, and
/// otherwise one side yields, side B with probability `share_a` (the weaker side backs down).
pub fn dispute_outcome(
    p: &crate::params::Params,
    highest: Hostility,
    settled_by_talks: bool,
    share_a: f64,
    u_outcome: f64,
    u_yield: f64,
) -> super::world::Outcome {
    use super::world::Outcome;
    if highest == Hostility::War {
        if u_outcome < share_a {
            Outcome::VictoryA
        } else {
            Outcome::VictoryB
        }
    } else if settled_by_talks {
        Outcome::SettledByTalks
    } else if u_outcome < p.outcome_stalemate {
        Outcome::Stalemate
    } else if u_outcome < p.outcome_stalemate + p.outcome_compromise {
        Outcome::Compromise
    } else if u_yield < share_a {
        Outcome::YieldB
    } else {
        Outcome::YieldA
    }
}

/// Inputs of one escalation step.
#[derive(Clone, Copy, Debug, Default)]
pub struct EscalationInputs {
    pub parity: f64,
    pub mean_trust: f64,
    pub joiners: usize,
    pub institutions: f64,
    pub mean_identity: f64,
    /// Rivalry pressure in [0, 1) ([`rivalry_pressure`]).
    pub rivalry: f64,
}

/// Probability of stepping up from `level` (2, 3 or 4) to the next:
/// `logistic(a_L + b parity + c (1 - T) + d ln(1 + joiners) - e mediation - f W + r rivalry)`
/// (rivals escalate more: Thompson & Dreyer 2012); the log keeps
/// a multilateral alliance's dozen joiners from making war near certain.
pub fn escalation_probability(p: &crate::params::Params, level: Hostility, x: &EscalationInputs) -> f64 {
    let a = match level {
        Hostility::Threat => p.escalate_from_threat,
        Hostility::Display => p.escalate_from_display,
        Hostility::Force => p.escalate_from_force,
        Hostility::War => return 0.0,
    };
    logistic(
        a + p.escalate_parity * x.parity
            + p.escalate_distrust * (1.0 - x.mean_trust)
            + p.escalate_joiner * ln(1.0 + x.joiners as f64)
            - p.escalate_mediation * x.institutions.min(3.0)
            - p.escalate_identity * x.mean_identity
            + p.escalate_rivalry * x.rivalry,
    )
}

/// Entry level of a new dispute from one uniform draw.
pub fn entry_level(p: &crate::params::Params, u: f64) -> Hostility {
    if u < p.entry_threat {
        Hostility::Threat
    } else if u < p.entry_threat + p.entry_display {
        Hostility::Display
    } else {
        Hostility::Force
    }
}

/// Probability that an ally honours its commitment (Leeds 2003; Leeds, Long &
/// Mitchell 2000): base 0.75, lower for major powers, autocracies, allies that
/// changed since signing and nationalist allies; clamped to [0, 1].
pub fn honour_probability(
    p: &crate::params::Params,
    major: bool,
    democracy: f64,
    change: f64,
    orientation: f64,
) -> f64 {
    (p.honour_base
        + if major { p.honour_major } else { 0.0 }
        + p.honour_autocracy * (1.0 - democracy)
        + p.honour_change * change.min(1.0)
        + p.honour_orientation * (orientation - 0.5))
        .clamp(0.0, 1.0)
}

/// Trust factor of the pact-exit hazard, `exp(k (0.5 - trust))`: below 1 for a member that trusts
/// its allies, above 1 for one that distrusts them (alliances last while the conditions that
/// made them hold; Leeds & Savun 2007; democratic, trusting alliances last longer, Gaubatz 1996).
pub fn pact_exit_trust_factor(k: f64, mean_trust: f64) -> f64 {
    exp(k * (0.5 - mean_trust))
}

/// Yearly hazard that member `i` leaves a defence pact: `h 2 (1 - salience)` (ATOP: about 0.5%
/// a year after 1945 at salience 0.5; Leeds et al. 2002), times `exp(k_O max(0, 0.5 - o_i))` for
/// a nationalist member and [`pact_exit_trust_factor`] of its mean trust in the others (Leeds &
/// Savun 2007; Gaubatz 1996). The multiplicative form is comity's own; not capped here (the
/// caller takes at most 1).
pub fn pact_exit_hazard(
    base: f64,
    salience: f64,
    orientation: f64,
    k_orientation: f64,
    k_trust: f64,
    mean_trust: f64,
) -> f64 {
    base * 2.0
        * (1.0 - salience)
        * exp(k_orientation * (0.5 - orientation).max(0.0))
        * pact_exit_trust_factor(k_trust, mean_trust)
}

/// Affinity of a candidate ally, 0-1: the mean of joint democracy (the democratic-alliance
/// finding of Lai & Reiter 2000), identity (Deutsch 1957; Wendt 1999) and trade dependence, the
/// last counting fully from `1 / trade_scale` of GDP (interdependence, Russett & Oneal 2001). The
/// equal weights are comity's own.
pub fn alliance_affinity(democracy_i: f64, democracy_j: f64, identity: f64, dependence: f64, trade_scale: f64) -> f64 {
    (democracy_i * democracy_j + identity + (trade_scale * dependence).min(1.0)) / 3.0
}

/// Walt's (1987) threat: aggregate power x proximity x hostility, with proximity
/// 1 for contiguous states and `1 / (1 + distance / 1000 km)` otherwise.
pub fn walt_threat(power: f64, contiguous: bool, distance_km: f64, hostility: f64) -> f64 {
    let proximity = if contiguous {
        1.0
    } else {
        1.0 / (1.0 + distance_km / 1000.0)
    };
    power * proximity * hostility
}

/// Wendt's three cultures of anarchy for a dyad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Culture {
    Hobbesian,
    Lockean,
    Kantian,
}

/// Classifies a dyad from its mean identity and trust, with hysteresis: a Kantian
/// dyad stays Kantian until identity or trust falls below `exit`.
pub fn culture(identity: f64, trust: f64, was_kantian: bool, p: &crate::params::Params) -> Culture {
    if (was_kantian && identity >= p.kantian_exit && trust >= p.kantian_exit)
        || (identity > p.kantian_enter && trust > p.kantian_enter)
    {
        Culture::Kantian
    } else if identity < p.hobbesian_below {
        Culture::Hobbesian
    } else {
        Culture::Lockean
    }
}

/// Adler & Barnett (1998) phase of a community: 3 mature (at least 90% of member dyads
/// hold dependable expectations of peaceful change and mean identity >= 0.7),
/// 2 ascendant (at least 50% and identity >= 0.5), 1 nascent (cohesion >= 0.4), else 0.
pub fn phase(cohesion: f64, identity: f64, peaceful_share: f64) -> f64 {
    if peaceful_share >= 0.9 && identity >= 0.7 {
        3.0
    } else if peaceful_share >= 0.5 && identity >= 0.5 {
        2.0
    } else if cohesion >= 0.4 {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn growth_factors_of_power_and_gdp() {
        assert_eq!(power_growth(0.2, 0.1), 2f64.ln());
        assert_eq!(power_growth(0.1, 0.1), 0.0);
        assert_eq!(power_growth(0.0, 0.1), 0.0);
        assert_eq!(power_growth(0.1, 0.0), 0.0);
        // A ratio that underflows is taken from the logs, finite.
        let g = power_growth(1e-300, 1e10);
        assert!(g.is_finite() && (g - (1e-300f64.ln() - 1e10f64.ln())).abs() < 1e-9);
        assert_eq!(gdp_growth_factor(4.0, 1.0, 0.5), 2.0);
        assert_eq!(
            gdp_growth_factor(4.0, 0.0, 0.5),
            1.0,
            "an unknown start GDP does not grow"
        );
    }

    #[test]
    fn an_entering_pair_starts_at_its_gravity_target() {
        // The baseline over both growth factors: base x g_a x g_b is the scenario's trade again.
        let (trade, ga, gb) = (80.0, 1.25, 0.8);
        let base = entry_trade_baseline(trade, ga, gb);
        assert_eq!(base * ga * gb, trade);
        assert_eq!(entry_trade_baseline(trade, 1.0, 1.0), trade);
        for bad in [0.0, f64::INFINITY, f64::NAN, 1e-320] {
            assert_eq!(entry_trade_baseline(trade, bad, 1.0), trade, "{bad}");
        }
    }

    use super::*;
    use crate::params::Params;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn bayes_by_hand() {
        // T = 0.5, q_c = 0.95, q_u = 0.5: cooperation 0.475 / 0.725, defection 0.025 / 0.275.
        assert!(close(bayes_update(0.5, 0.95, 0.5, true), 0.475 / 0.725));
        assert!(close(bayes_update(0.5, 0.95, 0.5, false), 0.025 / 0.275));
        assert!(close(bayes_update(0.0, 0.95, 0.5, true), 0.0));
        assert!(close(bayes_update(1.0, 0.95, 0.5, false), 1.0));
    }

    #[test]
    fn weighted_signal_interpolates() {
        let full = bayes_update(0.8, 0.95, 0.5, false);
        assert!(close(weighted_signal(0.8, 0.95, 0.5, false, 1.0), full));
        assert!(close(
            weighted_signal(0.8, 0.95, 0.5, false, 0.5),
            0.8 + 0.5 * (full - 0.8)
        ));
        assert!(close(weighted_signal(0.8, 0.95, 0.5, false, 0.0), 0.8));
        let twice = bayes_update(full, 0.95, 0.5, false);
        assert!(close(weighted_signal(0.8, 0.95, 0.5, false, 2.0), twice));
    }

    #[test]
    fn geometric_steps_by_hand() {
        // no shock: the drift term alone
        assert!(close(
            geometric_step(2.0, 0.03, 0.1, 1.0, 0.0),
            2.0 * (0.03f64 - 0.005).exp()
        ));
        assert!(close(martingale_step(2.0, 0.1, 1.0, 0.0), 2.0 * (-0.005f64).exp()));
        // a one-sd shock over a quarter
        assert!(close(
            martingale_step(1.0, 0.2, 0.25, 1.0),
            (0.2f64 * 0.5 - 0.5 * 0.04 * 0.25).exp()
        ));
        assert!(close(
            geometric_step(1.0, 0.0, 0.2, 0.25, 1.0),
            martingale_step(1.0, 0.2, 0.25, 1.0)
        ));
        // E[exp(s sqrt(dt) z - s^2 dt / 2)] = 1 (no trend in power shares), and the trend g adds
        // exp(g dt): midpoint rule against the normal density over [-10, 10]
        let (k, h) = (20_000, 20.0 / 20_000.0);
        let expect = |f: &dyn Fn(f64) -> f64| -> f64 {
            (0..k)
                .map(|m| {
                    let z = -10.0 + (m as f64 + 0.5) * h;
                    f(z) * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() * h
                })
                .sum()
        };
        assert!((expect(&|z| martingale_step(1.0, 0.3, 1.0, z)) - 1.0).abs() < 1e-9);
        assert!((expect(&|z| geometric_step(1.0, 0.04, 0.3, 0.5, z)) - (0.02f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn initiators_by_hand() {
        assert!(close(initiator_probability(0.5, 0.5), 0.5));
        // i trusts j less than j trusts i: i is the likelier initiator
        assert!(close(initiator_probability(0.2, 0.6), 0.7));
        assert!(close(initiator_probability(0.0, 1.0), 0.95));
        assert!(close(initiator_probability(1.0, 0.0), 0.05));
    }

    #[test]
    fn norm_contact_weights_by_hand() {
        let p = Params::default();
        // a remote state with no ties: the floor alone
        assert!(close(norm_contact_weight(&p, false, 0.0, 0.0, 10.0), 0.05));
        // a neighbour in 1.5 salience-weighted institutions taking a fifth of the trade
        assert!(close(
            norm_contact_weight(&p, true, 1.5, 2.0, 10.0),
            0.05 + 1.0 + 1.5 + 5.0 * 0.2
        ));
        // a state with no trade at all: no trade term (and no division by zero)
        assert!(close(norm_contact_weight(&p, false, 1.0, 0.0, 0.0), 1.05));
    }

    #[test]
    fn the_hostility_ladder() {
        assert_eq!(Hostility::ALL.map(Hostility::level), [2, 3, 4, 5]);
        for h in Hostility::ALL {
            assert_eq!(Hostility::from_level(h.level()), Some(h));
            assert_eq!(h.to_string(), h.level().to_string());
        }
        assert_eq!(Hostility::from_level(1), None);
        assert_eq!(Hostility::from_level(6), None);
        assert_eq!(Hostility::Threat.escalated(), Hostility::Display);
        assert_eq!(Hostility::Force.escalated(), Hostility::War);
        assert_eq!(Hostility::War.escalated(), Hostility::War);
        assert!(!Hostility::Display.is_force() && Hostility::Force.is_force() && Hostility::War.is_force());
    }

    #[test]
    fn escalation_caps() {
        assert_eq!(escalation_cap(false, true), Hostility::War);
        assert_eq!(escalation_cap(false, false), Hostility::Force);
        assert_eq!(escalation_cap(true, true), Hostility::Display);
        assert_eq!(escalation_cap(true, false), Hostility::Display);
    }

    #[test]
    fn the_eight_draws_by_role() {
        let d = EscalationDraws::from_uniforms([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
        assert_eq!((d.entry, d.reciprocation, d.steps), (0.0, 0.1, [0.2, 0.3, 0.4]));
        assert_eq!((d.outcome, d.yield_side, d.call_at_force), (0.5, 0.6, 0.7));
    }

    #[test]
    fn dispute_outcomes_by_hand() {
        use crate::sim::world::Outcome;
        let p = Params::default();
        assert!(close(war_share(0.3, 0.1), 0.75));
        assert_eq!(war_share(0.0, 0.0), 0.5);
        // war: side A wins with its share of power
        assert_eq!(
            dispute_outcome(&p, Hostility::War, false, 0.75, 0.7, 0.0),
            Outcome::VictoryA
        );
        assert_eq!(
            dispute_outcome(&p, Hostility::War, true, 0.75, 0.8, 0.0),
            Outcome::VictoryB
        );
        // below war: talks, then stalemate, compromise, yielding
        assert_eq!(
            dispute_outcome(&p, Hostility::Display, true, 0.5, 0.0, 0.0),
            Outcome::SettledByTalks
        );
        let (st, co) = (p.outcome_stalemate, p.outcome_compromise);
        assert_eq!(
            dispute_outcome(&p, Hostility::Force, false, 0.5, st * 0.5, 0.0),
            Outcome::Stalemate
        );
        assert_eq!(
            dispute_outcome(&p, Hostility::Threat, false, 0.5, st + co * 0.5, 0.0),
            Outcome::Compromise
        );
        let past = (st + co + 1.0) / 2.0;
        assert_eq!(
            dispute_outcome(&p, Hostility::Threat, false, 0.6, past, 0.59),
            Outcome::YieldB
        );
        assert_eq!(
            dispute_outcome(&p, Hostility::Threat, false, 0.6, past, 0.61),
            Outcome::YieldA
        );
    }

    /// `exp_upper_bound` as first written (early returns, `ceil` by an integer conversion): the
    /// branch-free form must give the same bits.
    fn exp_upper_bound_with_branches(x: f64) -> f64 {
        let y = x * std::f64::consts::LOG2_E + 1e-9;
        if y.is_nan() || y > 1023.0 {
            return f64::INFINITY;
        }
        if y <= -1022.0 {
            return f64::MIN_POSITIVE;
        }
        let truncated = y as i64;
        let k = if (truncated as f64) < y {
            truncated + 1
        } else {
            truncated
        };
        f64::from_bits(((k + 1023) as u64) << 52)
    }

    #[test]
    fn exp_upper_bound_branch_free_form_is_the_same_bits() {
        let mut rng = crate::sim::rng::RunKey::new(13, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        let mut xs: Vec<f64> = vec![
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            709.0,
            709.1,
            -708.0,
            -708.5,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        // every integer power-of-two boundary in range, and just either side of it
        for k in -1030..1030 {
            let x = f64::from(k) * std::f64::consts::LN_2;
            xs.extend([x, x.next_up(), x.next_down(), x - 1e-9 * std::f64::consts::LN_2]);
        }
        xs.extend((0..200_000).map(|_| 1600.0 * (rng.uniform() - 0.5)));
        xs.extend((0..200_000).map(|_| 60.0 * (rng.uniform() - 0.5)));
        for x in xs {
            assert_eq!(
                exp_upper_bound(x).to_bits(),
                exp_upper_bound_with_branches(x).to_bits(),
                "{x:e}"
            );
        }
    }

    #[test]
    fn exp_upper_bound_is_a_bound_within_a_factor_two() {
        // a dense sweep of the range the onset logit takes, and the edges
        let mut x: f64 = -800.0;
        while x < 720.0 {
            let (e, b) = (exp(x), exp_upper_bound(x));
            assert!(b >= e, "exp({x}) = {e} above the bound {b}");
            if e.is_normal() && x < 709.0 {
                assert!(
                    b <= 2.0 * e * (1.0 + 1e-8),
                    "bound {b} of exp({x}) = {e} looser than 2x"
                );
            }
            x += 0.001_37;
        }
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            std::f64::consts::LN_2,
            -std::f64::consts::LN_2,
            710.0,
            -745.2,
            -1e300,
        ] {
            assert!(exp_upper_bound(x) >= exp(x), "{x}");
        }
        // the margin rounds exact powers of two up to the next one
        assert_eq!(exp_upper_bound(0.0), 2.0);
        assert_eq!(exp_upper_bound(-std::f64::consts::LN_2 * 3.5), 0.125);
        assert_eq!(exp_upper_bound(f64::NAN), f64::INFINITY);
        assert_eq!(exp_upper_bound(1e300), f64::INFINITY);
        assert_eq!(exp_upper_bound(-1e300), f64::MIN_POSITIVE);
    }

    #[test]
    fn onset_bound_only_skips_pairs_without_onset() {
        // For random inputs and draws: whenever the bound says "no onset", the exact hazard
        // (logistic of the logit, gated, per step) is at or below the draw.
        let p = Params::default();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut skipped, mut total) = (0, 0);
        for _ in 0..200_000 {
            let x = OnsetInputs {
                contiguous: next() < 0.3,
                log_distance: 3.0 * next(),
                major: next() < 0.2,
                log_power_ratio: 4.0 * next(),
                min_democracy: 2.0 * next() - 1.0,
                dependence: 0.2 * next(),
                institutions: 4.0 * next(),
                allied: next() < 0.3,
                peace_years: if next() < 0.2 { 0.0 } else { 100.0 * next() },
                mean_trust: next(),
                mean_identity: next(),
                rivalry: next(),
                igo_density: next(),
            };
            // draws across the whole range, and many near the hazard itself
            let exact = logistic(onset_logit(&p, &x));
            let u = if next() < 0.5 { next() } else { exact * 2.0 * next() };
            let bound = onset_logit_bound(&p, &x);
            assert!(bound >= onset_logit(&p, &x));
            total += 1;
            if onset_bound_exceeded(u, bound) {
                skipped += 1;
                let zone = next();
                let gated = gated_probability(exact, p.zone_peace, zone);
                for dt in [1.0, 0.25, 1.0 / 12.0] {
                    assert!(
                        u >= crate::time::per_step_probability(gated, dt),
                        "{x:?} u {u} exact {exact}"
                    );
                }
            }
        }
        // the shortcut is taken for most pairs, or it would not be worth having
        assert!(skipped > total / 3, "{skipped} of {total}");
    }

    #[test]
    fn anchor_algebraic_form_matches_the_logistic_form() {
        // The logistic form the algebraic one replaced (issue 13), on the same inputs.
        let logistic_form = |t0: f64, s: f64, g_to: f64, g_from: f64| {
            let t = t0.clamp(1e-12, 1.0 - 1e-12);
            logistic((t / (1.0 - t)).ln() - s * (g_to - g_from))
        };
        let mut rng = crate::sim::rng::RunKey::new(13, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        let mut worst: f64 = 0.0;
        for _ in 0..1_000_000 {
            let t0 = 1e-6 + (1.0 - 2e-6) * rng.uniform();
            let s = 3.0 * rng.uniform();
            let (g_to, g_from) = (10.0 * (rng.uniform() - 0.5), 10.0 * (rng.uniform() - 0.5));
            let ratio = dilemma_ratio(power_factor(s, g_to), power_factor(s, g_from), s, g_to - g_from);
            let new = trust_anchor_from_odds(t0, anchor_odds_against(t0), ratio, true, 0.0, 0.0, 0.0);
            worst = worst.max((new - logistic_form(t0, s, g_to, g_from)).abs());
        }
        assert!(worst <= ANCHOR_FORM_ERROR, "largest difference {worst:e}");
        assert!(worst > 0.0, "the two forms round differently somewhere");
        // Overflowing factors fall back to the exponential of the difference, and the limits hold.
        assert_eq!(dilemma_ratio(f64::INFINITY, f64::INFINITY, 1.0, 0.5), exp(0.5));
        assert_eq!(dilemma_ratio(0.0, 2.0, 1.0, -800.0), 0.0);
        assert_eq!(
            trust_anchor_from_odds(0.7, anchor_odds_against(0.7), f64::INFINITY, true, 0.0, 0.0, 0.0),
            0.0
        );
        assert_eq!(
            trust_anchor_from_odds(0.7, anchor_odds_against(0.7), 0.0, true, 0.0, 0.0, 0.0),
            1.0
        );
        // no power change: the starting trust itself, unclamped
        assert_eq!(
            trust_anchor_from_odds(1.0, anchor_odds_against(1.0), 1.0, false, 0.0, 0.0, 0.0),
            1.0
        );
    }

    #[test]
    fn trust_anchor_by_hand() {
        // partner gained 0.1 (log) relative since the start, sensitivity 2: logit 0.8 = ln 4, minus 0.2
        let down = 1.0 / (1.0 + (-(4f64.ln() - 0.2)).exp());
        assert!(close(trust_anchor(0.8, 0.1, 2.0, 0.0, 0.3, 0.0), down));
        // partner fell back by 0.1: ln 4 + 0.2; a level, so a gain followed by the same loss returns
        let up = 1.0 / (1.0 + (-(4f64.ln() + 0.2)).exp());
        assert!(close(trust_anchor(0.8, -0.1, 2.0, 0.0, 0.3, 0.0), up));
        assert!(close(trust_anchor(0.8, 0.0, 2.0, 0.0, 0.3, 0.0), 0.8));
        // partner's alignment with distrusted states rose by 0.5: 0.8 (1 - 0.3 * 0.5) = 0.68
        assert!(close(trust_anchor(0.8, 0.0, 2.0, 0.5, 0.3, 0.0), 0.68));
        // structural shift added, then clamped
        assert!(close(trust_anchor(0.8, 0.0, 2.0, 0.0, 0.3, 0.15), 0.95));
        assert!(close(trust_anchor(0.8, 0.0, 2.0, 0.0, 0.3, 0.5), 1.0));
        let p = Params::default();
        // lost the shared pact (-1), one institution less (-0.7), rivalry pressure 0.4 up
        let shift = anchor_shift(&p, -1.0, -0.7, 0.4);
        assert!(close(
            shift,
            -p.anchor_alliance - 0.7 * p.anchor_institutions + p.anchor_rivalry * 0.4
        ));
    }

    #[test]
    fn reversion_to_anchor_by_hand() {
        // deviation 0.2 halves in one half-life and is carried onto the moved anchor
        let keep = half_life_keep(8.0, 8.0);
        assert!(close(keep, 0.5));
        assert!(close(revert_to_anchor(0.5, 0.7, 0.7, keep), 0.6));
        assert!(close(revert_to_anchor(0.5, 0.7, 0.6, keep), 0.5));
        // two half-steps equal one full step
        let k4 = half_life_keep(4.0, 8.0);
        let half = revert_to_anchor(revert_to_anchor(0.3, 0.7, 0.7, k4), 0.7, 0.7, k4);
        assert!(close(half, 0.5));
        // at the anchor and with an unchanged structure, trust does not move
        assert!(close(
            revert_to_anchor(0.42, 0.42, 0.42, half_life_keep(1.0, 8.0)),
            0.42
        ));
    }

    /// A pair at full trust, long at peace, with every other onset input 0: the logit is `onset_base`.
    fn quiet_pair() -> OnsetInputs {
        OnsetInputs {
            log_distance: 0.0,
            peace_years: 1e9,
            mean_trust: 1.0,
            ..Default::default()
        }
    }

    #[test]
    fn rivalry_by_hand() {
        assert!(close(rivalry_decay(2.0, 10.0, 10.0), 1.0));
        assert!(close(rivalry_decay(rivalry_decay(2.0, 5.0, 10.0), 5.0, 10.0), 1.0));
        let p = Params::default();
        let base = quiet_pair();
        assert_eq!(rivalry_pressure(0.0, 3.0), 0.0);
        assert!(close(rivalry_pressure(3.0, 3.0), 0.5));
        assert!(close(rivalry_pressure(1.0, 3.0), 0.25));
        let rival = OnsetInputs { rivalry: 0.25, ..base };
        assert!(close(
            onset_logit(&p, &rival) - onset_logit(&p, &base),
            p.onset_rivalry * 0.25
        ));
        let x = EscalationInputs {
            parity: 0.0,
            mean_trust: 1.0,
            rivalry: 1.0,
            ..Default::default()
        };
        assert!(close(
            escalation_probability(&p, Hostility::Force, &x),
            logistic(p.escalate_from_force + p.escalate_rivalry)
        ));
    }

    #[test]
    fn transaction_drive_by_hand() {
        let p = Params::default();
        // RA 2, one institution, similarity 0.8, rivalry pressure 1
        let d = transaction_drive(&p, 2.0, 1.0, 0.8, 1.0);
        let want =
            p.identity_bias + 2.0 * p.identity_ra_slope + p.identity_institution_drive + 0.3 * p.identity_norm_drive
                - p.identity_rivalry_drive;
        assert!(close(d, want));
        // RA is capped at 10
        assert!(close(
            transaction_drive(&p, 50.0, 0.0, 0.5, 0.0),
            p.identity_bias + 10.0 * p.identity_ra_slope
        ));
    }

    #[test]
    fn pact_exit_trust_by_hand() {
        assert!(close(pact_exit_trust_factor(6.0, 0.5), 1.0));
        assert!(close(pact_exit_trust_factor(6.0, 0.7), (-1.2f64).exp()));
        assert!(close(pact_exit_trust_factor(6.0, 0.3), 1.2f64.exp()));
    }

    #[test]
    fn zones_of_peace_by_hand() {
        assert!(close(ramp(0.65, 0.6, 0.7), 0.5));
        assert_eq!(ramp(0.5, 0.6, 0.7), 0.0);
        assert_eq!(ramp(0.9, 0.6, 0.7), 1.0);
        assert_eq!(ramp(0.6, 0.6, 0.6), 1.0);
        assert!(close(igo_density(30.0, 60.0), 0.5));
        assert_eq!(igo_density(90.0, 60.0), 1.0);
        let mut p = Params::default();
        // constructivist: Kantian dyad 1; otherwise the ramp on min(W, T)
        let x = ZoneInputs {
            kantian: true,
            ..Default::default()
        };
        assert_eq!(zone_score(&p, &x), 1.0);
        let x = ZoneInputs {
            mean_identity: 0.5 * (p.zone_kantian_low + p.kantian_enter),
            mean_trust: 0.9,
            ..Default::default()
        };
        assert!(close(zone_score(&p, &x), 0.5));
        // liberal: the product of three ramps (all three high, or no zone)
        p.zone_kantian_weight = 0.0;
        p.zone_liberal_weight = 1.0;
        let (d, t, i) = (
            0.5 * (p.zone_democracy_low + p.zone_democracy_high),
            p.zone_trade_high,
            p.zone_igo_high,
        );
        let x = ZoneInputs {
            kantian: true,
            min_democracy: d,
            dependence: t,
            igo_density: i,
            ..Default::default()
        };
        assert!(close(zone_score(&p, &x), 0.5));
        assert_eq!(zone_score(&p, &ZoneInputs { dependence: 0.0, ..x }), 0.0);
        // realist: no zone whatever the pair
        p.zone_liberal_weight = 0.0;
        assert_eq!(zone_score(&p, &x), 0.0);
        // the gate multiplies the hazard
        assert!(close(gated_probability(0.1, 0.97, 1.0), 0.1 * 0.03));
        assert!(close(gated_probability(0.1, 0.97, 0.0), 0.1));
        let p = Params::default();
        assert!(settles_by_talks(&p, 0.5) && !settles_by_talks(&p, 0.49));
    }

    #[test]
    fn identity_by_hand() {
        assert!(close(identity_pull(0.4, 0.8, 0.1), 0.44));
        // A = 30, A_i = 100, A_j = 50, total 500: E = 10, RA = 2
        assert!(close(relative_acceptance(30.0, 100.0, 50.0, 500.0).unwrap(), 2.0));
        assert!(relative_acceptance(1.0, 0.0, 50.0, 500.0).is_none());
        // drive 0: logistic 0.5; 0.5 + 0.1 * 0.5 * 1 * 0.5 - 0.02 * 0.5 = 0.515
        assert!(close(identity_step(0.5, 0.0, 0.1, 0.02, 1.0), 0.515));
        assert!(close(openness(0.3), 0.6));
    }

    #[test]
    fn norms_and_trade_by_hand() {
        assert!(close(norm_similarity(&[0.8, 0.2], &[0.6, 0.6]), 1.0 - 0.3));
        assert!(close(trade_dependence(622.2, 18.7, 1.5), 622.2 / 18700.0));
        assert_eq!(trade_dependence(10.0, 0.0, 1.5), 0.0);
        // A GDP near 0 beside a large trade: finite (the ceiling), not infinite.
        assert_eq!(trade_dependence(1e6, 5e-324, 5e-324), DEPENDENCE_CEILING);
        // GDP of i grows 10%, unit elasticity, tariff 0 -> 0.2: 100 * 1.1 * 0.8
        assert!(close(gravity_target(100.0, 1.1, 1.0, 1.0, 0.0, 0.2, 0.0, 1.0), 88.0));
        assert!(close(
            gravity_target(100.0, 1.0, 1.0, 1.0, -0.3f64, 0.0, 0.0, 5.0),
            100.0 * (-0.3f64).exp()
        ));
        // a 10% tariff with elasticity 5: 0.9^5
        assert!(close(
            gravity_target(100.0, 1.0, 1.0, 1.0, 0.0, 0.1, 0.0, 5.0),
            100.0 * 0.9f64.powi(5)
        ));
        assert!(close(partial_adjust(100.0, 80.0, 0.3), 94.0));
        assert!(close(parity(0.1, 0.3), 0.5));
        assert!(close(log_power_ratio(0.2, 0.1), 2f64.ln()));
    }

    #[test]
    fn onset_logit_by_hand() {
        let p = Params::default();
        let base = quiet_pair();
        assert!(close(onset_logit(&p, &base), p.onset_base));
        let contig = OnsetInputs {
            contiguous: true,
            ..base
        };
        assert!(close(
            onset_logit(&p, &contig) - onset_logit(&p, &base),
            p.onset_contiguous
        ));
        let both = OnsetInputs {
            contiguous: true,
            major: true,
            ..base
        };
        assert!(close(
            onset_logit(&p, &both) - onset_logit(&p, &base),
            p.onset_contiguous + p.onset_major + p.onset_contiguous_major
        ));
        let dem = OnsetInputs {
            min_democracy: 1.0,
            ..base
        };
        assert!(close(onset_logit(&p, &dem) - onset_logit(&p, &base), p.onset_democracy));
        let inst = OnsetInputs {
            institutions: 5.0,
            ..base
        };
        assert!(close(
            onset_logit(&p, &inst) - onset_logit(&p, &base),
            3.0 * p.onset_institutions
        ));
        let recent = OnsetInputs {
            peace_years: 0.0,
            ..base
        };
        assert!(close(onset_logit(&p, &recent) - onset_logit(&p, &base), p.onset_recent));
        // Joint democracy roughly halves the odds (Russett & Oneal 2001).
        let ratio = (p.onset_democracy).exp();
        assert!((0.35..0.65).contains(&ratio), "odds ratio {ratio}");
    }

    #[test]
    fn escalation_and_entry_by_hand() {
        let p = Params::default();
        let x = EscalationInputs {
            parity: 0.0,
            mean_trust: 1.0,
            joiners: 0,
            institutions: 0.0,
            mean_identity: 0.0,
            rivalry: 0.0,
        };
        assert!(close(
            escalation_probability(&p, Hostility::Force, &x),
            logistic(p.escalate_from_force)
        ));
        assert_eq!(escalation_probability(&p, Hostility::War, &x), 0.0);
        assert_eq!(entry_level(&p, 0.0), Hostility::Threat);
        assert_eq!(entry_level(&p, p.entry_threat + 1e-9), Hostility::Display);
        assert_eq!(entry_level(&p, 0.999), Hostility::Force);
        assert!(close(logistic(0.0), 0.5));
    }

    #[test]
    fn honour_by_hand() {
        let p = Params::default();
        // democratic minor ally, no change, neutral orientation: the base 0.75
        assert!(close(honour_probability(&p, false, 1.0, 0.0, 0.5), 0.75));
        // major autocracy at 0.2 democracy: 0.75 - 0.10 - 0.15 * 0.8 = 0.53
        assert!(close(honour_probability(&p, true, 0.2, 0.0, 0.5), 0.53));
        // nationalist democracy (orientation 0.3): 0.75 + 0.4 * -0.2 = 0.67
        assert!(close(honour_probability(&p, false, 1.0, 0.0, 0.3), 0.67));
    }

    #[test]
    fn cultures_and_phases() {
        let p = Params::default();
        assert_eq!(culture(0.8, 0.8, false, &p), Culture::Kantian);
        assert_eq!(culture(0.65, 0.65, true, &p), Culture::Kantian);
        assert_eq!(culture(0.65, 0.65, false, &p), Culture::Lockean);
        assert_eq!(culture(0.2, 0.9, false, &p), Culture::Hobbesian);
        assert_eq!(phase(0.8, 0.75, 0.95), 3.0);
        assert_eq!(phase(0.8, 0.6, 0.6), 2.0);
        assert_eq!(phase(0.5, 0.2, 0.1), 1.0);
        assert_eq!(phase(0.2, 0.2, 0.1), 0.0);
        assert!(close(walt_threat(0.2, true, 0.0, 0.5), 0.1));
        assert!(close(walt_threat(0.2, false, 1000.0, 0.5), 0.05));
    }

    #[test]
    fn box_muller_is_standard_normal() {
        assert!(close(box_muller(1.0 - (-0.5f64).exp(), 0.0), 1.0));
        let n = 200;
        let mut sum = 0.0;
        let mut sq = 0.0;
        for i in 0..n {
            for j in 0..n {
                let z = box_muller((i as f64 + 0.5) / n as f64, (j as f64 + 0.5) / n as f64);
                sum += z;
                sq += z * z;
            }
        }
        let m = sum / (n * n) as f64;
        let v = sq / (n * n) as f64 - m * m;
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.02, "mean {m} var {v}");
    }

    #[test]
    fn alliance_affinity_is_the_mean_of_its_three_ties() {
        assert_eq!(alliance_affinity(1.0, 1.0, 1.0, 0.05, 20.0), 1.0);
        assert_eq!(alliance_affinity(0.0, 1.0, 0.0, 0.0, 20.0), 0.0);
        // Trade counts fully from 1/20 = 5% dependence, half at 2.5%.
        assert!((alliance_affinity(0.0, 0.0, 0.0, 0.025, 20.0) - 0.5 / 3.0).abs() < 1e-15);
        assert_eq!(alliance_affinity(0.0, 0.0, 0.0, 1.0, 20.0), 1.0 / 3.0);
    }

    #[test]
    fn the_grown_gravity_target_is_the_gravity_target() {
        for (base, gi, gj, shift, tariff) in [
            (100.0, 1.1, 0.97, -0.3, 0.0),
            (2.5, 1.0, 1.3, 0.25, 0.0),
            (100.0, 1.1, 1.0, 0.0, 0.2),
            (7.0, 0.8, 1.2, -0.1, 0.05),
        ] {
            let a = gravity_target_grown(base, gi, gj, shift, tariff, 5.0);
            let b = gravity_target(base, gi, gj, 1.0, shift, tariff, 0.0, 5.0);
            assert_eq!(a.to_bits(), b.to_bits(), "{base} {gi} {gj} {shift} {tariff}");
        }
    }

    #[test]
    fn the_trade_shift_fades_the_dispute_penalty() {
        let p = crate::params::Params::default();
        let fresh = trade_log_shift(0.0, 0.0, 0.0, &p);
        assert_eq!(fresh, -p.trade_dispute_penalty);
        let later = trade_log_shift(0.0, 0.0, p.trade_dispute_memory, &p);
        assert!((later - fresh / std::f64::consts::E).abs() < 1e-15);
        assert!((trade_log_shift(1.0, 0.0, 1e9, &p) - p.trade_pta_effect).abs() < 1e-15);
    }

    #[test]
    fn the_pact_exit_hazard_grows_with_nationalism_and_distrust() {
        // Salience 0.5, internationalist, trust 0.5: the base hazard.
        assert_eq!(pact_exit_hazard(0.005, 0.5, 0.8, 4.0, 6.0, 0.5), 0.005);
        // A fully salient pact is never left.
        assert_eq!(pact_exit_hazard(0.005, 1.0, 0.0, 4.0, 6.0, 0.0), 0.0);
        let nationalist = pact_exit_hazard(0.005, 0.5, 0.0, 4.0, 6.0, 0.5);
        assert!((nationalist - 0.005 * 2f64.exp()).abs() < 1e-15);
        let distrustful = pact_exit_hazard(0.005, 0.5, 0.8, 4.0, 6.0, 0.0);
        assert!((distrustful - 0.005 * 3f64.exp()).abs() < 1e-15);
        assert!(pact_exit_hazard(0.005, 0.5, 0.8, 4.0, 6.0, 1.0) < 0.005);
    }
}
