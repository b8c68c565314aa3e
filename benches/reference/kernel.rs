//! The reference kernel (issue 13, item 2): the hot part of one model step, trade, then trust and
//! identity, then dispute onset, stated as the plainest loops over `i in 0..n, j in i + 1..n` on
//! plain `Vec`s copied out of a run's world ([`Snapshot::of`]).
//!
//! It is the yardstick of the engine's systems `update_trade`, `update_trust_and_identity` and
//! `onset_disputes`: `tests/reference.rs` checks that, run on the same snapshot, it gives the same
//! bits as the engine (trade and the states' trade totals, trust, identity, the trust anchor, the
//! Kantian-culture flags, and the onset list with its initiators), tick by tick, and
//! `cargo bench` times the engine against it. Every formula is a call of a
//! `comity::sim::mechanisms` function, the model's own; what is left out is only what the engine
//! does to be fast: no ECS, no 16 x 16 tiles, no split borrows, no onset shortcut (every present
//! pair's full hazard is computed, with its two exponentials and its zone score), no cached
//! odds against the starting trust, no table of the peace years' fading and no cached log
//! distances (all are taken per pair and tick), no skipped zone score in a lens without zones of peace, no buffers kept from tick to
//! tick. A per-state quantity (a GDP growth factor, a log capability change, an openness) is
//! computed once per state, as the model states it; the realist rival-alignment term is
//! recomputed in plain loops ([`rival_alignment`]) in the engine's order of operations (the
//! natural "sum over the other members" differs from it in the last bits, which
//! `tests/reference.rs` catches). The model's own switches stay: identity is frozen in a lens
//! without its growth or decay, and the rival-alignment term counts only where the lens weighs it.
//!
//! Not covered: everything else in a tick, i.e. scripted events and entries or exits, capability
//! drift, the state table and the treaty ties, the baselines of entering pairs, norm diffusion,
//! escalation and its consequences (signals, ally calls, outcomes), pact exits, alliance
//! formation, the metrics, the dyad-year records and the clock. A snapshot is taken after those of
//! its tick that run before trade (norm diffusion, which runs between trust and onset, changes
//! nothing onset reads), and the step changes the snapshot only, never the world.

// Index loops over states and pairs are the point of this module.
#![allow(clippy::needless_range_loop)]

use bevy_ecs::world::World;
use comity::params::Params;
use comity::scenario::NORMS;
use comity::sim::mechanisms::{
    Culture, OnsetInputs, TRADE_CEILING, ZoneInputs, anchor_odds_against, anchor_shift, culture, dilemma_ratio,
    gated_probability, gdp_growth_factor, gravity_target_grown, half_life_keep, identity_growth_step, identity_pull,
    igo_density, initiator_probability, log_distance, log_power_ratio, logistic, norm_similarity, onset_logit,
    openness, partial_adjust, per_step_rate, power_factor, power_growth, relative_acceptance, revert_to_anchor,
    rivalry_pressure, trade_dependence, trade_log_shift, transaction_drive, trust_anchor_from_odds, zone_score,
};
use comity::sim::rng::{RunKey, Stream};
use comity::sim::world::{Clock, Model, Relations, RunInfo, StateTable, TickLog, Ties};
use comity::time::per_step_probability;

/// Everything the three hot systems read, and what they write, as plain vectors: per state
/// (`n`), per directed pair (`n x n`, row-major: `[i * n + j]` is how i sees j), and the
/// defence pacts as member lists.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub n: usize,
    pub tick: u32,
    /// Step length in years.
    pub dt: f64,
    pub params: Params,
    pub key: RunKey,
    // ---- per state
    pub active: Vec<bool>,
    pub power: Vec<f64>,
    pub power0: Vec<f64>,
    pub gdp: Vec<f64>,
    pub gdp0: Vec<f64>,
    pub democracy: Vec<f64>,
    pub orientation: Vec<f64>,
    pub norms: Vec<[f64; NORMS]>,
    pub major: Vec<bool>,
    /// Each state's trade with all others, written by the trade pass.
    pub totals: Vec<f64>,
    // ---- per directed pair
    pub trust: Vec<f64>,
    pub identity: Vec<f64>,
    pub trade: Vec<f64>,
    pub trade_baseline: Vec<f64>,
    pub tariff: Vec<f64>,
    pub contiguous: Vec<bool>,
    pub distance: Vec<f64>,
    pub peace_years: Vec<f64>,
    pub kantian: Vec<bool>,
    pub trust0: Vec<f64>,
    /// The structural trust anchor of the last tick.
    pub anchor: Vec<f64>,
    pub rival0: Vec<f64>,
    pub rivalry: Vec<f64>,
    pub rivalry0: Vec<f64>,
    pub shared_igos: Vec<f64>,
    /// The relative power gain when the pair began (zeros in a world where no state enters).
    pub gain0: Vec<f64>,
    pub defense: Vec<u16>,
    pub defense0: Vec<u16>,
    pub pta: Vec<u16>,
    pub pta0: Vec<u16>,
    pub institutions: Vec<f64>,
    pub institutions0: Vec<f64>,
    pub shared: Vec<u16>,
    pub shared0: Vec<u16>,
    // ---- the rest
    /// Members of each defence pact, in treaty order.
    pub pacts: Vec<Vec<usize>>,
    /// The crises scripted for this tick: (aggressor, target).
    pub crises: Vec<(usize, usize)>,
}

