//! Dyad-years (`comity run --dyad-years`): what a peace-science logit of dispute onset needs,
//! recorded for every pair once a year, for the runs that ask for it.
//!
//! Two systems around dispute onset record it, and only when the run's world holds a
//! [`DyadYearLog`] (`Prepared::run_with`): [`record_covariates`], just before
//! `onset_disputes` at the first step of each calendar year, copies the values that onset draw
//! reads (trust, identity, trade, rivalry, peace years, alliances, shared IGOs, capabilities,
//! democracy); [`record_onsets`], just after `escalate_disputes` at every step, marks the pairs
//! whose disputes began (scripted crises included) and the highest hostility they reached.
//! Neither draws a random number nor writes anything the model reads, so a run records or not
//! with the same bits (`tests/dyadyears.rs`).
//!
//! Memory: one [`PairYear`] (40 bytes) per pair per year, plus three values per state per year:
//! a run of 193 states over 100 years holds 74 MB. Values are kept as `f32`, which is what a
//! logit needs and halves that.

use super::disputes::shared_igo_count;
use super::mechanisms::trade_dependence;
use super::world::*;
use bevy_ecs::prelude::*;

/// One pair's values in one year. The pair is `(i, j)` with `i < j` in state order; `_ij` is
/// how `i` sees `j`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairYear {
    pub trust_ij: f32,
    pub trust_ji: f32,
    /// Mean of the two directed identities, as the onset logit reads it.
    pub identity: f32,
    /// bn USD per year.
    pub trade: f32,
    /// Trade over the larger GDP, as the onset logit reads it ([`trade_dependence`]).
    pub dependence: f32,
    pub rivalry: f32,
    pub peace_years: f32,
    /// Shared IGOs: those at the start plus the change in shared non-defence treaties.
    pub shared_igos: f32,
    /// The pair shares a defence pact.
    pub ally: bool,
    /// The pair is in Wendt's Kantian culture.
    pub kantian: bool,
    /// A dispute between the two as initiator and target began this year.
    pub onset: bool,
    /// A dispute began this year with one on side A and the other on side B, joiners included.
    pub onset_naive: bool,
    /// One of `onset`'s disputes came from a scripted `crisis` event.
    pub scripted: bool,
    /// Highest hostility level of `onset`'s disputes (2-5), 0 when none.
    pub hostlev: u8,
    /// Highest hostility level of `onset_naive`'s disputes, 0 when none.
    pub hostlev_naive: u8,
}

/// One calendar year of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DyadYear {
    pub year: i64,
    /// The step whose values these are: the year's first in the run.
    pub tick: u32,
    /// Per state: CINC share.
    pub power: Vec<f64>,
    /// Per state: democracy score.
    pub democracy: Vec<f64>,
    /// Per state: major power.
    pub major: Vec<bool>,
    /// Per pair `i < j`, in dyad order ([`pair_index`]).
    pub pairs: Vec<PairYear>,
}

/// The dyad-years of a run, when it records them.
#[derive(Resource, Clone, Debug, Default)]
pub struct DyadYearLog {
    pub years: Vec<DyadYear>,
}

/// The bytes a run's record of `states` states over `years` calendar years holds (a
/// [`PairYear`] per pair and year, three values per state and year).
pub fn run_bytes(states: usize, years: u64) -> u64 {
    let n = states as u64;
    let pairs = n * n.saturating_sub(1) / 2;
    let per_year = pairs * std::mem::size_of::<PairYear>() as u64 + n * 17 + 100;
    years.saturating_mul(per_year)
}

/// The position of pair `(i, j)`, `i < j`, among the `n (n - 1) / 2` pairs of `n` states in dyad
/// order (`(0,1), (0,2), ..., (1,2), ...`).
#[inline]
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    i * (2 * n - i - 1) / 2 + (j - i - 1)
}

/// At the first step of each calendar year (and the run's first step), before onset: the
/// values the onset draw reads.
pub fn record_covariates(
    clock: Res<Clock>,
    table: Res<StateTable>,
    ties: Res<Ties>,
    rel: Res<Relations>,
    log: Option<ResMut<DyadYearLog>>,
) {
    let Some(mut log) = log else { return };
    let cal = &clock.calendar;
    let year = cal.month_of(clock.tick).year();
    if log.years.last().is_some_and(|y| y.year == year) {
        return;
    }
    let n = rel.n;
    let mut pairs = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let (ij, ji) = (i * n + j, j * n + i);
            pairs.push(PairYear {
                trust_ij: rel.trust[ij] as f32,
                trust_ji: rel.trust[ji] as f32,
                identity: (0.5 * (rel.identity[ij] + rel.identity[ji])) as f32,
                trade: rel.trade[ij] as f32,
                dependence: trade_dependence(rel.trade[ij], table.gdp[i], table.gdp[j]) as f32,
                rivalry: rel.rivalry[ij] as f32,
                peace_years: rel.peace_years[ij] as f32,
                shared_igos: shared_igo_count(&ties, &rel, ij) as f32,
                ally: ties.defense[ij] > 0,
                kantian: rel.kantian[ij],
                ..PairYear::default()
            });
        }
    }
    log.years.push(DyadYear {
        year,
        tick: clock.tick,
        power: table.power.clone(),
        democracy: table.democracy.clone(),
        major: table.major.clone(),
        pairs,
    });
}

/// At every step, after escalation: marks the pairs of this step's disputes in this year's
/// record.
pub fn record_onsets(tick_log: Res<TickLog>, rel: Res<Relations>, log: Option<ResMut<DyadYearLog>>) {
    let Some(mut log) = log else { return };
    let n = rel.n;
    let Some(year) = log.years.last_mut() else { return };
    for d in &tick_log.disputes {
        let level = d.highest.level();
        let mut mark = |x: usize, y: usize, direct: bool| {
            let p = &mut year.pairs[pair_index(n, x.min(y), x.max(y))];
            if direct {
                p.onset = true;
                p.hostlev = p.hostlev.max(level);
                p.scripted |= d.scripted;
            }
            p.onset_naive = true;
            p.hostlev_naive = p.hostlev_naive.max(level);
        };
        mark(d.a, d.b, true);
        for &k in &d.joiners {
            mark(d.a, k, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_year_takes_40_bytes() {
        assert_eq!(std::mem::size_of::<PairYear>(), 40);
        // 193 states over 100 years, as docs/outputs.md says: 74 MB a run.
        assert_eq!(run_bytes(193, 100) / 1_000_000, 74);
    }

    #[test]
    fn pair_index_counts_pairs_in_dyad_order() {
        for n in [2, 3, 7, 16] {
            let mut k = 0;
            for i in 0..n {
                for j in i + 1..n {
                    assert_eq!(pair_index(n, i, j), k, "n = {n}, ({i}, {j})");
                    k += 1;
                }
            }
            assert_eq!(k, n * (n - 1) / 2);
        }
    }
}
