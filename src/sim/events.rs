//! Scripted events and the signals states read from each other's conduct.

use super::mechanisms::{GDP_CEILING, POWER_CEILING, weighted_signal};
use super::rng::Stream;
use super::world::*;
use crate::params::Params;
use crate::scenario::EventKind;
use bevy_ecs::prelude::*;

/// `observer` updates its trust in `actor` after seeing it cooperate or defect.
/// Shared institutions make the signal more reliable (Keohane 1984; Kydd 2005),
/// so its weight grows with their salience-weighted count.
pub fn observe(
    rel: &mut Relations,
    ties: &Ties,
    p: &Params,
    observer: usize,
    actor: usize,
    cooperated: bool,
    weight: f64,
) {
    if observer == actor || weight <= 0.0 {
        return;
    }
    let n = rel.n;
    let reliability = 1.0 + p.institution_signal_boost * ties.institutions[observer * n + actor];
    let t = &mut rel.trust[observer * n + actor];
    *t = weighted_signal(*t, p.bayes_q_coop, p.bayes_q_uncoop, cooperated, weight * reliability);
}

/// A state publicly breaks with a treaty (leaves it or announces it will).
/// Liberal channel: every other member runs a Bayesian defection update on the
/// leaver, weighted by salience. Constructivist channel: a norm violation, the
/// members' identity toward the leaver drops by `rho * salience` (a quarter of
/// that in the leaver's view of them) and the leaver's norm tied to the treaty
/// kind falls. Realist lenses set both weights to 0: only the material effect remains.
pub fn public_exit(rel: &mut Relations, ties: &Ties, p: &Params, treaty: &Treaty, leaver: usize, norms: &mut Norms) {
    let n = rel.n;
    for m in treaty.members.iter().map(|m| m.state).filter(|&m| m != leaver) {
        observe(rel, ties, p, m, leaver, false, p.bayes_weight * treaty.salience);
        let drop = p.identity_weight * p.norm_violation * treaty.salience;
        let w = &mut rel.identity[m * n + leaver];
        *w = (*w - drop).max(0.0);
        let w = &mut rel.identity[leaver * n + m];
        *w = (*w - 0.25 * drop).max(0.0);
    }
    let k = treaty.kind.norm();
    norms.0[k] = (norms.0[k] - p.identity_weight.min(1.0) * p.norm_exit_drop * treaty.salience).max(0.0);
}

/// A state enters: each of its pairs with a present state starts from the scenario's values, as a
/// pair present from the start starts at the start (trust and its anchor, identity, trade and its
/// baseline, peace years, rivalry; no tariff, no Kantian culture yet). `settle_entries` then sets
/// the baselines that depend on the ties and on capabilities since the start.
pub fn begin_pairs(rel: &mut Relations, initial: &Relations, active: &[bool], state: usize) {
    let n = rel.n;
    for j in (0..n).filter(|&j| j != state) {
        for k in [state * n + j, j * n + state] {
            rel.trust[k] = initial.trust[k];
            rel.trust0[k] = initial.trust0[k];
            rel.anchor_odds[k] = initial.anchor_odds[k];
            rel.anchor[k] = initial.trust[k];
            rel.identity[k] = initial.identity[k];
            rel.trade[k] = if active[j] { initial.trade[k] } else { 0.0 };
            rel.trade_baseline[k] = initial.trade_baseline[k];
            rel.peace_years[k] = initial.peace_years[k];
            rel.force_years[k] = initial.force_years[k];
            rel.rivalry[k] = initial.rivalry[k];
            rel.rivalry0[k] = initial.rivalry0[k];
            rel.kantian[k] = false;
            rel.tariff[k] = 0.0;
        }
    }
}

/// A state exits: it no longer trades, and tariffs on or by it lapse.
pub fn end_pairs(rel: &mut Relations, state: usize) {
    let n = rel.n;
    for j in 0..n {
        for k in [state * n + j, j * n + state] {
            rel.trade[k] = 0.0;
            rel.tariff[k] = 0.0;
        }
    }
}

