//! Per-tick measurement of every community and of the whole system.

use super::mechanisms::{norm_similarity, phase};
use super::world::*;
use bevy_ecs::prelude::*;

/// The metrics recorded per community per tick, in output order.
pub const METRICS: &[&str] = &[
    "cohesion",
    "identity",
    "peaceful_change_share",
    "intra_trade_share",
    "phase",
    "kantian_share",
    "allied_share",
    "norm_similarity",
    "orientation",
    "trade",
    "disputes",
    "disputes_threat",
    "disputes_display",
    "disputes_force",
    "disputes_war",
    "escalation_rate",
    "alliance_calls",
    "alliance_calls_honoured",
    "no_force_yet",
];

/// The metrics recorded per pair of interest per tick, in output order.
pub const PAIR_METRICS: &[&str] = &["trust_ab", "trust_ba", "identity", "trade", "allied", "disputes"];

/// One line of documentation per pair metric.
pub fn pair_metric_doc(name: &str) -> &'static str {
    match name {
        "trust_ab" => "how the first state trusts the second, [0,1]",
        "trust_ba" => "how the second state trusts the first, [0,1]",
        "identity" => "we-feeling, mean of both directions, [0,1]",
        "trade" => "trade between the two, bn USD per year",
        "allied" => "1 while the two share a defence pact",
        "disputes" => "disputes begun this step between the two",
        _ => "",
    }
}

/// A pair's values this tick, in [`PAIR_METRICS`] order.
fn measure_pair(ties: &Ties, rel: &Relations, log: &TickLog, a: usize, b: usize) -> [f64; 6] {
    let n = rel.n;
    let (ab, ba) = (a * n + b, b * n + a);
    let disputes = log
        .disputes
        .iter()
        .filter(|d| (d.a == a && d.b == b) || (d.a == b && d.b == a))
        .count();
    [
        rel.trust[ab],
        rel.trust[ba],
        (rel.identity[ab] + rel.identity[ba]) / 2.0,
        rel.trade[ab],
        f64::from(u8::from(ties.defense[ab] > 0)),
        disputes as f64,
    ]
}

pub const M_COHESION: usize = 0;
pub const M_IDENTITY: usize = 1;
pub const M_PEACEFUL: usize = 2;
pub const M_INTRA_TRADE: usize = 3;
pub const M_PHASE: usize = 4;
pub const M_DISPUTES: usize = 10;
pub const M_THREAT: usize = 11;
pub const M_WAR: usize = 14;
pub const M_ESCALATION: usize = 15;
pub const M_CALLS: usize = 16;
pub const M_HONOURED: usize = 17;
pub const M_NO_FORCE: usize = 18;

/// One line of documentation per metric (for docs and `validate`).
pub fn metric_doc(name: &str) -> &'static str {
    match name {
        "cohesion" => "mean directed trust among members, [0,1]",
        "identity" => "mean directed we-feeling among members, [0,1]",
        "peaceful_change_share" => {
            "share of member dyads with trust and identity >= peace_threshold both ways and no dispute at use of force or above within peace_window years"
        }
        "intra_trade_share" => {
            "trade among members / all trade of members (empty for `system`, where it is 1 by construction)"
        }
        "phase" => "Adler-Barnett phase: 0 none, 1 nascent, 2 ascendant, 3 mature",
        "kantian_share" => "share of member dyads in Wendt's Kantian culture",
        "allied_share" => "share of member dyads sharing a defence pact",
        "norm_similarity" => "mean pairwise norm similarity among members, [0,1]",
        "orientation" => "mean orientation of members (0 nationalist .. 1 internationalist)",
        "trade" => "trade among members, bn USD per year",
        "disputes" => "disputes begun this step between two members",
        "disputes_threat" => "of which highest level threat (2)",
        "disputes_display" => "of which highest level display of force (3)",
        "disputes_force" => "of which highest level use of force (4)",
        "disputes_war" => "of which highest level war (5)",
        "escalation_rate" => "share of this step's disputes reaching use of force or war (empty when none)",
        "alliance_calls" => "allies called when a member was attacked by a non-ally, both members",
        "alliance_calls_honoured" => "of which honoured",
        "no_force_yet" => "1 while no dispute at use of force or above has occurred among members since the start",
        _ => "",
    }
}

