//! Dispute onset and escalation along the COW hostility ladder.

use super::events::observe;
use super::kernels;
use super::mechanisms::*;
use super::rng::Stream;
use super::world::*;
use crate::params::Params;
use crate::time::per_step_probability;
use bevy_ecs::prelude::*;

/// Dispute onset: one logit hazard per undirected dyad per tick (Bremer 1992;
/// brief section 3), multiplied by the zone-of-peace gate of the lens ([`zone_score`]). Every dyad draws exactly two uniforms in dyad order, whether
/// or not it is already in a scripted crisis, so the draws are common across
/// lenses and scenarios. The less trusting side is the likelier initiator.
pub fn onset_disputes(
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    rel: Res<Relations>,
    mut log: ResMut<TickLog>,
) {
    let p = &model.0;
    let n = rel.n;
    let mut draws = info.key.at_tick(Stream::Onset, clock.tick);
    let log = &mut *log;
    let scripted: Vec<(usize, usize)> = log.crises.iter().map(|&(a, b, _)| (a.min(b), a.max(b))).collect();
    let log_power: Vec<f64> = table.power.iter().map(|&x| log_power(x)).collect();
    let zones_on = p.zone_kantian_weight > 0.0 || p.zone_liberal_weight > 0.0;
    let (mut u_onset, mut u_side, mut maybe) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut bytes = Vec::with_capacity(16 * n);
    for i in 0..n.saturating_sub(1) {
        // Every pair draws, in dyad order, present or not, so that the draws of present pairs
        // never depend on which states are absent: two uniforms per pair, onset then side.
        let len = n - i - 1;
        draws.uniform_pairs(len, &mut bytes, &mut u_onset, &mut u_side);
        let (lo, hi) = (i * n + i + 1, (i + 1) * n);
        let row = kernels::OnsetRow {
            contiguous: &rel.contiguous[lo..hi],
            log_distance: &rel.log_distance[lo..hi],
            trade: &rel.trade[lo..hi],
            institutions: &ties.institutions[lo..hi],
            defense: &ties.defense[lo..hi],
            peace_years: &rel.peace_years[lo..hi],
            mean_trust: &rel.mean_trust[lo..hi],
            mean_identity: &rel.mean_identity[lo..hi],
            rivalry: &rel.rivalry[lo..hi],
            shared_igos: &rel.shared_igos[lo..hi],
            shared: &ties.shared[lo..hi],
            shared0: &ties.shared0[lo..hi],
            major: &table.major[i + 1..],
            log_power: &log_power[i + 1..],
            democracy: &table.democracy[i + 1..],
            gdp: &table.gdp[i + 1..],
            major_i: table.major[i],
            log_power_i: log_power[i],
            democracy_i: table.democracy[i],
            gdp_i: table.gdp[i],
            u_onset: &u_onset,
        };
        // Most pairs' draws lie above a cheap upper bound of their hazard: no onset, and no
        // need for the two exponentials and the zone score (an exact shortcut, not an
        // approximation: the same pairs have onsets either way). The bounds of a row are taken
        // at once, vectorised; the few pairs left take the exact path, in dyad order.
        maybe.clear();
        maybe.resize(len, false);
        kernels::onset_candidates(p, &row, &mut maybe);
        for c in (0..len).filter(|&c| maybe[c]) {
            let j = i + 1 + c;
            if !table.pair_active(i, j) || (!scripted.is_empty() && scripted.contains(&(i, j))) {
                continue;
            }
            let (ij, ji) = (i * n + j, j * n + i);
            let x = row.inputs(p, c);
            let zone = if zones_on {
                zone_score(p, &ZoneInputs::of(rel.kantian[ij], &x))
            } else {
                0.0
            };
            let p_year = gated_probability(logistic(onset_logit(p, &x)), p.zone_peace, zone);
            let p_step = per_step_probability(p_year, clock.dt);
            if u_onset[c] < p_step {
                let p_i_first = initiator_probability(rel.trust[ij], rel.trust[ji]);
                log.onsets.push(if u_side[c] < p_i_first { (i, j) } else { (j, i) });
            }
        }
    }
}

