//! Capability drift, trade, trust, identity and norm diffusion.

use super::kernels;
use super::math::exp;
use super::mechanisms::*;
use super::rng::Stream;
use super::world::*;
use crate::scenario::NORMS;
use bevy_ecs::prelude::*;

/// Capabilities drift as geometric random walks: power share with volatility
/// `power_volatility` and no trend, GDP with trend `gdp_growth`. Each state draws
/// two normals from its own sub-stream.
pub fn drift_capabilities(
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    table: Res<StateTable>,
    mut states: Query<(&StateIndex, &mut Capability)>,
) {
    let p = &model.0;
    let dt = clock.dt;
    let blocks = info.key.first_blocks(
        Stream::Capabilities,
        clock.tick,
        (0..table.active.len() as u32).collect(),
    );
    for (index, mut cap) in &mut states {
        // An absent state's capabilities wait for its entry (its draws are its own sub-stream).
        if !table.active[index.0] {
            continue;
        }
        let mut draws = blocks.draws(index.0);
        let (z_power, z_gdp) = (draws.normal(), draws.normal());
        cap.power = martingale_step(cap.power, p.power_volatility, dt, z_power).min(POWER_CEILING);
        cap.gdp = geometric_step(cap.gdp, p.gdp_growth, p.gdp_volatility, dt, z_gdp).min(GDP_CEILING);
    }
}

/// The components a state contributes to the [`StateTable`] each tick: those that change.
type StateRow = (
    &'static StateIndex,
    &'static Capability,
    &'static Orientation,
    &'static Norms,
);

/// Copies the state components that change during a run into the dense [`StateTable`] (by state
/// index). Democracy and major-power status do not change in a run: the table has them from
/// the start.
pub fn gather_state_table(mut table: ResMut<StateTable>, states: Query<StateRow>) {
    let table = &mut *table;
    std::mem::swap(&mut table.power_prev, &mut table.power);
    for (index, cap, orientation, norms) in &states {
        let i = index.0;
        table.power[i] = cap.power;
        table.gdp[i] = cap.gdp;
        table.orientation[i] = orientation.0;
        table.norms[i] = norms.0;
    }
}

/// Each state's [`Trade`] total, by state index.
pub(super) fn trade_totals(n: usize, states: &Query<(&StateIndex, &Trade)>) -> Vec<f64> {
    let mut totals = vec![0.0; n];
    for (index, trade) in states {
        totals[index.0] = trade.total;
    }
    totals
}

/// Recomputes the treaty-derived ties when memberships changed: every pair after a scripted
/// event, only the pairs of the states that left or formed a pact otherwise ([`Ties::refresh`]).
pub fn refresh_ties(mut ties: ResMut<Ties>, treaties: Query<&Treaty>) {
    if !ties.dirty && ties.touched.is_empty() {
        return;
    }
    let mut list: Vec<&Treaty> = treaties.iter().collect();
    list.sort_by_key(|t| t.order);
    ties.refresh(&list);
}

/// The pairs of the states that entered this tick begin now: their baselines (shared pacts and
/// institutions, alliance, rival alignment, the relative power gain) are taken from the ties that
/// include the treaties joined on entry, and the trade baseline is set so that the gravity target
/// at entry is the scenario's trade (GDP growth counts from the entry, as from the start for the
/// others). Runs after `refresh_ties`; a no-op in a tick without an entry.
pub fn settle_entries(
    model: Res<Model>,
    table: Res<StateTable>,
    mut ties: ResMut<Ties>,
    mut rel: ResMut<Relations>,
    mut entrants: ResMut<Entrants>,
) {
    if entrants.pending.is_empty() {
        return;
    }
    let p = &model.0;
    let n = rel.n;
    let grown: Vec<f64> = (0..n).map(|i| power_growth(table.power[i], table.power0[i])).collect();
    let growth: Vec<f64> = (0..n)
        .map(|i| gdp_growth_factor(table.gdp[i], table.gdp0[i], p.trade_gdp_elasticity))
        .collect();
    let rival = rival_alignment(n, &rel.trust, &ties);
    let (rel, ties) = (&mut *rel, &mut *ties);
    let mut pending = std::mem::take(&mut entrants.pending);
    pending.sort_unstable();
    pending.dedup();
    for &e in &pending {
        // A pair of two states that entered together is begun once, by the first of them.
        for j in (0..n).filter(|&j| j != e && !(j < e && pending.binary_search(&j).is_ok())) {
            for (k, from, to) in [(e * n + j, e, j), (j * n + e, j, e)] {
                ties.pta0[k] = ties.pta[k];
                ties.institutions0[k] = ties.institutions[k];
                ties.defense0[k] = ties.defense[k];
                ties.shared0[k] = ties.shared[k];
                rel.gain0[k] = grown[to] - grown[from];
                if !rel.rival0.is_empty() {
                    rel.rival0[k] = rival[k];
                }
                rel.trade_baseline[k] = entry_trade_baseline(rel.trade_baseline[k], growth[e], growth[j]);
            }
        }
    }
}

