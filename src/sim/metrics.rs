//! Per-tick measurement of every community and of the whole system.

use super::mechanisms::{norm_similarity, phase};
use super::world::*;
use bevy_ecs::prelude::*;

/// A metric recorded per community per tick. Its position in [`Metric::ALL`] is its column in
/// every metric panel and its order in `timeseries.csv`; its name, documentation and role in
/// `runs.csv` all come from here, so that adding a metric is one variant and its arms (the
/// compiler asks for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    Cohesion,
    Identity,
    PeacefulChangeShare,
    IntraTradeShare,
    Phase,
    KantianShare,
    AlliedShare,
    NormSimilarity,
    Orientation,
    Trade,
    Disputes,
    DisputesThreat,
    DisputesDisplay,
    DisputesForce,
    DisputesWar,
    EscalationRate,
    AllianceCalls,
    AllianceCallsHonoured,
    NoForceYet,
}

/// What a metric becomes in `runs.csv` (one row per run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunRole {
    /// Its value at the last tick.
    Final,
    /// Its sum over the run.
    Total,
    /// A value of its own over the run (`escalation_rate`: of the run's disputes).
    OfTheRun,
    /// Not a column: read through other columns (`no_force_yet` -> `first_force_year`).
    Derived,
}

impl Metric {
    /// Every metric, in output order.
    pub const ALL: [Metric; 19] = [
        Metric::Cohesion,
        Metric::Identity,
        Metric::PeacefulChangeShare,
        Metric::IntraTradeShare,
        Metric::Phase,
        Metric::KantianShare,
        Metric::AlliedShare,
        Metric::NormSimilarity,
        Metric::Orientation,
        Metric::Trade,
        Metric::Disputes,
        Metric::DisputesThreat,
        Metric::DisputesDisplay,
        Metric::DisputesForce,
        Metric::DisputesWar,
        Metric::EscalationRate,
        Metric::AllianceCalls,
        Metric::AllianceCallsHonoured,
        Metric::NoForceYet,
    ];

    /// Its column in a metric panel.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Its name in the outputs.
    pub const fn name(self) -> &'static str {
        match self {
            Metric::Cohesion => "cohesion",
            Metric::Identity => "identity",
            Metric::PeacefulChangeShare => "peaceful_change_share",
            Metric::IntraTradeShare => "intra_trade_share",
            Metric::Phase => "phase",
            Metric::KantianShare => "kantian_share",
            Metric::AlliedShare => "allied_share",
            Metric::NormSimilarity => "norm_similarity",
            Metric::Orientation => "orientation",
            Metric::Trade => "trade",
            Metric::Disputes => "disputes",
            Metric::DisputesThreat => "disputes_threat",
            Metric::DisputesDisplay => "disputes_display",
            Metric::DisputesForce => "disputes_force",
            Metric::DisputesWar => "disputes_war",
            Metric::EscalationRate => "escalation_rate",
            Metric::AllianceCalls => "alliance_calls",
            Metric::AllianceCallsHonoured => "alliance_calls_honoured",
            Metric::NoForceYet => "no_force_yet",
        }
    }

    /// What it becomes in `runs.csv`.
    pub const fn run_role(self) -> RunRole {
        match self {
            Metric::Cohesion
            | Metric::Identity
            | Metric::PeacefulChangeShare
            | Metric::IntraTradeShare
            | Metric::Phase
            | Metric::KantianShare
            | Metric::AlliedShare
            | Metric::NormSimilarity
            | Metric::Orientation
            | Metric::Trade => RunRole::Final,
            Metric::Disputes
            | Metric::DisputesThreat
            | Metric::DisputesDisplay
            | Metric::DisputesForce
            | Metric::DisputesWar
            | Metric::AllianceCalls
            | Metric::AllianceCallsHonoured => RunRole::Total,
            Metric::EscalationRate => RunRole::OfTheRun,
            Metric::NoForceYet => RunRole::Derived,
        }
    }

    /// The metric of this name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }
}

/// The names of `metrics`, at compile time.
pub const fn names_of<const N: usize>(metrics: [Metric; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = metrics[i].name();
        i += 1;
    }
    out
}

const fn with_role<const N: usize>(role: RunRole) -> [Metric; N] {
    let mut out = [Metric::Cohesion; N];
    let (mut i, mut k) = (0, 0);
    while i < Metric::ALL.len() {
        if Metric::ALL[i].run_role() as u8 == role as u8 {
            out[k] = Metric::ALL[i];
            k += 1;
        }
        i += 1;
    }
    assert!(k == N, "the count of metrics of this role");
    out
}

/// The metrics' names, in output order.
pub const METRICS: &[&str] = &names_of(Metric::ALL);

/// Metrics whose last value is a `runs.csv` column, in output order.
pub const RUN_FINAL_METRICS: [Metric; 10] = with_role(RunRole::Final);
/// Metrics summed over the run in `runs.csv`, in output order.
pub const RUN_TOTAL_METRICS: [Metric; 7] = with_role(RunRole::Total);