/// Escalates every dispute of this tick (scripted crises first, then onsets in
/// dyad order), calls the target's defence allies at war (and at use of force
/// with probability `call_at_force`), settles it, and feeds the consequences
/// back into trust, identity and peace years.
/// Each dispute draws eight uniforms from the sub-stream of its dyad; each
/// call, one from the sub-stream of its (dyad, ally).
#[allow(clippy::too_many_arguments)]
pub fn escalate_disputes(
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    mut rel: ResMut<Relations>,
    mut log: ResMut<TickLog>,
    mut outcomes: ResMut<Outcomes>,
) {
    let p = &model.0;
    let n = rel.n;
    let log = &mut *log;
    let mut queue: Vec<(usize, usize, Option<Hostility>)> =
        log.crises.iter().map(|&(a, b, l)| (a, b, Some(l))).collect();
    queue.extend(log.onsets.iter().map(|&(a, b)| (a, b, None)));
    for (a, b, scripted_level) in queue {
        let dyad = (a.min(b) * n + a.max(b)) as u32;
        let mut stream = info.key.at(Stream::Escalation, clock.tick, dyad);
        let u = EscalationDraws::from_uniforms(std::array::from_fn(|_| stream.uniform()));
        let (ab, ba) = (a * n + b, b * n + a);
        let kantian =
            (p.kantian_cap >= 0.5 && rel.kantian[ab]) || settles_by_talks(p, zone_of(p, &table, &ties, &rel, a, b));
        let reciprocated = u.reciprocation < p.reciprocation;
        let cap = escalation_cap(kantian, reciprocated);
        let entry = match scripted_level {
            Some(level) => level,
            None => entry_level(p, u.entry).min(cap),
        };
        // The target calls its defence allies once: at war always, at use of force with
        // probability `call_at_force` (one draw per dispute).
        let calls_at_force = u.call_at_force < p.call_at_force;
        let mut level = entry;
        let mut called = false;
        let mut joiners = Vec::new();
        let mut steps = u.steps.iter();
        loop {
            if !called && (level == Hostility::War || (level == Hostility::Force && calls_at_force)) {
                called = true;
                call_allies(
                    p,
                    &info,
                    clock.tick,
                    dyad,
                    a,
                    b,
                    &table,
                    &ties,
                    &mut rel,
                    &mut joiners,
                    &mut log.calls,
                );
            }
            if level >= cap {
                break;
            }
            let Some(step_u) = steps.next() else { break };
            let x = EscalationInputs {
                parity: parity(table.power[a], table.power[b]),
                mean_trust: 0.5 * (rel.trust[ab] + rel.trust[ba]),
                joiners: joiners.len(),
                institutions: ties.institutions[ab],
                mean_identity: 0.5 * (rel.identity[ab] + rel.identity[ba]),
                rivalry: rivalry_pressure(rel.rivalry[ab], p.rivalry_saturation),
            };
            if *step_u >= escalation_probability(p, level, &x) {
                break;
            }
            level = level.escalated();
        }
        let side_b_power: f64 = table.power[b] + joiners.iter().map(|&k| table.power[k]).sum::<f64>();
        let share_a = war_share(table.power[a], side_b_power);
        let outcome = dispute_outcome(p, level, kantian, share_a, u.outcome, u.yield_side);
        apply_consequences(p, &ties, &mut rel, a, b, level, &joiners);
        let dispute = Dispute {
            tick: clock.tick,
            a,
            b,
            entry,
            highest: level,
            reciprocated,
            joiners,
            outcome,
            scripted: scripted_level.is_some(),
        };
        if info.record_disputes {
            outcomes.disputes.push(dispute.clone());
        }
        log.disputes.push(dispute);
    }
}

