//! Parallel Monte Carlo: many runs of one scenario under one or more lenses.
//!
//! Architecture Invariant: results are folded into the aggregate strictly in
//! (lens, run) order, whatever the thread count, so the same scenario and seed
//! give the same bytes with 1 thread or many. Runs are computed in parallel in
//! chunks; only one chunk of per-run results is held at a time, so memory is
//! bounded by the aggregate, not by the number of runs. An aggregate keeps every run's
//! value while they fit [`EXACT_BUDGET_BYTES`] (exact percentiles) and a KLL sketch per cell
//! above it; which is decided from the runs and the cells before the first run. Exact values
//! wait in memory up to [`crate::spill::memory_for_values`] and in a scratch file above it
//! ([`crate::spill`]), which changes no output byte.

use crate::params::Params;
use crate::sim::metrics::{self, METRICS, Metric};
use crate::sim::{Prepared, RunResult};
use crate::spill::ValueSpill;
use crate::stats::{EXACT_BUDGET_BYTES, QuantileMethod, Summary};
use rayon::prelude::*;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub runs: u64,
    pub seed: u64,
    /// 0: all cores.
    pub threads: usize,
    pub record_disputes: bool,
    /// Runs below this index record their dyad-years (`dyad_years.csv`); 0: none.
    pub dyad_year_runs: u64,
    /// Where an aggregate's exact values beyond the memory for values wait
    /// ([`crate::spill`]): the job's output folder; `None`: the temporary folder.
    pub scratch: Option<std::path::PathBuf>,
}

impl Config {
    /// What run `run` records.
    pub fn record(&self, run: u64) -> crate::sim::Record {
        crate::sim::Record {
            disputes: self.record_disputes,
            dyad_years: run < self.dyad_year_runs,
        }
    }
}

/// Across-run summaries of every (tick, slot, metric) of one lens.
#[derive(Debug)]
pub struct LensAggregate {
    pub lens: String,
    pub cells: Vec<Summary>,
    /// Exact values beyond the memory for values, until [`LensAggregate::finish`] reads them
    /// back.
    spill: Option<ValueSpill>,
}

impl LensAggregate {
    /// An empty aggregate of `cells` cells for `runs` runs, each cell keeping its values as
    /// `method` says; exact values beyond [`crate::spill::memory_for_values`] go to a scratch
    /// file in `scratch` (the job's output folder; `None`: the temporary folder), an error when
    /// it cannot be created.
    pub fn new(
        lens: &str,
        method: QuantileMethod,
        runs: u64,
        cells: usize,
        scratch: Option<&std::path::Path>,
    ) -> std::io::Result<LensAggregate> {
        Self::with_memory(lens, method, runs, cells, scratch, crate::spill::memory_for_values())
    }

    /// [`LensAggregate::new`] with `memory` bytes for exact values before they are spilled.
    pub fn with_memory(
        lens: &str,
        method: QuantileMethod,
        runs: u64,
        cells: usize,
        scratch: Option<&std::path::Path>,
        memory: u64,
    ) -> std::io::Result<LensAggregate> {
        let spill = method == QuantileMethod::Exact && !crate::spill::fits_in_memory(runs, cells, memory);
        Ok(LensAggregate {
            lens: lens.to_string(),
            // Each cell reserves its own room (`vec![..; n]` would clone an empty buffer).
            cells: (0..cells)
                .map(|_| {
                    if spill {
                        Summary::spilled()
                    } else {
                        Summary::new(method, runs)
                    }
                })
                .collect(),
            spill: if spill {
                Some(ValueSpill::create(scratch, cells)?)
            } else {
                None
            },
        })
    }

    /// Adds one run's metric panel (cell by cell, in the panel's order: the communities'
    /// metrics, then the pairs').
    pub fn fold(&mut self, result: &RunResult) -> std::io::Result<()> {
        let panel = || result.metrics.iter().chain(&result.pairs).copied();
        for (cell, x) in self.cells.iter_mut().zip(panel()) {
            cell.add(x);
        }
        match &mut self.spill {
            Some(spill) => spill.push(panel()),
            None => Ok(()),
        }
    }