/// Applies the events scheduled for this tick, in date then file order. Each
/// event draws one uniform from its own sub-stream, keyed by its position in the
/// file; the draws of the model's other streams do not depend on the events, but
/// inserting an event shifts the keys of the events after it.
#[allow(clippy::too_many_arguments)]
pub fn apply_scripted_events(
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    registry: Res<Registry>,
    mut timeline: ResMut<Timeline>,
    mut rel: ResMut<Relations>,
    mut ties: ResMut<Ties>,
    mut log: ResMut<TickLog>,
    mut table: ResMut<StateTable>,
    mut entrants: ResMut<Entrants>,
    mut treaties: Query<&mut Treaty>,
    mut states: Query<(&mut Capability, &Regime, &mut Orientation, &mut Norms)>,
) {
    let p = &model.0;
    let n = rel.n;
    while let Some(event) = timeline.events.get(timeline.next).cloned() {
        if event.tick > clock.tick {
            break;
        }
        timeline.next += 1;
        let u = info.key.at(Stream::Events, clock.tick, event.order as u32).uniform();
        if u >= event.probability {
            continue;
        }
        match event.kind {
            EventKind::Withdraw { state, treaty } | EventKind::Announce { state, treaty } => {
                let withdraw = matches!(event.kind, EventKind::Withdraw { .. });
                let mut t = treaties
                    .get_mut(registry.treaties[treaty])
                    .expect("treaty entity exists");
                if !t.has(state) {
                    continue;
                }
                let already_announced = t.announced.contains(&state);
                if !already_announced {
                    let (_, _, _, mut norms) = states.get_mut(registry.states[state]).expect("state entity exists");
                    public_exit(&mut rel, &ties, p, &t, state, &mut norms);
                }
                if withdraw {
                    t.members.retain(|m| m.state != state);
                    t.announced.retain(|&s| s != state);
                    t.former.push(state);
                    ties.dirty = true;
                } else if !already_announced {
                    t.announced.push(state);
                }
            }
            EventKind::Join { state, treaty } => {
                let mut t = treaties
                    .get_mut(registry.treaties[treaty])
                    .expect("treaty entity exists");
                if t.has(state) {
                    continue;
                }
                let (cap, regime, _, _) = states.get(registry.states[state]).expect("state entity exists");
                for m in t.members.iter().map(|m| m.state) {
                    observe(&mut rel, &ties, p, m, state, true, p.bayes_weight * t.salience);
                }
                t.admit(state, cap.power, regime.democracy);
                ties.dirty = true;
            }
            EventKind::Tariff { by, ref against, rate } => {
                for &a in against {
                    let old = std::mem::replace(&mut rel.tariff[by * n + a], rate);
                    if rate != old {
                        // Raising a tariff on a partner is a defection it observes; lifting one, a cooperation.
                        observe(&mut rel, &ties, p, a, by, rate < old, p.bayes_weight * p.tariff_signal);
                    }
                }
            }
            EventKind::Orientation { state, value } => {
                let (_, _, mut orientation, _) = states.get_mut(registry.states[state]).expect("state entity exists");
                let old = std::mem::replace(&mut orientation.0, value);
                let weight = p.bayes_weight * p.turn_signal * 2.0 * (value - old).abs();
                for j in (0..n).filter(|&j| j != state) {
                    observe(&mut rel, &ties, p, j, state, value > old, weight);
                }
            }
            EventKind::Crisis {
                aggressor,
                target,
                level,
            } => {
                // The loader admits levels 2 to 5 only (a located error otherwise).
                if let Some(level) = Hostility::from_level(level) {
                    log.crises.push((aggressor, target, level));
                }
            }
            EventKind::Shock {
                state,
                power_factor,
                gdp_factor,
            } => {
                let (mut cap, _, _, _) = states.get_mut(registry.states[state]).expect("state entity exists");
                cap.power = (cap.power * power_factor).min(POWER_CEILING);
                cap.gdp = (cap.gdp * gdp_factor).min(GDP_CEILING);
            }
            EventKind::Summit { ref states, trust } => {
                for &i in states {
                    for &j in states.iter().filter(|&&j| j != i) {
                        let t = &mut rel.trust[i * n + j];
                        *t = (*t + trust).clamp(0.0, 1.0);
                    }
                }
            }
            EventKind::CommonThreat { severity, addressed_by } => {
                let t = treaties
                    .get(registry.treaties[addressed_by])
                    .expect("treaty entity exists");
                let weight = p.threat_weight * severity;
                let members: Vec<usize> = t
                    .members
                    .iter()
                    .map(|m| m.state)
                    .filter(|s| !t.announced.contains(s))
                    .collect();
                let free_riders: Vec<usize> = t.former.iter().chain(&t.announced).copied().collect();
                for &i in &members {
                    for &j in &members {
                        observe(&mut rel, &ties, p, i, j, true, weight * p.threat_cooperation);
                    }
                    for &f in &free_riders {
                        observe(&mut rel, &ties, p, i, f, false, weight * p.threat_free_ride);
                    }
                }
            }
            EventKind::Enter {
                state,
                treaties: ref joined,
            } => {
                table.set_active(state, true);
                let initial = entrants
                    .initial
                    .clone()
                    .expect("a scenario with an `enter` keeps its initial dyads");
                begin_pairs(&mut rel, &initial, &table.active, state);
                let (cap, regime, _, _) = states.get(registry.states[state]).expect("state entity exists");
                for &k in joined {
                    let mut t = treaties.get_mut(registry.treaties[k]).expect("treaty entity exists");
                    if t.has(state) {
                        continue;
                    }
                    t.admit(state, cap.power, regime.democracy);
                    t.announced.retain(|&s| s != state);
                }
                ties.dirty = true;
                entrants.pending.push(state);
            }
            EventKind::Exit { state } => {
                table.set_active(state, false);
                for mut t in &mut treaties {
                    if t.has(state) || t.former.contains(&state) || t.announced.contains(&state) {
                        t.members.retain(|m| m.state != state);
                        t.former.retain(|&s| s != state);
                        t.announced.retain(|&s| s != state);
                    }
                }
                end_pairs(&mut rel, state);
                ties.dirty = true;
            }
        }
    }
}
