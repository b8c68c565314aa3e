//! Defence pacts: members leave, new pacts form.

use super::events::{observe, public_exit};
use super::mechanisms::{pact_exit_hazard, walt_threat};
use super::rng::Stream;
use super::world::*;
use crate::scenario::TreatyKind;
use crate::time::per_step_probability;
use bevy_ecs::prelude::*;
use std::sync::Arc;

/// Each member of each defence pact may leave it, at the yearly hazard
/// [`pact_exit_hazard`](super::mechanisms::pact_exit_hazard): members that trust their allies
/// rarely leave, nationalist and distrustful ones more often. A pact left
/// with fewer than two members is dissolved. One draw per (pact, member).
#[allow(clippy::too_many_arguments)]
pub fn exit_pacts(
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    table: Res<StateTable>,
    registry: Res<Registry>,
    mut rel: ResMut<Relations>,
    mut ties: ResMut<Ties>,
    mut log: ResMut<TickLog>,
    mut treaties: Query<&mut Treaty>,
    mut norms: Query<&mut Norms>,
) {
    let p = &model.0;
    if p.pact_exit_hazard <= 0.0 {
        return;
    }
    let n = rel.n;
    let mut pacts: Vec<Mut<Treaty>> = treaties
        .iter_mut()
        .filter(|t| t.kind == TreatyKind::Defense && !t.members.is_empty())
        .collect();
    pacts.sort_by_key(|t| t.order);
    // Each pact's members as the tick found them (a pact's members change only in its own turn
    // below), and every (pact, member) sub-stream's first block at once.
    let members_of: Vec<Vec<usize>> = pacts
        .iter()
        .map(|pact| pact.members.iter().map(|m| m.state).collect())
        .collect();
    let subs: Vec<u32> = pacts
        .iter()
        .zip(&members_of)
        .flat_map(|(pact, members)| {
            let order = pact.order;
            members
                .iter()
                .map(move |&m| order.wrapping_mul(1_000_003).wrapping_add(m as u32))
        })
        .collect();
    let blocks = info.key.first_blocks(Stream::PactExit, clock.tick, subs);
    let mut first = 0;
    for (mut pact, members) in pacts.into_iter().zip(members_of) {
        let draws = first..first + members.len();
        first = draws.end;
        for (&m, draw) in members.iter().zip(draws) {
            let u = blocks.draws(draw).uniform();
            let others = pact.members.iter().map(|x| x.state).filter(|&x| x != m);
            let count = others.clone().count();
            if count == 0 {
                break;
            }
            let trust = others.map(|o| rel.trust[m * n + o]).sum::<f64>() / count as f64;
            let hazard = pact_exit_hazard(
                p.pact_exit_hazard,
                pact.salience,
                table.orientation[m],
                p.pact_exit_orientation,
                p.pact_exit_trust,
                trust,
            );
            if u < per_step_probability(hazard.min(1.0), clock.dt) {
                let mut state_norms = norms.get_mut(registry.states[m]).expect("state entity exists");
                public_exit(&mut rel, &ties, p, &pact, m, &mut state_norms);
                pact.members.retain(|x| x.state != m);
                pact.former.push(m);
                if pact.members.len() < 2 {
                    let last: Vec<usize> = pact.members.drain(..).map(|x| x.state).collect();
                    pact.former.extend(last);
                }
                // The pairs of m with the pact's members (those who left before it, too).
                ties.touch(m, members.iter().copied());
                log.pact_exits += 1;
            }
        }
    }
}