    /// Whether this aggregate's values wait in a scratch file (until [`LensAggregate::finish`]).
    pub fn spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Once every run is folded: sorts each cell's values ([`Summary::finish`]), or reads
    /// the spilled values back and keeps each cell's whole percentiles (the scratch file is
    /// then gone), on the threads of `pool`. Finishing again changes nothing.
    pub fn finish(&mut self, pool: &rayon::ThreadPool) -> std::io::Result<()> {
        match self.spill.take() {
            Some(spill) => spill.resolve(&mut self.cells, pool),
            None => {
                pool.install(|| self.cells.par_iter_mut().for_each(Summary::finish));
                Ok(())
            }
        }
    }
}

/// The cells of one lens's aggregate: ticks x slots (the system and each community) x metrics,
/// then ticks x pairs of interest x pair metrics.
pub fn cells(prepared: &Prepared) -> usize {
    community_cells(prepared)
        + prepared.scenario.calendar.n_ticks() as usize * prepared.scenario.pairs.len() * metrics::PAIR_METRICS.len()
}

/// The communities' cells, first in an aggregate and a panel: `timeseries.csv`.
pub fn community_cells(prepared: &Prepared) -> usize {
    prepared.scenario.calendar.n_ticks() as usize * prepared.slots() * METRICS.len()
}

/// How the aggregates of `runs` runs keep their percentiles: exact while `runs x cells x 8`
/// bytes fit [`EXACT_BUDGET_BYTES`], else a KLL sketch per cell.
pub fn quantile_method(prepared: &Prepared, runs: u64) -> QuantileMethod {
    QuantileMethod::choose(runs, cells(prepared), EXACT_BUDGET_BYTES)
}

/// The manifest's `quantiles` object (method, rank error, budget) of aggregates of `runs` runs.
pub fn quantiles_manifest(prepared: &Prepared, runs: u64) -> serde_json::Value {
    quantile_method(prepared, runs).manifest(runs, EXACT_BUDGET_BYTES)
}

/// Final values of one run, per slot (the `runs.csv` row): every metric whose
/// [`RunRole`](metrics::RunRole) is `Final`.
pub const RUN_FINALS: &[&str] = &metrics::names_of(metrics::RUN_FINAL_METRICS);
/// Metrics summed over the run (role `Total`).
pub const RUN_TOTALS: &[&str] = &metrics::names_of(metrics::RUN_TOTAL_METRICS);
/// Other per-run columns per slot: the run's escalation rate (role `OfTheRun`) and the years
/// read from `no_force_yet` and `disputes_war` (role `Derived`).
pub const RUN_EXTRAS: &[&str] = &["escalation_rate", "first_force_year", "first_war_year"];

/// The `runs.csv` values of one run: for each slot, finals, totals, extras.
/// `None` is an empty cell (no dispute, no war).
pub fn summarise_run(prepared: &Prepared, result: &RunResult) -> Vec<Option<f64>> {
    let slots = prepared.slots();
    let m = METRICS.len();
    let ticks = prepared.scenario.calendar.n_ticks() as usize;
    let at = |tick: usize, slot: usize, metric: usize| result.metrics[(tick * slots + slot) * m + metric];
    let cal = &prepared.scenario.calendar;
    let mut out = Vec::new();
    for slot in 0..slots {
        for m in metrics::RUN_FINAL_METRICS {
            let v = at(ticks - 1, slot, m.index());
            out.push(v.is_finite().then_some(v));
        }
        let total = |m: Metric| -> f64 { (0..ticks).map(|t| at(t, slot, m.index())).sum() };
        for m in metrics::RUN_TOTAL_METRICS {
            out.push(Some(total(m)));
        }
        let (disputes, force, war) = (
            total(Metric::Disputes),
            total(Metric::DisputesForce),
            total(Metric::DisputesWar),
        );
        out.push((disputes > 0.0).then(|| (force + war) / disputes));
        let first = |pred: &dyn Fn(usize) -> bool| {
            (0..ticks)
                .find(|&t| pred(t))
                .map(|t| cal.month_of(t as u32).year() as f64)
        };
        out.push(first(&|t| {
            at(t, slot, Metric::DisputesForce.index()) + at(t, slot, Metric::DisputesWar.index()) > 0.0
        }));
        out.push(first(&|t| at(t, slot, Metric::DisputesWar.index()) > 0.0));
    }
    // Pairs of interest: the last value of each, and the disputes summed.
    let pm = metrics::PAIR_METRICS.len();
    let n_pairs = prepared.scenario.pairs.len();
    for pair in 0..n_pairs {
        let pat = |tick: usize, k: usize| result.pairs[(tick * n_pairs + pair) * pm + k];
        for (k, name) in metrics::PAIR_METRICS.iter().enumerate() {
            let v = if *name == "disputes" {
                (0..ticks).map(|t| pat(t, k)).sum()
            } else {
                pat(ticks - 1, k)
            };
            out.push(v.is_finite().then_some(v));
        }
    }
    out
}