pub const M_COHESION: usize = Metric::Cohesion.index();
pub const M_IDENTITY: usize = Metric::Identity.index();
pub const M_PEACEFUL: usize = Metric::PeacefulChangeShare.index();
pub const M_INTRA_TRADE: usize = Metric::IntraTradeShare.index();
pub const M_PHASE: usize = Metric::Phase.index();
pub const M_DISPUTES: usize = Metric::Disputes.index();
pub const M_THREAT: usize = Metric::DisputesThreat.index();
pub const M_WAR: usize = Metric::DisputesWar.index();
pub const M_ESCALATION: usize = Metric::EscalationRate.index();
pub const M_CALLS: usize = Metric::AllianceCalls.index();
pub const M_HONOURED: usize = Metric::AllianceCallsHonoured.index();
pub const M_NO_FORCE: usize = Metric::NoForceYet.index();

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
    // Present states only: an absent state (before its entry, after its exit) counts nowhere.
    let everyone: Vec<usize> = (0..rel.n).filter(|&i| table.active[i]).collect();
    let present: Vec<Vec<usize>> = if table.all_active {
        Vec::new()
    } else {
        list.iter()
            .map(|c| c.members.iter().copied().filter(|&i| table.active[i]).collect())
            .collect()
    };
    let mut member_sets: Vec<&[usize]> = vec![&everyone];
    if table.all_active {
        member_sets.extend(list.iter().map(|c| c.members.as_slice()));
    } else {
        member_sets.extend(present.iter().map(Vec::as_slice));
    }
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
        // Undefined (an empty cell) while either state is absent.
        let row = if table.pair_active(p.a, p.b) {
            measure_pair(&ties, &rel, &log, p.a, p.b)
        } else {
            [f64::NAN; 6]
        };
        outcomes
            .pairs
            .extend(row.iter().map(|&x| if x == -0.0 { 0.0 } else { x }));
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
) -> [f64; Metric::ALL.len()] {
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
        by_level[usize::from(d.highest.level() - Hostility::Threat.level())] += 1.0;
    }
    let calls = log.calls.iter().filter(|c| in_set[c.target] && in_set[c.ally]);
    let (called, honoured) = calls.fold((0.0, 0.0), |(c, h), call| {
        (c + 1.0, h + f64::from(u8::from(call.honoured)))
    });
    let force_now = by_level[2] + by_level[3] > 0.0;
    let mut row = [f64::NAN; Metric::ALL.len()];
    for m in Metric::ALL {
        row[m.index()] = match m {
            Metric::Cohesion => cohesion,
            Metric::Identity => identity,
            Metric::PeacefulChangeShare => peaceful_share,
            Metric::IntraTradeShare => {
                if all_trade > 0.0 {
                    intra / all_trade
                } else {
                    f64::NAN
                }
            }
            Metric::Phase => phase(cohesion, identity, peaceful_share),
            Metric::KantianShare => mean(kantian as f64, pairs),
            Metric::AlliedShare => mean(allied as f64, pairs),
            Metric::NormSimilarity => mean(similarity, pairs),
            Metric::Orientation => {
                members.iter().map(|&i| table.orientation[i]).sum::<f64>() / members.len().max(1) as f64
            }
            Metric::Trade => intra,
            Metric::Disputes => disputes,
            Metric::DisputesThreat => by_level[0],
            Metric::DisputesDisplay => by_level[1],
            Metric::DisputesForce => by_level[2],
            Metric::DisputesWar => by_level[3],
            Metric::EscalationRate => {
                if disputes > 0.0 {
                    (by_level[2] + by_level[3]) / disputes
                } else {
                    f64::NAN
                }
            }
            Metric::AllianceCalls => called,
            Metric::AllianceCallsHonoured => honoured,
            Metric::NoForceYet => {
                if force_seen_before || force_now {
                    0.0
                } else {
                    1.0
                }
            }
        };
    }
    row
}

#[cfg(test)]
mod metric_tests {
    use super::*;

    #[test]
    fn every_metric_has_one_name_one_column_and_one_role() {
        for (k, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(m.index(), k, "{m:?} is in ALL at its own column");
            assert_eq!(METRICS[k], m.name());
            assert_eq!(Metric::from_name(m.name()), Some(*m));
            assert!(!metric_doc(m.name()).is_empty(), "{m:?} is documented");
        }
        let mut names: Vec<&str> = METRICS.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len(), "names are unique");
        // runs.csv: finals, totals, the run's escalation rate, and no_force_yet read as years.
        let count = |r: RunRole| Metric::ALL.iter().filter(|m| m.run_role() == r).count();
        assert_eq!(count(RunRole::Final), RUN_FINAL_METRICS.len());
        assert_eq!(count(RunRole::Total), RUN_TOTAL_METRICS.len());
        assert_eq!(count(RunRole::OfTheRun) + count(RunRole::Derived), 2);
        assert!(RUN_FINAL_METRICS.windows(2).all(|w| w[0].index() < w[1].index()));
        assert_eq!(Metric::from_name("cohesion "), None);
    }
}