/// Trade moves toward its gravity target by partial adjustment (brief section 3, liberal).
pub fn update_trade(
    clock: Res<Clock>,
    model: Res<Model>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    mut rel: ResMut<Relations>,
    mut states: Query<(&StateIndex, &mut Trade)>,
    mut targets: Local<Vec<f64>>,
) {
    let p = &model.0;
    let n = rel.n;
    let lambda = per_step_rate(p.trade_adjustment, clock.dt);
    // (GDP / GDP0)^a per state, once per tick; the gravity target then needs no powf per dyad.
    let growth: Vec<f64> = (0..n)
        .map(|i| gdp_growth_factor(table.gdp[i], table.gdp0[i], p.trade_gdp_elasticity))
        .collect();
    let Relations {
        trade,
        trade_baseline,
        peace_years,
        tariff,
        ..
    } = &mut *rel;
    // Each pair's trade depends on its own entries alone: a row of pairs (i, j > i) at a time
    // in a vectorised kernel (two exponentials per pair).
    let row_of = |i: usize| {
        let (lo, hi) = (i * n + i + 1, (i + 1) * n);
        kernels::TradeRow {
            baseline: &trade_baseline[lo..hi],
            pta: &ties.pta[lo..hi],
            pta0: &ties.pta0[lo..hi],
            institutions: &ties.institutions[lo..hi],
            institutions0: &ties.institutions0[lo..hi],
            peace_years: &peace_years[lo..hi],
            growth: &growth[i + 1..],
            growth_i: growth[i],
        }
    };
    if table.all_active && tariff.iter().all(|&t| t == 0.0) {
        // The common case: every pair of the upper triangle in the kernel, then the (j, i)
        // entries from the (i, j) ones in tiles (trade is symmetric: a pair's trade is one
        // number, as the scenario gives it, and every write sets both entries).
        for i in 0..n.saturating_sub(1) {
            let (lo, hi) = (i * n + i + 1, (i + 1) * n);
            kernels::trade_untariffed(p, &row_of(i), lambda, &mut trade[lo..hi]);
        }
        mirror_upper(n, trade);
    } else {
        // Absent states or tariffs: the targets without tariff in the kernel, then each pair
        // in order, with its tariff.
        for i in 0..n.saturating_sub(1) {
            let (lo, hi) = (i * n + i + 1, (i + 1) * n);
            targets.resize(hi - lo, 0.0);
            kernels::trade_targets(p, &row_of(i), &mut targets);
            for (c, &untariffed) in targets.iter().enumerate() {
                let (j, k) = (i + 1 + c, lo + c);
                // A pair with an absent state has no trade (set to 0 at the exit, or from the
                // start).
                let base = trade_baseline[k];
                if base <= 0.0 || !table.pair_active(i, j) {
                    continue;
                }
                let tariff = 0.5 * (tariff[k] + tariff[j * n + i]);
                let target = if tariff > 0.0 {
                    let shift = trade_log_shift_faded(
                        f64::from(ties.pta[k]) - f64::from(ties.pta0[k]),
                        ties.institutions[k] - ties.institutions0[k],
                        exp(-peace_years[k] / p.trade_dispute_memory),
                        p,
                    );
                    gravity_target_grown(base, growth[i], growth[j], shift, tariff, p.trade_tariff_elasticity)
                } else {
                    untariffed
                };
                let x = partial_adjust(trade[k], kernels::saturated_target(target, trade[k]), lambda);
                trade[k] = x;
                trade[j * n + i] = x;
            }
        }
    }
    let mut totals = vec![0.0; n];
    kernels::row_sums(n, &rel.trade, &mut totals);
    for (index, mut trade) in &mut states {
        trade.total = totals[index.0];
    }
}