/// Column names of `runs.csv` after `lens,run`: `<slot>.<name>`.
pub fn run_columns(prepared: &Prepared) -> Vec<String> {
    let mut names = vec!["system".to_string()];
    names.extend(prepared.scenario.communities.iter().map(|c| c.id.clone()));
    let mut out = Vec::new();
    for slot in names {
        for name in RUN_FINALS.iter().chain(RUN_TOTALS).chain(RUN_EXTRAS) {
            out.push(format!("{slot}.{name}"));
        }
    }
    for pair in &prepared.scenario.pairs {
        for name in metrics::PAIR_METRICS {
            out.push(format!("{}.{name}", pair.name));
        }
    }
    out
}

/// Receives each chunk of finished runs, in run order.
pub trait Sink {
    /// `lens`: the lens's index in the run's lens list; `name`: its name.
    fn chunk(&mut self, lens: usize, name: &str, prepared: &Prepared, results: &[RunResult]) -> std::io::Result<()>;
}

/// Which runs a process computes, and where it starts.
#[derive(Clone, Debug)]
pub struct Span {
    /// The run indices of every lens this process computes: all of `0..runs`, or a shard's
    /// block ([`crate::shard::Shard::range`]).
    pub runs: std::ops::Range<u64>,
    /// The first (lens, run) still to compute: `(0, runs.start)`, or where a checkpoint ended.
    pub from: (usize, u64),
}

impl Span {
    /// Every run of every lens.
    pub fn all(runs: u64) -> Span {
        Span {
            runs: 0..runs,
            from: (0, 0),
        }
    }

    /// Runs this span computes over `lenses` lenses, and how many of them come before `from`.
    pub fn counts(&self, lenses: usize) -> (u64, u64) {
        let per = self.runs.end - self.runs.start;
        let before = self.from.0 as u64 * per + self.from.1.saturating_sub(self.runs.start);
        (per * lenses as u64, before.min(per * lenses as u64))
    }
}

/// How a span of runs ended.
pub enum Outcome {
    /// Every run is done: each lens's aggregate (none when not aggregating).
    Finished(Vec<LensAggregate>),
    /// `stop` was raised: the runs before (`lens`, `next_run`) are done and handed to the sink.
    Stopped { lens: usize, next_run: u64 },
}

/// Runs every lens, `config.runs` times each, with common random numbers
/// (run k of every lens uses the same streams). `progress` is told after each
/// chunk how many runs have finished in all.
pub fn run(
    prepared: &Prepared,
    lenses: &[(String, Params)],
    config: &Config,
    sink: &mut dyn Sink,
    progress: &dyn Fn(u64),
) -> std::io::Result<Vec<LensAggregate>> {
    run_within(prepared, lenses, config, sink, progress, EXACT_BUDGET_BYTES)
}

/// [`run`] with `budget` bytes per aggregate for exact percentiles instead of
/// [`EXACT_BUDGET_BYTES`] (tests force the sketch with 0).
pub fn run_within(
    prepared: &Prepared,
    lenses: &[(String, Params)],
    config: &Config,
    sink: &mut dyn Sink,
    progress: &dyn Fn(u64),
    budget: u64,
) -> std::io::Result<Vec<LensAggregate>> {
    let span = Span::all(config.runs);
    match run_span(
        prepared,
        lenses,
        config,
        &span,
        Some(Vec::new()),
        sink,
        progress,
        None,
        budget,
    )? {
        Outcome::Finished(aggregates) => Ok(aggregates),
        Outcome::Stopped { .. } => Err(std::io::Error::other("stopped without a stop flag")),
    }
}

