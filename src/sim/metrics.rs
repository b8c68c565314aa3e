//! Per-tick measurement of every community and of the whole system.

use super::kernels::{self, MetricCounts, MetricRow};
use super::mechanisms::phase;
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

/// The sums over the pairs of a member set: of `T_ij + T_ji`, `W_ij + W_ji`, the norm
/// similarity and the trade, each added in the order of the pairs `(members[x], members[y])`,
/// `x < y`, as the plain double loop adds them; and the pair counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct PairSums {
    trust: f64,
    identity: f64,
    similarity: f64,
    intra: f64,
    counts: MetricCounts,
    pairs: usize,
}

/// Rows of member pairs at a time, the same sums as the plain loop, bit for bit. The entries
/// `(j, i)` of a row (a column of the `n x n` arrays) are copied for [`GROUP`] rows at once, so
/// that each line of memory is read once; each row's terms are taken in a vectorised kernel
/// ([`kernels::metric_terms`]); then they are added in pair order (floating-point addition is not
/// associative, so the order is kept). A set of consecutive states (every state, when all are
/// present) reads its rows in place; another gathers them.
fn pair_sums(
    p: &crate::params::Params,
    table: &StateTable,
    ties: &Ties,
    rel: &Relations,
    members: &[usize],
) -> PairSums {
    const GROUP: usize = 8;
    let (n, len) = (rel.n, members.len());
    let consecutive = members.windows(2).all(|w| w[1] == w[0] + 1);
    let mut sums = PairSums::default();
    let mut column = vec![0.0; 2 * GROUP * len];
    let (col_trust, col_identity) = column.split_at_mut(GROUP * len);
    let mut terms = vec![0.0; 3 * len];
    let mut gathered = Gathered::default();
    for x0 in (0..len).step_by(GROUP) {
        let group = &members[x0..len.min(x0 + GROUP)];
        for (y, &j) in members.iter().enumerate().skip(x0 + 1) {
            if consecutive {
                // The group's entries of row j are side by side.
                let at = j * n + group[0];
                let (from_t, from_w) = (&rel.trust[at..at + group.len()], &rel.identity[at..at + group.len()]);
                for r in 0..group.len() {
                    col_trust[r * len + y] = from_t[r];
                    col_identity[r * len + y] = from_w[r];
                }
            } else {
                for (r, &i) in group.iter().enumerate() {
                    col_trust[r * len + y] = rel.trust[j * n + i];
                    col_identity[r * len + y] = rel.identity[j * n + i];
                }
            }
        }
        for (r, &i) in group.iter().enumerate() {
            let x = x0 + r;
            let later = &members[x + 1..];
            let m = later.len();
            if m == 0 {
                continue;
            }
            let (lo, hi) = (r * len + x + 1, (r + 1) * len);
            let trade: &[f64];
            let row = if consecutive {
                let (a, b) = (i * n + later[0], i * n + later[0] + m);
                trade = &rel.trade[a..b];
                MetricRow {
                    trust_ij: &rel.trust[a..b],
                    trust_ji: &col_trust[lo..hi],
                    identity_ij: &rel.identity[a..b],
                    identity_ji: &col_identity[lo..hi],
                    force_years: &rel.force_years[a..b],
                    kantian: &rel.kantian[a..b],
                    defense: &ties.defense[a..b],
                    norms: &table.norms[later[0]..later[0] + m],
                    norms_i: table.norms[i],
                }
            } else {
                gathered.fill(table, ties, rel, i, later);
                trade = &gathered.trade;
                MetricRow {
                    trust_ij: &gathered.trust,
                    trust_ji: &col_trust[lo..hi],
                    identity_ij: &gathered.identity,
                    identity_ji: &col_identity[lo..hi],
                    force_years: &gathered.force_years,
                    kantian: &gathered.kantian,
                    defense: &gathered.defense,
                    norms: &gathered.norms,
                    norms_i: table.norms[i],
                }
            };
            let (t, rest) = terms[..3 * m].split_at_mut(m);
            let (w, similarity) = rest.split_at_mut(m);
            let counts = kernels::metric_terms(p.peace_threshold, p.peace_window, &row, t, w, similarity);
            sums.counts.peaceful += counts.peaceful;
            sums.counts.kantian += counts.kantian;
            sums.counts.allied += counts.allied;
            sums.pairs += m;
            [sums.trust, sums.identity, sums.similarity, sums.intra] = add_in_order(
                [sums.trust, sums.identity, sums.similarity, sums.intra],
                [t, w, similarity, trade],
            );
        }
    }
    sums
}