/// Alliance formation. A state looks for an ally with probability
/// `alliance_search` per year when its top threat (Walt 1987: power of the
/// threatening bloc x proximity x distrust) passes `alliance_threat_threshold`.
/// Candidates that trust it enough are scored by balancing (their power against
/// the threat's bloc; realist) and affinity (joint democracy, identity, trade;
/// liberal/constructivist). With a balancing weight the chosen coalition must
/// beat the threat's bloc on noisy estimates (Cusack & Stoll 1990); when none
/// can, the state bandwagons with the threat with probability `bandwagon`.
/// Four draws per searching state per tick (the first, whether it searches, for every state),
/// from its own sub-stream.
#[allow(clippy::too_many_arguments)]
pub fn form_alliances(
    mut commands: Commands,
    clock: Res<Clock>,
    info: Res<RunInfo>,
    model: Res<Model>,
    table: Res<StateTable>,
    mut registry: ResMut<Registry>,
    mut rel: ResMut<Relations>,
    mut ties: ResMut<Ties>,
    mut log: ResMut<TickLog>,
) {
    let p = &model.0;
    let n = rel.n;
    let rate = per_step_probability(p.alliance_search, clock.dt);
    // A state's bloc: its power plus its defence allies', in the allies' (ascending) order.
    let bloc_sum = |k: usize, ties: &Ties, without: usize| -> f64 {
        table.power[k]
            + ties.allies[k]
                .iter()
                .filter(|&&x| x != without)
                .map(|&x| table.power[x])
                .sum::<f64>()
    };
    // Every bloc once per tick (and again for the two states of each new pact), so that a
    // seeker's threat scan is O(n), not O(n x allies): the whole pass is O(n^2) per tick.
    // Summed in the same order as `bloc_sum`, so the values are the same bits.
    let mut blocs: Vec<f64> = (0..n).map(|k| bloc_sum(k, &ties, usize::MAX)).collect();
    let bloc = |blocs: &[f64], k: usize, ties: &Ties, without: usize| -> f64 {
        if without != usize::MAX && ties.allies[k].binary_search(&without).is_ok() {
            bloc_sum(k, ties, without)
        } else {
            blocs[k]
        }
    };
    let blocks = info
        .key
        .first_blocks(Stream::AllianceSearch, clock.tick, (0..n as u32).collect());
    for i in 0..n {
        let mut draws = blocks.draws(i);
        let u_search = draws.uniform();
        if u_search >= rate || !table.active[i] {
            continue;
        }
        // The state's other three draws follow in its own sub-stream, so a state that does not
        // search leaves them undrawn without moving anyone's numbers.
        let (z_own, z_enemy, u_wagon) = (draws.normal(), draws.normal(), draws.uniform());
        // A candidate threat k is not allied with i, so i is not among k's allies (`defense` is
        // symmetric and `allies` follows it) and k's bloc without i is its whole bloc.
        let threat = (0..n)
            .filter(|&k| k != i && ties.defense[i * n + k] == 0 && table.pair_active(i, k))
            .map(|k| {
                (
                    k,
                    walt_threat(
                        blocs[k],
                        rel.contiguous[i * n + k],
                        rel.distance[i * n + k],
                        1.0 - rel.trust[i * n + k],
                    ),
                )
            })
            .max_by(|x, y| x.1.total_cmp(&y.1));
        let Some((enemy, level)) = threat else { continue };
        if level < p.alliance_threat_threshold {
            continue;
        }
        let own = blocs[i];
        let enemy_bloc = bloc(&blocs, enemy, &ties, i);
        let score = |j: usize| -> f64 {
            let balance = table.power[j] / enemy_bloc.max(1e-9);
            let dep = super::mechanisms::trade_dependence(rel.trade[i * n + j], table.gdp[i], table.gdp[j]);
            let affinity = super::mechanisms::alliance_affinity(
                table.democracy[i],
                table.democracy[j],
                rel.identity[i * n + j],
                dep,
                p.alliance_trade_scale,
            );
            p.alliance_balance_weight * balance + p.alliance_affinity_weight * affinity
        };
        let candidate = (0..n)
            .filter(|&j| j != i && j != enemy && ties.defense[i * n + j] == 0 && ties.defense[enemy * n + j] == 0)
            .filter(|&j| table.pair_active(i, j))
            .filter(|&j| rel.trust[j * n + i] >= p.alliance_accept_trust)
            .map(|j| (j, score(j)))
            .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)));
        let noise = p.estimate_noise;
        let partner = match candidate {
            Some((j, _)) if p.alliance_balance_weight > 0.0 => {
                let ours = (own + table.power[j]) * (1.0 + noise * z_own).max(0.0);
                let theirs = enemy_bloc * (1.0 + noise * z_enemy).max(0.0);
                if ours >= theirs {
                    Some(j)
                } else if u_wagon < p.bandwagon && rel.trust[enemy * n + i] >= p.bandwagon_min_trust {
                    Some(enemy)
                } else {
                    None
                }
            }
            Some((j, s)) if s >= p.alliance_affinity_min * p.alliance_affinity_weight => Some(j),
            Some(_) => None,
            None if p.alliance_balance_weight > 0.0
                && u_wagon < p.bandwagon
                && rel.trust[enemy * n + i] >= p.bandwagon_min_trust =>
            {
                Some(enemy)
            }
            None => None,
        };
        let Some(j) = partner else { continue };
        let (a, b) = (i.min(j), i.max(j));
        let order = registry.next_treaty_order;
        registry.next_treaty_order += 1;
        let year = clock.calendar.month_of(clock.tick).year();
        let member = |s: usize| Membership {
            state: s,
            power_at_join: table.power[s],
            democracy_at_join: table.democracy[s],
        };
        commands.spawn(Treaty {
            id: Arc::from(format!("pact-{year}-{}-{}", table.ids[a], table.ids[b])),
            kind: TreatyKind::Defense,
            salience: p.new_pact_salience,
            order,
            members: vec![member(a), member(b)],
            former: Vec::new(),
            announced: Vec::new(),
        });
        // Mark the pair allied at once so that later seekers this tick see it.
        ties.defense[a * n + b] += 1;
        ties.defense[b * n + a] += 1;
        ties.allies[a].push(b);
        ties.allies[a].sort_unstable();
        ties.allies[b].push(a);
        ties.allies[b].sort_unstable();
        blocs[a] = bloc_sum(a, &ties, usize::MAX);
        blocs[b] = bloc_sum(b, &ties, usize::MAX);
        ties.touch(a, [b]);
        observe(&mut rel, &ties, p, a, b, true, p.pact_signal);
        observe(&mut rel, &ties, p, b, a, true, p.pact_signal);
        log.pacts_formed += 1;
    }
}
