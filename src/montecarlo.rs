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
    let chunk = chunk_runs(threads);
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
        let start = if l == first_lens {
            first_run.max(span.runs.start)
        } else {
            span.runs.start
        };
        // The pool computes on while this thread folds each chunk and hands it to the sink,
        // in run order ([`pipelined`]).
        let mut stopped = false;
        let handed = pipelined(
            &pool,
            start..span.runs.end,
            chunk,
            &|run| prepared.run_with(params, config.seed, run, config.record(run)),
            &mut |_, results| -> std::io::Result<bool> {
                if let Some(aggs) = &mut aggregates {
                    results.iter().try_for_each(|r| aggs[l].fold(r))?;
                }
                sink.chunk(l, lens, prepared, &results)?;
                done += results.len() as u64;
                progress(done);
                // Stopped: no further chunk is handed on (at the lens's end, the next lens
                // does not start; below).
                stopped = stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst));
                Ok(!stopped)
            },
        )?;
        let stopped = stopped.then_some(handed);
        if let Some(to) = stopped {
            let (lens, next_run) = if to == span.runs.end {
                (l + 1, span.runs.start)
            } else {
                (l, to)
            };
            if lens < lenses.len() {
                return Ok(Outcome::Stopped { lens, next_run });
            }
        }
        if let Some(aggs) = &mut aggregates {
            aggs[l].finish(&pool)?;
        }
    }
    Ok(Outcome::Finished(aggregates.unwrap_or_default()))
}

/// Runs handed to the sink at a time on `threads` threads: 4 per thread, at most 84, so that
/// the pipeline's results (a chunk being folded and two chunks computed ahead of it, at most 12
/// runs per thread) stay within [`crate::scenario::limits::RUNS_IN_FLIGHT`].
pub fn chunk_runs(threads: u64) -> u64 {
    (threads * 4).clamp(4, 84)
}