/// The realist alignment term of every directed pair: how far j is allied with states i
/// distrusts, as the mean of i's distrust over j's partners in each of j's pacts that i is not in
/// (partners in a pact i shares with j are i's own allies, no threat to i). With
/// `R[i][t] = sum over members k of pact t of (1 - T_ik)`, this is
/// `sum_{t contains j, not i} (R[i][t] - (1 - T_ij)) / sum_{t contains j, not i} (|t| - 1)`
/// ([`kernels::rival_alignment_into`]).
pub fn rival_alignment(n: usize, trust: &[f64], ties: &Ties) -> Vec<f64> {
    let mut rival = Vec::new();
    kernels::rival_alignment_into(
        n,
        trust,
        &ties.pacts,
        &ties.pacts_of,
        &mut kernels::RivalScratch::default(),
        &mut rival,
    );
    rival
}

/// Trust and identity, directed, for every ordered pair.
///
/// Trust has a structural anchor (issue 9): the level the lens's structural variables set,
/// relative to the pair's trust at the start ([`trust_anchor`]): the security dilemma's relative
/// power and rival alignment (realist weight), and the changes of shared alliance, institutions and
/// rivalry ([`anchor_shift`]). Signals (events, disputes, alliance calls; Bayesian for the liberal
/// lens) move trust off the anchor, and the deviation returns with `trust_half_life`
/// ([`revert_to_anchor`]). Identity then pulls trust along (constructivist), and we-feeling grows
/// from relative acceptance of transactions (Deutsch; Savage-Deutsch).
pub fn update_trust_and_identity(
    clock: Res<Clock>,
    model: Res<Model>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    mut rel: ResMut<Relations>,
    states: Query<(&StateIndex, &Trade)>,
    mut scratch: Local<TrustScratch>,
) {
    let p = &model.0;
    let n = rel.n;
    let dt = clock.dt;
    let rel = &mut *rel;
    // Each state's log capability change since the start.
    let grown: Vec<f64> = (0..n).map(|i| power_growth(table.power[i], table.power0[i])).collect();
    let totals = trade_totals(n, &states);
    let total: f64 = totals.iter().sum();
    let sd_power = p.security_dilemma_weight * p.security_power_sensitivity;
    // The security dilemma's exp(s_p g) per state, once per tick: a pair's exp(s_p G) is then a
    // ratio ([`dilemma_ratio`]), with no exponential per pair.
    let factor: Vec<f64> = grown.iter().map(|&g| power_factor(sd_power, g)).collect();
    let sd_rival = p.security_dilemma_weight * p.security_rival_sensitivity;
    let rival_on = sd_rival > 0.0 && !ties.pacts.is_empty();
    let TrustScratch {
        drive,
        shift,
        rival,
        rival_buffers,
        columns,
    } = &mut *scratch;
    let rival: &[f64] = if rival_on {
        kernels::rival_alignment_into(n, &rel.trust, &ties.pacts, &ties.pacts_of, rival_buffers, rival);
        rival
    } else {
        &[]
    };
    let keep = half_life_keep(dt, p.trust_half_life);
    let nu = (p.identity_trust_weight * per_step_rate(p.identity_trust_rate, dt)).min(1.0);
    let eta = p.identity_weight * per_step_rate(p.identity_growth, dt);
    let mu = (p.identity_weight * per_step_rate(p.identity_decay, dt)).min(1.0);
    let identity_moves = eta > 0.0 || mu > 0.0;
    let openness_of: Vec<f64> = table.orientation.iter().map(|&o| openness(o)).collect();
    // Split borrows: the compiler then knows the arrays do not alias, and keeps their addresses
    // in registers across the stores.
    let Relations {
        trust,
        identity,
        trade,
        anchor: anchor_prev,
        trust0,
        anchor_odds,
        rival0,
        rivalry,
        rivalry0,
        kantian,
        gain0,
        mean_trust,
        mean_identity,
        ..
    } = rel;
    let offsets = !gain0.is_empty();
    let (institutions, institutions0) = (&ties.institutions[..], &ties.institutions0[..]);
    let (defense, defense0) = (&ties.defense[..], &ties.defense0[..]);
    drive.resize(n * n, 0.0);
    shift.resize(n * n, 0.0);
    // 1. The transaction drive and the structural shift are symmetric (RA, shared institutions,
    // norm similarity, alliance and rivalry are), so they are computed once per undirected pair,
    // a row of pairs (i, j > i) at a time in a vectorised kernel (the drive's logistic included),
    // then copied to the (j, i) entries, where the directed rows read them contiguously. Pairs
    // with an absent state get values that nothing reads (they wait, frozen, until it enters;
    // after an exit they no longer move).
    for i in 0..n.saturating_sub(1) {
        let (lo, hi) = (i * n + i + 1, (i + 1) * n);
        let row = kernels::SymmetricRow {
            trade: &trade[lo..hi],
            institutions: &institutions[lo..hi],
            institutions0: &institutions0[lo..hi],
            defense: &defense[lo..hi],
            defense0: &defense0[lo..hi],
            rivalry: &rivalry[lo..hi],
            rivalry0: &rivalry0[lo..hi],
            totals: &totals[i + 1..],
            norms: &table.norms[i + 1..],
            total_i: totals[i],
            norms_i: table.norms[i],
            total,
        };
        kernels::symmetric_terms(p, &row, identity_moves, &mut drive[lo..hi], &mut shift[lo..hi]);
    }
    mirror_upper(n, drive);
    mirror_upper(n, shift);
    // 2. Every directed pair: the structural anchor, reversion to it, identity's pull and
    // identity growth. Each reads and writes its own entries only.
    let c = kernels::DirectedConsts {
        sd_power,
        sd_rival,
        keep,
        nu,
        eta,
        mu,
    };
    let fast = table.all_active && !offsets && factor.iter().all(|f| f.is_normal());
    if fast {
        // Contiguous rows, vectorised on the CPU path chosen at run time (same bits on each).
        let mut arrays = kernels::DirectedArrays {
            n,
            trust0,
            odds_against: anchor_odds,
            rival,
            rival0: if rival_on { rival0 } else { &[] },
            shift,
            drive,
            factor: &factor,
            grown: &grown,
            openness: &openness_of,
            trust,
            anchor: anchor_prev,
            identity,
        };
        kernels::directed_rows(&c, &mut arrays, rival_on, identity_moves);
    } else {
        let step = if identity_moves {
            kernels::directed_step::<true>
        } else {
            kernels::directed_step::<false>
        };
        for from in (0..n).filter(|&i| table.active[i]) {
            for to in (0..n).filter(|&j| j != from && table.active[j]) {
                let k = from * n + to;
                let rival_change = if rival_on { rival[k] - rival0[k] } else { 0.0 };
                // The relative gain since the pair began: the start, or a later entry (`gain0`).
                let gain = grown[to] - grown[from];
                // A pair that began after the start (an entry) has its own base: its ratio is
                // the exponential of its gain since then.
                let (gain, ratio) = if offsets && gain0[k] != 0.0 {
                    let gain = gain - gain0[k];
                    (gain, crate::sim::math::exp(sd_power * gain))
                } else {
                    (gain, dilemma_ratio(factor[to], factor[from], sd_power, gain))
                };

                (trust[k], anchor_prev[k], identity[k]) = step(
                    &c,
                    trust0[k],
                    anchor_odds[k],
                    gain,
                    ratio,
                    rival_change,
                    shift[k],
                    drive[k],
                    openness_of[from],
                    trust[k],
                    anchor_prev[k],
                    identity[k],
                );
            }
        }
    }
    // 3. Wendt's culture of each pair, from both directions' new trust and identity, and the
    // pair's mean trust and identity: by rows when every state is present (the same values).
    if table.all_active {
        kernels::kantian_rows(
            n,
            p.kantian_enter,
            p.kantian_exit,
            trust,
            identity,
            kantian,
            mean_trust,
            mean_identity,
            columns,
        );
        return;
    }
    for_each_pair_tiled(n, |i, j| {
        if !table.pair_active(i, j) {
            return;
        }
        let (ij, ji) = (i * n + j, j * n + i);
        let w = 0.5 * (identity[ij] + identity[ji]);
        let t = 0.5 * (trust[ij] + trust[ji]);
        let is_kantian = culture(w, t, kantian[ij], p) == Culture::Kantian;
        kantian[ij] = is_kantian;
        kantian[ji] = is_kantian;
        // The means dispute onset reads, along rows (`Relations::mean_trust`).
        (mean_trust[ij], mean_identity[ij]) = (t, w);
    });
}