impl Snapshot {
    /// Copies what the three systems read out of a run's world, as it is just before
    /// `update_trade`.
    pub fn of(world: &World) -> Snapshot {
        let clock = world.resource::<Clock>();
        let table = world.resource::<StateTable>();
        let rel = world.resource::<Relations>();
        let ties = world.resource::<Ties>();
        let n = rel.n;
        Snapshot {
            n,
            tick: clock.tick,
            dt: clock.dt,
            params: world.resource::<Model>().0.clone(),
            key: world.resource::<RunInfo>().key,
            active: table.active.clone(),
            power: table.power.clone(),
            power0: table.power0.clone(),
            gdp: table.gdp.clone(),
            gdp0: table.gdp0.clone(),
            democracy: table.democracy.clone(),
            orientation: table.orientation.clone(),
            norms: table.norms.clone(),
            major: table.major.clone(),
            totals: vec![0.0; n],
            trust: rel.trust.clone(),
            identity: rel.identity.clone(),
            trade: rel.trade.clone(),
            trade_baseline: rel.trade_baseline.clone(),
            tariff: rel.tariff.clone(),
            contiguous: rel.contiguous.clone(),
            distance: rel.distance.clone(),
            peace_years: rel.peace_years.clone(),
            kantian: rel.kantian.clone(),
            trust0: rel.trust0.clone(),
            anchor: rel.anchor.clone(),
            rival0: rel.rival0.clone(),
            rivalry: rel.rivalry.clone(),
            rivalry0: rel.rivalry0.clone(),
            shared_igos: rel.shared_igos.clone(),
            gain0: if rel.gain0.is_empty() {
                vec![0.0; n * n]
            } else {
                rel.gain0.clone()
            },
            defense: ties.defense.clone(),
            defense0: ties.defense0.clone(),
            pta: ties.pta.clone(),
            pta0: ties.pta0.clone(),
            institutions: ties.institutions.clone(),
            institutions0: ties.institutions0.clone(),
            shared: ties.shared.clone(),
            shared0: ties.shared0.clone(),
            pacts: ties.pacts.clone(),
            crises: world
                .resource::<TickLog>()
                .crises
                .iter()
                .map(|&(a, b, _)| (a, b))
                .collect(),
        }
    }
}

/// One step: trade, then trust and identity, then dispute onset. Returns the onsets of the tick
/// as (initiator, target), in dyad order.
#[allow(dead_code)] // the bench times the three parts one by one
pub fn step(s: &mut Snapshot) -> Vec<(usize, usize)> {
    trade(s);
    trust_and_identity(s);
    onset(s)
}