/// Computes `runs` on `pool` (`compute` of each index) and hands them to `consume` on this
/// thread, a chunk of `chunk` runs at a time, in index order, while the pool computes on: the
/// pool's threads take indices one at a time in order ([`Pipeline`]), so none waits for the
/// others at a chunk's end, and none runs more than two chunks ahead of what `consume` has
/// taken. `consume` gets each chunk's index range and results and says whether to go on.
/// Returns the end of the last chunk consumed (`runs.end` unless `consume` stopped early or
/// failed: its error is returned once the pool's threads have stopped). A panic in `compute`
/// is raised again on this thread. `consume` must not run work on `pool`: its threads are busy
/// computing until the end (finish an aggregate on another pool, or after this returns).
pub fn pipelined<E>(
    pool: &rayon::ThreadPool,
    runs: std::ops::Range<u64>,
    chunk: u64,
    compute: &(dyn Fn(u64) -> RunResult + Sync),
    consume: &mut dyn FnMut(std::ops::Range<u64>, Vec<RunResult>) -> Result<bool, E>,
) -> Result<u64, E> {
    let chunk = chunk.max(1);
    let pipeline = Pipeline::new(runs.start, 2 * chunk);
    std::thread::scope(|scope| {
        let producer = scope.spawn(|| pool.broadcast(|_| pipeline.work(runs.end, compute)));
        let mut handed = runs.start;
        let outcome = loop {
            if handed == runs.end {
                break Ok(handed);
            }
            let to = (handed + chunk).min(runs.end);
            let results = match pipeline.take(handed..to) {
                Ok(results) => results,
                Err(panic) => {
                    pipeline.cancel();
                    let _ = producer.join();
                    std::panic::resume_unwind(panic);
                }
            };
            match consume(handed..to, results) {
                Ok(go_on) => {
                    handed = to;
                    if !go_on {
                        break Ok(handed);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        pipeline.cancel();
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        outcome
    })
}

/// Runs computed by the pool's threads in index order and taken by the folding thread in run
/// order ([`run_span`]). Each pool thread takes the next run index when it is free, so no
/// thread waits for the others at a chunk's end; a thread waits only when its run would be
/// more than `window` runs ahead of what the folding thread has taken.
struct Pipeline {
    /// The next run a pool thread takes.
    next: std::sync::atomic::AtomicU64,
    window: u64,
    state: std::sync::Mutex<PipelineState>,
    /// Signalled when a run is finished (or a pool thread panicked).
    finished: std::sync::Condvar,
    /// Signalled when the folding thread takes runs, and when the pipeline is cancelled.
    room: std::sync::Condvar,
}

struct PipelineState {
    /// Finished runs not taken yet, by run index.
    done: std::collections::BTreeMap<u64, RunResult>,
    /// Runs before this one have been taken.
    taken: u64,
    cancelled: bool,
    /// The first panic of a pool thread, for the folding thread to raise again.
    panic: Option<Box<dyn std::any::Any + Send>>,
}

impl Pipeline {
    fn new(start: u64, window: u64) -> Pipeline {
        Pipeline {
            next: std::sync::atomic::AtomicU64::new(start),
            window: window.max(1),
            state: std::sync::Mutex::new(PipelineState {
                done: std::collections::BTreeMap::new(),
                taken: start,
                cancelled: false,
                panic: None,
            }),
            finished: std::sync::Condvar::new(),
            room: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PipelineState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One pool thread's work: the next run index, until `end` or cancelled.
    fn work(&self, end: u64, run: &(dyn Fn(u64) -> RunResult + Sync)) {
        use std::sync::atomic::Ordering;
        loop {
            let r = self.next.fetch_add(1, Ordering::SeqCst);
            if r >= end {
                return;
            }
            let mut state = self.lock();
            while !state.cancelled && r >= state.taken + self.window {
                state = self.room.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if state.cancelled {
                return;
            }
            drop(state);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(r)));
            let mut state = self.lock();
            match result {
                Ok(result) => {
                    state.done.insert(r, result);
                    drop(state);
                    self.finished.notify_one();
                }
                Err(panic) => {
                    state.panic.get_or_insert(panic);
                    state.cancelled = true;
                    drop(state);
                    self.finished.notify_one();
                    self.room.notify_all();
                    return;
                }
            }
        }
    }

    /// Waits for the runs of `range` (the next ones in order) and takes them, in run order;
    /// the panic of a pool thread instead, when one panicked.
    fn take(&self, range: std::ops::Range<u64>) -> Result<Vec<RunResult>, Box<dyn std::any::Any + Send>> {
        let mut state = self.lock();
        loop {
            if let Some(panic) = state.panic.take() {
                return Err(panic);
            }
            // Only runs from `taken` on are held, so all of `range` is in when as many are.
            if state.done.range(..range.end).count() as u64 == range.end - range.start {
                let later = state.done.split_off(&range.end);
                let taken = std::mem::replace(&mut state.done, later);
                state.taken = range.end;
                drop(state);
                self.room.notify_all();
                return Ok(taken.into_values().collect());
            }
            state = self
                .finished
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Stops the pool's threads from taking more runs (a thread finishes the run it has).
    fn cancel(&self) {
        self.lock().cancelled = true;
        self.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(run: u64) -> RunResult {
        RunResult {
            run,
            metrics: vec![run as f64],
            pairs: Vec::new(),
            disputes: Vec::new(),
            dyad_years: Vec::new(),
        }
    }

    /// Runs of uneven length on four threads come back in run order, chunk after chunk, and
    /// no thread runs more than the window ahead of what was taken.
    #[test]
    fn the_pipeline_hands_runs_on_in_order_within_its_window() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
        let (start, end, chunk) = (5u64, 205u64, 12u64);
        let pipeline = Pipeline::new(start, 2 * chunk);
        let ahead = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|scope| {
            let producer = scope.spawn(|| {
                pool.broadcast(|_| {
                    pipeline.work(end, &|run| {
                        let taken = pipeline.lock().taken;
                        ahead.fetch_max(run + 1 - taken, std::sync::atomic::Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(run * 37 % 300));
                        result(run)
                    })
                })
            });
            let mut at = start;
            while at < end {
                let to = (at + chunk).min(end);
                let got = pipeline.take(at..to).unwrap();
                assert_eq!(
                    got.iter().map(|r| r.run).collect::<Vec<_>>(),
                    (at..to).collect::<Vec<_>>()
                );
                at = to;
            }
            pipeline.cancel();
            producer.join().unwrap();
        });
        assert!(ahead.into_inner() <= 2 * chunk);
    }

    /// A panic in one run reaches the folding thread (as `run_span` raises it again), and the
    /// other threads stop taking runs.
    #[test]
    fn a_panic_in_a_run_reaches_the_folding_thread() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let pipeline = Pipeline::new(0, 16);
        let computed = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|scope| {
            let producer = scope.spawn(|| {
                pool.broadcast(|_| {
                    pipeline.work(1000, &|run| {
                        computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if run == 9 {
                            panic!("run 9 failed");
                        }
                        result(run)
                    })
                })
            });
            assert!(pipeline.take(0..8).is_ok());
            let panic = pipeline.take(8..16).unwrap_err();
            assert_eq!(panic.downcast_ref::<&str>(), Some(&"run 9 failed"));
            pipeline.cancel();
            producer.join().unwrap();
        });
        assert!(computed.into_inner() < 1000, "the threads stopped taking runs");
    }
}