/// Copies the upper triangle of an `n x n` matrix onto the lower, in tiles (contiguous stores).
fn mirror_upper(n: usize, m: &mut [f64]) {
    const TILE: usize = 32;
    for ib in (0..n).step_by(TILE) {
        for jb in (0..=ib).step_by(TILE) {
            for i in ib..(ib + TILE).min(n) {
                for j in jb..(jb + TILE).min(i) {
                    // (i, j) below the diagonal takes (j, i)
                    m[i * n + j] = m[j * n + i];
                }
            }
        }
    }
}

/// The trust pass's symmetric terms, mirrored to both directions (`n x n`), kept from tick to
/// tick by the system.
#[derive(Default)]
pub struct TrustScratch {
    drive: Vec<f64>,
    shift: Vec<f64>,
    /// The rival-alignment term of this tick, and the buffers that compute it.
    rival: Vec<f64>,
    rival_buffers: kernels::RivalScratch,
    /// The `(j, i)` entries [`kernels::kantian_rows`] copies, eight columns at a time.
    columns: Vec<f64>,
}

/// Axelrod's (1997) culture model on continuous norms: each state meets one
/// partner with probability `norm_interaction_rate` per year, chosen in
/// proportion to contact (contiguity, shared institutions, trade share);
/// they interact with probability equal to their similarity, and the state
/// moves one trait toward the partner's. Every state makes four draws per tick.
#[allow(clippy::too_many_arguments)]
pub fn diffuse_norms(
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    rel: Res<Relations>,
    registry: Res<Registry>,
    mut norms: Query<(&mut Norms, &Trade)>,
) {
    let p = &model.0;
    if p.norm_diffusion_weight <= 0.0 {
        return;
    }
    let n = rel.n;
    let rate = p.norm_diffusion_weight * per_step_rate(p.norm_interaction_rate, clock.dt);
    let mut weights = vec![0.0; n];
    let blocks = info
        .key
        .first_blocks(Stream::Norms, clock.tick, (0..n as u32).collect());
    for i in 0..n {
        let mut draws = blocks.draws(i);
        let (u_meet, u_partner, u_accept, u_trait) =
            (draws.uniform(), draws.uniform(), draws.uniform(), draws.uniform());
        if u_meet >= rate || n < 2 || !table.active[i] {
            continue;
        }
        let row_trade = norms.get(registry.states[i]).expect("state entity exists").1.total;
        if table.all_active {
            // Every pair present: the row in a vectorised kernel, then the state's own entry
            // set to 0.
            let row = i * n..(i + 1) * n;
            kernels::contact_weights(
                p,
                &rel.contiguous[row.clone()],
                &ties.institutions[row.clone()],
                &rel.trade[row],
                row_trade,
                &mut weights,
            );
            weights[i] = 0.0;
        } else {
            for (j, w) in weights.iter_mut().enumerate() {
                let k = i * n + j;
                *w = if j == i || !table.pair_active(i, j) {
                    0.0
                } else {
                    norm_contact_weight(p, rel.contiguous[k], ties.institutions[k], rel.trade[k], row_trade)
                };
            }
        }
        let sum: f64 = weights.iter().sum();
        let mut target = u_partner * sum;
        let partner = weights.iter().position(|&w| {
            target -= w;
            target < 0.0
        });
        let Some(j) = partner.or_else(|| weights.iter().rposition(|&w| w > 0.0)) else {
            continue;
        };
        let similarity = norm_similarity(&table.norms[i], &table.norms[j]);
        if u_accept < similarity {
            let trait_k = ((u_trait * NORMS as f64) as usize).min(NORMS - 1);
            let (mut mine, _) = norms.get_mut(registry.states[i]).expect("state entity exists");
            mine.0[trait_k] += p.norm_copy_share * (table.norms[j][trait_k] - mine.0[trait_k]);
        }
    }
}

/// Ages every dyad by one step (peace years, the rivalry stock's decay) and clears the tick log.
pub fn advance_clock(
    mut clock: ResMut<Clock>,
    model: Res<Model>,
    mut rel: ResMut<Relations>,
    mut log: ResMut<TickLog>,
) {
    let dt = clock.dt;
    // rivalry_decay(x, dt, half_life) = x * keep, with keep computed once per tick; a select,
    // not a filter, so that the loop vectorises (the same values: a stock that is not positive,
    // or NaN, stays as it is)
    let keep = rivalry_decay(1.0, dt, model.0.rivalry_half_life);
    for x in rel.rivalry.iter_mut() {
        *x = if *x > 0.0 { *x * keep } else { *x };
    }
    for x in rel.peace_years.iter_mut() {
        *x += dt;
    }
    for x in rel.force_years.iter_mut() {
        *x += dt;
    }
    let log = &mut *log;
    log.crises.clear();
    log.onsets.clear();
    log.disputes.clear();
    log.calls.clear();
    log.pacts_formed = 0;
    log.pact_exits = 0;
    clock.tick += 1;
}