/// Trade moves toward its gravity target by partial adjustment; then each state's total.
pub fn trade(s: &mut Snapshot) {
    let n = s.n;
    let p = &s.params;
    let lambda = per_step_rate(p.trade_adjustment, s.dt);
    let mut growth = vec![0.0; n];
    for i in 0..n {
        growth[i] = gdp_growth_factor(s.gdp[i], s.gdp0[i], p.trade_gdp_elasticity);
    }
    for i in 0..n {
        for j in i + 1..n {
            let (ij, ji) = (i * n + j, j * n + i);
            // A pair with an absent state has no trade; one with no trade at the start never has.
            if !(s.active[i] && s.active[j]) || s.trade_baseline[ij] <= 0.0 {
                continue;
            }
            let shift = trade_log_shift(
                f64::from(s.pta[ij]) - f64::from(s.pta0[ij]),
                s.institutions[ij] - s.institutions0[ij],
                s.peace_years[ij],
                p,
            );
            let tariff = 0.5 * (s.tariff[ij] + s.tariff[ji]);
            let target = gravity_target_grown(
                s.trade_baseline[ij],
                growth[i],
                growth[j],
                shift,
                tariff,
                p.trade_tariff_elasticity,
            );
            // An overflowing target saturates at the ceiling; an undefined one leaves trade as it is.
            let target = if target.is_nan() {
                s.trade[ij]
            } else {
                target.min(TRADE_CEILING)
            };
            let x = partial_adjust(s.trade[ij], target, lambda);
            s.trade[ij] = x;
            s.trade[ji] = x;
        }
    }
    for i in 0..n {
        s.totals[i] = s.trade[i * n..(i + 1) * n].iter().sum();
    }
}

/// The realist alignment term of every directed pair (i, j): the mean of i's distrust over j's
/// partners in each of j's defence pacts that i is not in. The sum over a pact's members other
/// than j is taken as the sum over all its members less j's own term, in member order: the
/// engine's order of operations, so that the bits agree.
pub fn rival_alignment(s: &Snapshot) -> Vec<f64> {
    let n = s.n;
    let mut member = vec![vec![false; n]; s.pacts.len()];
    let mut pacts_of = vec![Vec::new(); n];
    for (t, members) in s.pacts.iter().enumerate() {
        for &k in members {
            member[t][k] = true;
            pacts_of[k].push(t);
        }
    }
    let mut rival = vec![0.0; n * n];
    for i in 0..n {
        let mut distrust_of_pact = vec![0.0; s.pacts.len()];
        for (t, members) in s.pacts.iter().enumerate() {
            distrust_of_pact[t] = members.iter().map(|&k| 1.0 - s.trust[i * n + k]).sum();
        }
        for j in 0..n {
            if j == i {
                continue;
            }
            let (mut sum, mut count) = (0.0, 0usize);
            for &t in &pacts_of[j] {
                if !member[t][i] {
                    sum += distrust_of_pact[t] - (1.0 - s.trust[i * n + j]);
                    count += s.pacts[t].len() - 1;
                }
            }
            if count > 0 {
                rival[i * n + j] = sum / count as f64;
            }
        }
    }
    rival
}