/// Calls the target's defence allies (not those also allied to the initiator).
/// Each honours with the Leeds probability; the target reads the answer as a
/// cooperation or defection signal in every lens.
#[allow(clippy::too_many_arguments)]
fn call_allies(
    p: &Params,
    info: &RunInfo,
    tick: u32,
    dyad: u32,
    a: usize,
    b: usize,
    table: &StateTable,
    ties: &Ties,
    rel: &mut Relations,
    joiners: &mut Vec<usize>,
    calls: &mut Vec<Call>,
) {
    let n = rel.n;
    for &k in ties.allies[b]
        .iter()
        .filter(|&&k| k != a && ties.defense[a * n + k] == 0)
    {
        let (power_then, democracy_then) = ties.joined[k * n + b];
        let power_change = if power_then > 0.0 && table.power[k] > 0.0 {
            crate::sim::math::ln(table.power[k] / power_then).abs()
        } else {
            0.0
        };
        let change = power_change + (table.democracy[k] - democracy_then).abs();
        let prob = honour_probability(p, table.major[k], table.democracy[k], change, table.orientation[k]);
        let sub = dyad.wrapping_mul(n as u32).wrapping_add(k as u32);
        let honoured = info.key.at(Stream::Honour, tick, sub).uniform() < prob;
        let weight = p.honour_signal * p.bayes_weight.max(p.security_dilemma_weight);
        observe(rel, ties, p, b, k, honoured, weight);
        if honoured {
            joiners.push(k);
        }
        calls.push(Call {
            target: b,
            ally: k,
            honoured,
        });
    }
}

/// A dispute is a defection both sides observe (weight `level / 5`) and adds 1 to the
/// pair's rivalry stock; at use of force or war it also costs identity. Joiners enter the dispute with the initiator.
fn apply_consequences(
    p: &Params,
    ties: &Ties,
    rel: &mut Relations,
    a: usize,
    b: usize,
    level: Hostility,
    joiners: &[usize],
) {
    let n = rel.n;
    let weight = p.dispute_signal * f64::from(level.level()) / 5.0;
    let loss = p.identity_weight * p.dispute_identity_loss;
    let mut pairs = vec![(a, b)];
    pairs.extend(joiners.iter().map(|&k| (a, k)));
    for (x, y) in pairs {
        observe(rel, ties, p, x, y, false, weight);
        observe(rel, ties, p, y, x, false, weight);
        rel.peace_years[x * n + y] = 0.0;
        rel.peace_years[y * n + x] = 0.0;
        rel.rivalry[x * n + y] += 1.0;
        rel.rivalry[y * n + x] += 1.0;
        if level.is_force() {
            rel.force_years[x * n + y] = 0.0;
            rel.force_years[y * n + x] = 0.0;
            for k in [x * n + y, y * n + x] {
                rel.identity[k] = (rel.identity[k] - loss).max(0.0);
            }
        }
    }
}

/// The pair's IGO density: the shared IGOs at the start plus the change in shared
/// non-defence treaties since then (joining the EC adds one IGO), over `igo_density_scale`.
fn pair_igo_density(p: &Params, ties: &Ties, rel: &Relations, k: usize) -> f64 {
    igo_density(shared_igo_count(ties, rel, k), p.igo_density_scale)
}

/// The pair's shared IGOs (`k`: its index in the `n x n` arrays): those at the start plus the
/// change in shared non-defence treaties since then.
pub fn shared_igo_count(ties: &Ties, rel: &Relations, k: usize) -> f64 {
    rel.shared_igos[k] + f64::from(ties.shared[k]) - f64::from(ties.shared0[k])
}

/// The zone-of-peace score of the pair (i, j) under the lens ([`zone_score`]).
fn zone_of(p: &Params, table: &StateTable, ties: &Ties, rel: &Relations, i: usize, j: usize) -> f64 {
    if p.zone_kantian_weight <= 0.0 && p.zone_liberal_weight <= 0.0 {
        return 0.0;
    }
    let n = rel.n;
    let (ij, ji) = (i * n + j, j * n + i);
    zone_score(
        p,
        &ZoneInputs {
            kantian: rel.kantian[ij],
            mean_identity: 0.5 * (rel.identity[ij] + rel.identity[ji]),
            mean_trust: 0.5 * (rel.trust[ij] + rel.trust[ji]),
            min_democracy: table.democracy[i].min(table.democracy[j]),
            dependence: trade_dependence(rel.trade[ij], table.gdp[i], table.gdp[j]),
            igo_density: pair_igo_density(p, ties, rel, ij),
        },
    )
}