/// Runs `span` of every lens. `aggregates`: `None` to fold nothing (a shard's part keeps
/// panels instead); else the aggregates of the lenses already begun (empty unless resuming,
/// when they hold the runs before `span.from`, folded in order). After each chunk, when `stop`
/// is raised, returns [`Outcome::Stopped`] at that chunk's end. `progress` is told how many
/// runs of the span are done, those before `span.from` included.
#[allow(clippy::too_many_arguments)]
pub fn run_span(
    prepared: &Prepared,
    lenses: &[(String, Params)],
    config: &Config,
    span: &Span,
    mut aggregates: Option<Vec<LensAggregate>>,
    sink: &mut dyn Sink,
    progress: &dyn Fn(u64),
    stop: Option<&std::sync::atomic::AtomicBool>,
    budget: u64,
) -> std::io::Result<Outcome> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(std::io::Error::other)?;
    let threads = pool.current_num_threads() as u64;
    let chunk = (threads * 8).clamp(8, 256);
    let cells = cells(prepared);
    // Decided from every run of the job, so that a shard or a resumed run summarises alike.
    let method = QuantileMethod::choose(config.runs, cells, budget);
    let (_, mut done) = span.counts(lenses.len());
    let (first_lens, first_run) = span.from;
    for (l, (lens, params)) in lenses.iter().enumerate().skip(first_lens) {
        if let Some(aggs) = &mut aggregates
            && aggs.len() <= l
        {
            aggs.push(LensAggregate::new(
                lens,
                method,
                config.runs,
                cells,
                config.scratch.as_deref(),
            )?);
        }
        let mut start = if l == first_lens {
            first_run.max(span.runs.start)
        } else {
            span.runs.start
        };
        // A pipeline of two chunks: while the pool computes chunk k + 1, this thread folds chunk
        // k into the aggregate and hands it to the sink, in run order as before. At most two
        // chunks' results are held.
        let compute = |from: u64, to: u64| -> Vec<RunResult> {
            pool.install(|| {
                (from..to)
                    .into_par_iter()
                    .map(|run| prepared.run_with(params, config.seed, run, config.record(run)))
                    .collect()
            })
        };
        let mut in_hand: Option<(u64, Vec<RunResult>)> = None;
        while start < span.runs.end || in_hand.is_some() {
            let end = (start + chunk).min(span.runs.end);
            let stopping = stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst));
            // Once stopping, no new chunk starts: the one in hand is the last.
            let next = if start < end && !(stopping && in_hand.is_some()) {
                Some(start..end)
            } else {
                None
            };
            let (computed, written) = std::thread::scope(|scope| {
                let worker = next.clone().map(|r| scope.spawn(move || compute(r.start, r.end)));
                let written = match in_hand.take() {
                    Some((to, results)) => {
                        let folded = match &mut aggregates {
                            Some(aggs) => results.iter().try_for_each(|r| aggs[l].fold(r)),
                            None => Ok(()),
                        };
                        folded
                            .and_then(|()| sink.chunk(l, lens, prepared, &results))
                            .map(|()| Some((to, results.len() as u64)))
                    }
                    None => Ok(None),
                };
                let computed = worker.map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
                (computed, written)
            });
            if let Some((to, count)) = written? {
                done += count;
                progress(done);
                if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst)) && computed.is_none() {
                    let (lens, next_run) = if to == span.runs.end {
                        (l + 1, span.runs.start)
                    } else {
                        (l, to)
                    };
                    if lens < lenses.len() {
                        return Ok(Outcome::Stopped { lens, next_run });
                    }
                }
            }
            if let (Some(range), Some(results)) = (next, computed) {
                in_hand = Some((range.end, results));
                start = range.end;
            }
        }
        if let Some(aggs) = &mut aggregates {
            aggs[l].finish(&pool)?;
        }
    }
    Ok(Outcome::Finished(aggregates.unwrap_or_default()))
}