/// Trust returns toward its structural anchor and identity pulls it along; we-feeling grows
/// from relative acceptance of trade; each pair's Kantian culture follows.
pub fn trust_and_identity(s: &mut Snapshot) {
    let n = s.n;
    let p = &s.params;
    let dt = s.dt;
    let mut grown = vec![0.0; n];
    let mut open = vec![0.0; n];
    for i in 0..n {
        grown[i] = power_growth(s.power[i], s.power0[i]);
        open[i] = openness(s.orientation[i]);
    }
    let total: f64 = s.totals.iter().sum();
    let sd_power = p.security_dilemma_weight * p.security_power_sensitivity;
    let sd_rival = p.security_dilemma_weight * p.security_rival_sensitivity;
    // The security dilemma's exp(s_p g) of each state.
    let factor: Vec<f64> = grown.iter().map(|&g| power_factor(sd_power, g)).collect();
    // The rival-alignment term counts where the lens weighs it and there are pacts at all.
    let rival_on = sd_rival > 0.0 && !s.pacts.is_empty();
    let rival = if rival_on { rival_alignment(s) } else { Vec::new() };
    let keep = half_life_keep(dt, p.trust_half_life);
    let nu = (p.identity_trust_weight * per_step_rate(p.identity_trust_rate, dt)).min(1.0);
    let eta = p.identity_weight * per_step_rate(p.identity_growth, dt);
    let mu = (p.identity_weight * per_step_rate(p.identity_decay, dt)).min(1.0);
    // A lens without growth or decay of identity leaves it as it is.
    let identity_moves = eta > 0.0 || mu > 0.0;
    for i in 0..n {
        for j in i + 1..n {
            if !(s.active[i] && s.active[j]) {
                continue;
            }
            let (ij, ji) = (i * n + j, j * n + i);
            let pressure = rivalry_pressure(s.rivalry[ij], p.rivalry_saturation);
            let drive = if identity_moves {
                let ra = relative_acceptance(s.trade[ij], s.totals[i], s.totals[j], total).unwrap_or(-1.0);
                logistic(transaction_drive(
                    p,
                    ra,
                    s.institutions[ij],
                    norm_similarity(&s.norms[i], &s.norms[j]),
                    pressure,
                ))
            } else {
                0.0
            };
            let allied = |x: u16| f64::from(u8::from(x > 0));
            let allied_change = allied(s.defense[ij]) - allied(s.defense0[ij]);
            let institutions_change = s.institutions[ij].min(3.0) - s.institutions0[ij].min(3.0);
            let rivalry_change = pressure - rivalry_pressure(s.rivalry0[ij], p.rivalry_saturation);
            let shift = anchor_shift(p, allied_change, institutions_change, rivalry_change);
            for (k, from, to) in [(ij, i, j), (ji, j, i)] {
                let rival_change = if rival_on { rival[k] - s.rival0[k] } else { 0.0 };
                let gain = grown[to] - grown[from] - s.gain0[k];
                // exp(s_p G) as the ratio of the two states' factors; a pair that began at an
                // entry measures its gain from then, and takes the exponential of that gain.
                let ratio = if s.gain0[k] != 0.0 {
                    comity::sim::math::exp(sd_power * gain)
                } else {
                    dilemma_ratio(factor[to], factor[from], sd_power, gain)
                };
                let anchor = trust_anchor_from_odds(
                    s.trust0[k],
                    anchor_odds_against(s.trust0[k]),
                    ratio,
                    sd_power * gain != 0.0,
                    rival_change,
                    sd_rival,
                    shift,
                );
                let t = revert_to_anchor(s.trust[k], s.anchor[k], anchor, keep);
                s.anchor[k] = anchor;
                s.trust[k] = identity_pull(t, s.identity[k], nu).clamp(0.0, 1.0);
                if identity_moves {
                    s.identity[k] = identity_growth_step(s.identity[k], drive, eta, mu, open[from]);
                }
            }
            let w = 0.5 * (s.identity[ij] + s.identity[ji]);
            let t = 0.5 * (s.trust[ij] + s.trust[ji]);
            let kantian = culture(w, t, s.kantian[ij], p) == Culture::Kantian;
            s.kantian[ij] = kantian;
            s.kantian[ji] = kantian;
        }
    }
}

/// Dispute onset: every pair, present or not, draws two uniforms in dyad order; a present pair
/// not in a scripted crisis has an onset when the first is below its per-step hazard (the onset
/// logit gated by its zone of peace), and the second picks the initiator.
pub fn onset(s: &Snapshot) -> Vec<(usize, usize)> {
    let n = s.n;
    let p = &s.params;
    let mut draws = s.key.at_tick(Stream::Onset, s.tick);
    let mut onsets = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let (u_onset, u_side) = (draws.uniform(), draws.uniform());
            if !(s.active[i] && s.active[j]) || s.crises.iter().any(|&(a, b)| (a.min(b), a.max(b)) == (i, j)) {
                continue;
            }
            let (ij, ji) = (i * n + j, j * n + i);
            let shared_igos = s.shared_igos[ij] + f64::from(s.shared[ij]) - f64::from(s.shared0[ij]);
            let x = OnsetInputs {
                contiguous: s.contiguous[ij],
                log_distance: log_distance(s.distance[ij]),
                major: s.major[i] || s.major[j],
                log_power_ratio: log_power_ratio(s.power[i], s.power[j]),
                min_democracy: s.democracy[i].min(s.democracy[j]),
                dependence: trade_dependence(s.trade[ij], s.gdp[i], s.gdp[j]),
                institutions: s.institutions[ij],
                allied: s.defense[ij] > 0,
                peace_years: s.peace_years[ij],
                mean_trust: 0.5 * (s.trust[ij] + s.trust[ji]),
                mean_identity: 0.5 * (s.identity[ij] + s.identity[ji]),
                rivalry: rivalry_pressure(s.rivalry[ij], p.rivalry_saturation),
                igo_density: igo_density(shared_igos, p.igo_density_scale),
            };
            let zone = zone_score(p, &ZoneInputs::of(s.kantian[ij], &x));
            let p_year = gated_probability(logistic(onset_logit(p, &x)), p.zone_peace, zone);
            if u_onset < per_step_probability(p_year, s.dt) {
                let i_first = u_side < initiator_probability(s.trust[ij], s.trust[ji]);
                onsets.push(if i_first { (i, j) } else { (j, i) });
            }
        }
    }
    onsets
}