/// Records every community's metrics for this tick (slot 0: the whole system).
#[allow(clippy::too_many_arguments)]
pub fn record_metrics(
    model: Res<Model>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    rel: Res<Relations>,
    log: Res<TickLog>,
    mut outcomes: ResMut<Outcomes>,
    communities: Query<&Community>,
    pairs: Query<&PairOfInterest>,
) {
    let p = &model.0;
    let mut list: Vec<&Community> = communities.iter().collect();
    list.sort_by_key(|c| c.slot);
    let everyone: Vec<usize> = (0..rel.n).collect();
    let mut member_sets: Vec<&[usize]> = vec![&everyone];
    member_sets.extend(list.iter().map(|c| c.members.as_slice()));
    let outcomes = &mut *outcomes;
    for (slot, members) in member_sets.into_iter().enumerate() {
        let mut row = measure(p, &table, &ties, &rel, &log, members, outcomes.force_seen[slot]);
        if slot == 0 {
            // All of the system's trade is internal: the share is 1 by construction.
            row[M_INTRA_TRADE] = f64::NAN;
        }
        if row[super::metrics::M_NO_FORCE] == 0.0 {
            outcomes.force_seen[slot] = true;
        }
        row.iter_mut().for_each(|x| {
            if *x == -0.0 {
                *x = 0.0
            }
        });
        outcomes.metrics.extend_from_slice(&row);
    }
    let mut pairs: Vec<&PairOfInterest> = pairs.iter().collect();
    pairs.sort_by_key(|p| p.index);
    for p in pairs {
        let row = measure_pair(&ties, &rel, &log, p.a, p.b);
        outcomes.pairs.extend(row.iter().map(|&x| if x == -0.0 { 0.0 } else { x }));
    }
}

fn measure(
    p: &crate::params::Params,
    table: &StateTable,
    ties: &Ties,
    rel: &Relations,
    log: &TickLog,
    members: &[usize],
    force_seen_before: bool,
) -> Vec<f64> {
    let n = rel.n;
    let mut in_set = vec![false; n];
    members.iter().for_each(|&m| in_set[m] = true);
    let (mut trust, mut identity, mut ordered) = (0.0, 0.0, 0usize);
    let (mut peaceful, mut kantian, mut allied, mut similarity, mut pairs) = (0usize, 0usize, 0usize, 0.0, 0usize);
    let mut intra = 0.0;
    for (x, &i) in members.iter().enumerate() {
        for &j in &members[x + 1..] {
            let (ij, ji) = (i * n + j, j * n + i);
            trust += rel.trust[ij] + rel.trust[ji];
            identity += rel.identity[ij] + rel.identity[ji];
            ordered += 2;
            pairs += 1;
            let t = rel.trust[ij].min(rel.trust[ji]);
            let w = rel.identity[ij].min(rel.identity[ji]);
            if t >= p.peace_threshold && w >= p.peace_threshold && rel.force_years[ij] >= p.peace_window {
                peaceful += 1;
            }
            kantian += usize::from(rel.kantian[ij]);
            allied += usize::from(ties.defense[ij] > 0);
            similarity += norm_similarity(&table.norms[i], &table.norms[j]);
            intra += rel.trade[ij];
        }
    }
    let mean = |s: f64, c: usize| if c > 0 { s / c as f64 } else { f64::NAN };
    let all_trade: f64 = members
        .iter()
        .map(|&i| rel.trade[i * n..(i + 1) * n].iter().sum::<f64>())
        .sum::<f64>()
        - intra;
    let cohesion = mean(trust, ordered);
    let identity = mean(identity, ordered);
    let peaceful_share = mean(peaceful as f64, pairs);
    let mut by_level = [0.0f64; 4];
    let mut disputes = 0.0;
    for d in log.disputes.iter().filter(|d| in_set[d.a] && in_set[d.b]) {
        disputes += 1.0;
        by_level[usize::from(d.highest.clamp(2, 5) - 2)] += 1.0;
    }
    let calls = log.calls.iter().filter(|c| in_set[c.target] && in_set[c.ally]);
    let (called, honoured) = calls.fold((0.0, 0.0), |(c, h), call| {
        (c + 1.0, h + f64::from(u8::from(call.honoured)))
    });
    let force_now = by_level[2] + by_level[3] > 0.0;
    vec![
        cohesion,
        identity,
        peaceful_share,
        if all_trade > 0.0 { intra / all_trade } else { f64::NAN },
        phase(cohesion, identity, peaceful_share),
        mean(kantian as f64, pairs),
        mean(allied as f64, pairs),
        mean(similarity, pairs),
        members.iter().map(|&i| table.orientation[i]).sum::<f64>() / members.len().max(1) as f64,
        intra,
        disputes,
        by_level[0],
        by_level[1],
        by_level[2],
        by_level[3],
        if disputes > 0.0 {
            (by_level[2] + by_level[3]) / disputes
        } else {
            f64::NAN
        },
        called,
        honoured,
        if force_seen_before || force_now { 0.0 } else { 1.0 },
    ]
}
