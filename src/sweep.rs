//! Parameter sweeps: many parameter points, each run many times, with common random numbers.
//!
//! Architecture Invariant: run k of every point (and of every lens) uses the same random
//! streams, keyed by (seed, k) exactly as in `comity run`, so a point whose values equal the
//! base parameters reproduces `run`'s rows, and differences between points are not noise
//! of different draws. Jobs are the flat sequence (lens, point, run); they are computed in
//! parallel in chunks and folded strictly in that order, so the bytes do not depend on the
//! thread count, and only one point's aggregate is open at a time: memory is bounded by one
//! aggregate and one chunk, whatever the number of points.

use crate::montecarlo::{Config, LensAggregate};
use crate::output::{OutputError, RunWriters, TimeseriesWriter};
use crate::params::{self, Params};
use crate::sim::metrics::METRICS;
use crate::sim::{Prepared, RunResult};
use crate::stats::Summary;
use rayon::prelude::*;

/// The parameter set of one point: the lens's parameters with the point's values set.
pub fn point_params(base: &Params, names: &[String], values: &[f64]) -> Params {
    let mut p = base.clone();
    for (name, &v) in names.iter().zip(values) {
        p.set(name, v)
            .expect("points are checked by check_points before a sweep starts");
    }
    p
}

/// Checks that every point sets known parameters to values inside their ranges.
/// The error names the point (0-based row) and the parameter, and says how to fix it.
pub fn check_points(names: &[String], points: &[Vec<f64>]) -> Result<(), String> {
    for name in names {
        if params::spec(name).is_none() {
            let hint = crate::suggest::closest(name, params::SPECS.iter().map(|s| s.name))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!("unknown parameter `{name}`{hint}"));
        }
    }
    for (row, values) in points.iter().enumerate() {
        if values.len() != names.len() {
            return Err(format!(
                "point {row} has {} values for {} parameters",
                values.len(),
                names.len()
            ));
        }
        for (name, &v) in names.iter().zip(values) {
            let s = params::spec(name).expect("checked above");
            if !(v.is_finite() && s.min <= v && v <= s.max) {
                return Err(format!(
                    "point {row}: {name} = {v} is outside its range {}..{}; keep the design inside it",
                    s.min, s.max
                ));
            }
        }
    }
    Ok(())
}

/// Where a sweep's results go.
pub struct SweepWriters {
    pub runs: RunWriters,
    pub timeseries: TimeseriesWriter,
}

/// Runs every (lens, point) `config.runs` times and streams the rows to `writers`.
/// `progress` is told after each chunk how many runs have finished in all.
pub fn run(
    prepared: &Prepared,
    lenses: &[(String, Params)],
    names: &[String],
    points: &[Vec<f64>],
    config: &Config,
    writers: &mut SweepWriters,
    progress: &dyn Fn(u64),
) -> Result<(), OutputError> {
    let io = |source: std::io::Error| OutputError::Io {
        path: "sweep output".into(),
        source,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| io(std::io::Error::other(e)))?;
    let threads = pool.current_num_threads() as u64;
    let chunk = (threads * 8).clamp(8, 256);
    let cells = prepared.scenario.calendar.n_ticks() as usize * prepared.slots() * METRICS.len();
    let (n_points, runs) = (points.len() as u64, config.runs);
    let total = lenses.len() as u64 * n_points * runs;
    // Parameter sets of one lens's points, built once per lens.
    let mut lens_params: Vec<Params> = Vec::new();
    let mut lens_of_params = usize::MAX;
    let mut open: Option<(usize, usize, LensAggregate)> = None;
    let mut start = 0u64;
    while start < total {
        let end = (start + chunk).min(total);
        let split = |job: u64| {
            let run = job % runs;
            let point = (job / runs) % n_points;
            let lens = job / runs / n_points;
            (lens as usize, point as usize, run)
        };
        // A chunk may cross into the next lens: build its point parameters first.
        let needed: Vec<usize> = {
            let (a, _, _) = split(start);
            let (b, _, _) = split(end - 1);
            (a..=b).collect()
        };
        let mut by_lens: Vec<(usize, Vec<Params>)> = Vec::new();
        for l in needed {
            if l == lens_of_params {
                by_lens.push((l, std::mem::take(&mut lens_params)));
            } else {
                let base = &lenses[l].1;
                by_lens.push((l, points.iter().map(|v| point_params(base, names, v)).collect()));
            }
        }
        let params_of =
            |l: usize, p: usize| -> &Params { &by_lens.iter().find(|(k, _)| *k == l).expect("built above").1[p] };
        let results: Vec<RunResult> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|job| {
                    let (l, p, run) = split(job);
                    prepared.run(params_of(l, p), config.seed, run, config.record_disputes)
                })
                .collect()
        });
        // Fold in job order: rows of each (lens, point) segment, then its aggregate.
        let mut i = 0;
        while i < results.len() {
            let (l, p, _) = split(start + i as u64);
            let seg_end = (i..results.len())
                .find(|&j| split(start + j as u64).0 != l || split(start + j as u64).1 != p)
                .unwrap_or(results.len());
            let segment = &results[i..seg_end];
            let lens = lenses[l].0.as_str();
            writers.runs.write_runs(Some(p), lens, prepared, segment).map_err(io)?;
            let agg = match &mut open {
                Some((ol, op, agg)) if *ol == l && *op == p => agg,
                _ => {
                    open = Some((
                        l,
                        p,
                        LensAggregate {
                            lens: lens.to_string(),
                            cells: vec![Summary::default(); cells],
                        },
                    ));
                    &mut open.as_mut().expect("just set").2
                }
            };
            for r in segment {
                for (cell, &x) in agg.cells.iter_mut().zip(&r.metrics) {
                    cell.add(x);
                }
            }
            let (_, _, last_run) = split(start + seg_end as u64 - 1);
            if last_run == runs - 1 {
                let (_, p, agg) = open.take().expect("open above");
                writers.timeseries.write(&prepared.scenario, Some(p), &agg)?;
            }
            i = seg_end;
        }
        // Keep the last lens's parameter sets for the next chunk.
        if let Some((l, v)) = by_lens.pop() {
            lens_of_params = l;
            lens_params = v;
        }
        progress(end);
        start = end;
    }
    Ok(())
}