/// `sums[k]` plus the terms of `terms[k]`, added one at a time in their order: four chains of
/// additions side by side. Not inlined, so that the four sums stay in registers.
#[inline(never)]
fn add_in_order(sums: [f64; 4], terms: [&[f64]; 4]) -> [f64; 4] {
    let [mut a, mut b, mut c, mut d] = sums;
    let len = terms[0].len();
    let [ta, tb, tc, td] = terms.map(|t| &t[..len]);
    for k in 0..len {
        a += ta[k];
        b += tb[k];
        c += tc[k];
        d += td[k];
    }
    [a, b, c, d]
}

/// A row of a member set that is not consecutive, gathered from the `n x n` arrays.
#[derive(Default)]
struct Gathered {
    trust: Vec<f64>,
    identity: Vec<f64>,
    force_years: Vec<f64>,
    kantian: Vec<bool>,
    defense: Vec<u16>,
    norms: Vec<[f64; crate::scenario::NORMS]>,
    trade: Vec<f64>,
}

impl Gathered {
    fn fill(&mut self, table: &StateTable, ties: &Ties, rel: &Relations, i: usize, later: &[usize]) {
        let n = rel.n;
        let row = |j: &usize| i * n + j;
        self.trust.clear();
        self.trust.extend(later.iter().map(|j| rel.trust[row(j)]));
        self.identity.clear();
        self.identity.extend(later.iter().map(|j| rel.identity[row(j)]));
        self.force_years.clear();
        self.force_years.extend(later.iter().map(|j| rel.force_years[row(j)]));
        self.kantian.clear();
        self.kantian.extend(later.iter().map(|j| rel.kantian[row(j)]));
        self.defense.clear();
        self.defense.extend(later.iter().map(|j| ties.defense[row(j)]));
        self.norms.clear();
        self.norms.extend(later.iter().map(|&j| table.norms[j]));
        self.trade.clear();
        self.trade.extend(later.iter().map(|j| rel.trade[row(j)]));
    }
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
    trades: Query<(&StateIndex, &Trade)>,
) {
    let p = &model.0;
    let totals = super::systems::trade_totals(rel.n, &trades);
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
        let mut row = measure(
            p,
            &table,
            &ties,
            &rel,
            &log,
            &totals,
            members,
            outcomes.force_seen[slot],
        );
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

#[allow(clippy::too_many_arguments)]
fn measure(
    p: &crate::params::Params,
    table: &StateTable,
    ties: &Ties,
    rel: &Relations,
    log: &TickLog,
    totals: &[f64],
    members: &[usize],
    force_seen_before: bool,
) -> [f64; Metric::ALL.len()] {
    let n = rel.n;
    let mut in_set = vec![false; n];
    members.iter().for_each(|&m| in_set[m] = true);
    let PairSums {
        trust,
        identity,
        similarity,
        intra,
        counts,
        pairs,
    } = pair_sums(p, table, ties, rel, members);
    let (peaceful, kantian, allied) = (counts.peaceful, counts.kantian, counts.allied);
    let ordered = 2 * pairs;
    let mean = |s: f64, c: usize| if c > 0 { s / c as f64 } else { f64::NAN };
    // Each member's trade with every state: its `Trade` total, the sum of its row that
    // `update_trade` took (trade does not change after it in a tick).
    let all_trade: f64 = members.iter().map(|&i| totals[i]).sum::<f64>() - intra;
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

    /// The sums as the plain double loop over member pairs takes them (the code before the rows).
    fn pair_sums_plain(
        p: &crate::params::Params,
        table: &StateTable,
        ties: &Ties,
        rel: &Relations,
        members: &[usize],
    ) -> PairSums {
        let n = rel.n;
        let mut s = PairSums::default();
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let (ij, ji) = (i * n + j, j * n + i);
                s.trust += rel.trust[ij] + rel.trust[ji];
                s.identity += rel.identity[ij] + rel.identity[ji];
                s.pairs += 1;
                let t = rel.trust[ij].min(rel.trust[ji]);
                let w = rel.identity[ij].min(rel.identity[ji]);
                if t >= p.peace_threshold && w >= p.peace_threshold && rel.force_years[ij] >= p.peace_window {
                    s.counts.peaceful += 1;
                }
                s.counts.kantian += usize::from(rel.kantian[ij]);
                s.counts.allied += usize::from(ties.defense[ij] > 0);
                s.similarity += crate::sim::mechanisms::norm_similarity(&table.norms[i], &table.norms[j]);
                s.intra += rel.trade[ij];
            }
        }
        s
    }

    #[test]
    fn pair_sums_by_rows_are_the_plain_loop_bit_for_bit_on_every_path() {
        use crate::sim::kernels::{CpuPath, use_path};
        let p = crate::params::Params::default();
        let n = 45; // not a multiple of the group or of any vector width
        let mut draws = crate::sim::rng::RunKey::new(11, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        let mut u = || draws.uniform();
        let mut rel = Relations {
            n,
            ..Default::default()
        };
        // Values near the peace threshold, so that both sides of each test are taken.
        rel.trust = (0..n * n).map(|_| 0.4 + 0.4 * u()).collect();
        rel.identity = (0..n * n).map(|_| 0.4 + 0.4 * u()).collect();
        rel.force_years = (0..n * n).map(|_| (20.0 * u()).floor()).collect();
        rel.kantian = (0..n * n).map(|_| u() < 0.3).collect();
        rel.trade = (0..n * n).map(|_| 1e3 * u() * u()).collect();
        rel.trust[3] = f64::NAN; // `min` takes the other side
        rel.identity[n + 7] = -0.0;
        let ties = Ties {
            n,
            defense: (0..n * n).map(|_| (2.5 * u()) as u16).collect(),
            ..Default::default()
        };
        let table = StateTable {
            n,
            norms: (0..n).map(|_| std::array::from_fn(|_| u())).collect(),
            ..Default::default()
        };
        let everyone: Vec<usize> = (0..n).collect();
        let block: Vec<usize> = (7..30).collect();
        let scattered: Vec<usize> = vec![40, 2, 17, 18, 19, 5, 33, 44, 0, 9, 10, 11, 12, 13, 14, 30];
        let sets: [&[usize]; 6] = [&everyone, &block, &scattered, &[], &[6], &[8, 3]];
        let bits = |s: &PairSums| {
            (
                [s.trust, s.identity, s.similarity, s.intra].map(f64::to_bits),
                s.counts,
                s.pairs,
            )
        };
        for path in CpuPath::ALL.into_iter().filter(|p| p.available()) {
            use_path(path).unwrap();
            for members in sets {
                let want = pair_sums_plain(&p, &table, &ties, &rel, members);
                let got = pair_sums(&p, &table, &ties, &rel, members);
                assert_eq!(bits(&got), bits(&want), "{} {members:?}", path.name());
            }
        }
        let all = pair_sums_plain(&p, &table, &ties, &rel, &everyone);
        assert!(
            all.counts.peaceful > 0 && all.counts.peaceful < all.pairs,
            "both sides of the peace test"
        );
    }

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
