//! Parameter sweeps: many parameter points, each run many times, with common random numbers.
//!
//! Architecture Invariant: run k of every point (and of every lens) uses the same random
//! streams, keyed by (seed, k) exactly as in `comity run`, so a point whose values equal the
//! base parameters reproduces `run`'s rows, and differences between points are not noise
//! of different draws. Jobs are the flat sequence (lens, point, run); they are computed in
//! parallel in chunks and folded strictly in that order, so the bytes do not depend on the
//! thread count, and only one point's aggregate is open at a time: memory is bounded by one
//! aggregate and one chunk, whatever the number of points.

use crate::design::{Design, DesignKind, Factor};
use crate::montecarlo::{Config, LensAggregate};
use crate::output::{OutputError, RunWriters, TimeseriesWriter};
use crate::params::{self, Params};
use crate::results::{
    self, FileError, Manifest, ManifestError, PerRun, PerRunFile, RunRow, Summaries, SummaryFile, SummaryRow,
};
use crate::sim::Prepared;
use crate::stats::{EXACT_BUDGET_BYTES, QuantileMethod};
use std::path::{Path, PathBuf};

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
    run_points(
        prepared,
        lenses,
        names,
        points,
        0..points.len(),
        config,
        writers,
        progress,
        None,
    )
    .map(|_| ())
}

/// [`run`] of the points in `range` only (a shard's block), for every lens. Returns
/// `Ok(false)` when `stop` was raised (after the chunk in flight), `Ok(true)` when done.
#[allow(clippy::too_many_arguments)]
pub fn run_points(
    prepared: &Prepared,
    lenses: &[(String, Params)],
    names: &[String],
    points: &[Vec<f64>],
    range: std::ops::Range<usize>,
    config: &Config,
    writers: &mut SweepWriters,
    progress: &dyn Fn(u64),
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<bool, OutputError> {
    let io = |source: std::io::Error| OutputError::Io {
        path: "sweep output".into(),
        source,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| io(std::io::Error::other(e)))?;
    let threads = pool.current_num_threads() as u64;
    let chunk = crate::montecarlo::chunk_runs(threads);
    let cells = crate::montecarlo::cells(prepared);
    let (n_points, runs) = ((range.end - range.start) as u64, config.runs);
    // One point's aggregate is open at a time: exact percentiles while its values fit.
    let method = QuantileMethod::choose(runs, cells, EXACT_BUDGET_BYTES);
    let total = lenses.len() as u64 * n_points * runs;
    let split = |job: u64| {
        let run = job % runs;
        let point = range.start as u64 + (job / runs) % n_points;
        let lens = job / runs / n_points;
        (lens as usize, point as usize, run)
    };
    // The pool's threads are busy computing while chunks are folded (`pipelined`): a point's
    // aggregate is finished on a pool of its own.
    let finisher = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| io(std::io::Error::other(e)))?;
    let mut open: Option<(usize, usize, LensAggregate)> = None;
    let handed = crate::montecarlo::pipelined(
        &pool,
        0..total,
        chunk,
        // A point's parameters are set anew for each of its runs: microseconds against the
        // milliseconds of a run, and nothing held for every point.
        &|job| {
            let (l, p, run) = split(job);
            let params = point_params(&lenses[l].1, names, &points[p]);
            prepared.run(&params, config.seed, run, config.record_disputes)
        },
        &mut |jobs, results| -> Result<bool, OutputError> {
            let start = jobs.start;
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
                            LensAggregate::new(lens, method, runs, cells, config.scratch.as_deref()).map_err(io)?,
                        ));
                        &mut open.as_mut().expect("just set").2
                    }
                };
                segment.iter().try_for_each(|r| agg.fold(r)).map_err(io)?;
                let (_, _, last_run) = split(start + seg_end as u64 - 1);
                if last_run == runs - 1 {
                    let (_, p, mut agg) = open.take().expect("open above");
                    agg.finish(&finisher).map_err(io)?;
                    writers.timeseries.write(&prepared.scenario, Some(p), &agg)?;
                }
                i = seg_end;
            }
            progress(jobs.end);
            Ok(!(jobs.end < total && stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))))
        },
    )?;
    Ok(handed == total)
}

// ---------------------------------------------------------------- reading a sweep folder

/// A metric of a sweep's output: `COMMUNITY.METRIC` (per-run value at the end of the run, a
/// `runs.csv` column) or `COMMUNITY.METRIC@YEAR` (the value in that year's last tick).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRef {
    pub community: String,
    pub metric: String,
    pub year: Option<i64>,
}

impl MetricRef {
    pub fn parse(text: &str) -> Result<MetricRef, String> {
        let t = text.trim();
        let (body, year) = match t.split_once('@') {
            Some((b, y)) => (
                b,
                Some(
                    y.trim()
                        .parse::<i64>()
                        .map_err(|_| format!("`{y}` in `{t}` is not a year (e.g. west.cohesion@2030)"))?,
                ),
            ),
            None => (t, None),
        };
        let (community, metric) = body.split_once('.').ok_or_else(|| {
            format!("`{t}` is not COMMUNITY.METRIC[@YEAR] (e.g. west.cohesion@2030, system.disputes)")
        })?;
        Ok(MetricRef {
            community: community.trim().to_string(),
            metric: metric.trim().to_string(),
            year,
        })
    }

    /// The `runs.csv` column (and `runs_at.csv` column) of the metric.
    pub fn column(&self) -> String {
        format!("{}.{}", self.community, self.metric)
    }
}

impl std::fmt::Display for MetricRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.community, self.metric)?;
        if let Some(y) = self.year {
            write!(f, "@{y}")?;
        }
        Ok(())
    }
}

/// A problem with a sweep folder, with a hint on how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub message: String,
    pub hint: Option<String>,
}

fn read_error(message: impl Into<String>, hint: impl Into<String>) -> ReadError {
    ReadError {
        message: message.into(),
        hint: Some(hint.into()),
    }
}

impl From<FileError> for ReadError {
    fn from(e: FileError) -> ReadError {
        read_error(e.0, "rerun the sweep (comity sweep ... --out DIR --force)")
    }
}

/// The outcome of one lens at every point.
#[derive(Clone, Debug)]
pub struct LensOutcome {
    pub lens: String,
    /// Mean over the point's runs (NaN where no run has a value).
    pub mean: Vec<f64>,
    /// Every run's value per point, when the folder holds per-run values of the metric.
    pub runs: Option<Vec<Vec<f64>>>,
}

/// A finished sweep folder: its design and where to read outcomes.
#[derive(Clone, Debug)]
pub struct SweepFolder {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub design: Design,
    pub lenses: Vec<String>,
    pub runs: u64,
}

/// Per lens, per point: every run's value.
type PerRunValues = Vec<Vec<Vec<f64>>>;

impl SweepFolder {
    /// Opens a folder written by `comity sweep`: `manifest.json` and `points.csv`.
    pub fn open(dir: &Path) -> Result<SweepFolder, ReadError> {
        let mpath = dir.join(results::MANIFEST);
        let manifest = Manifest::read(dir).map_err(|e| match e {
            ManifestError::Unreadable { source, .. } => read_error(
                format!("{} has no readable manifest.json ({source})", dir.display()),
                "give the folder a finished `comity sweep` wrote (its manifest is written last)",
            ),
            ManifestError::Invalid { .. } => read_error(e.to_string(), "rerun the sweep"),
        })?;
        if !manifest.is_sweep() {
            return Err(read_error(
                format!("{} is the output of `comity run`, not of `comity sweep`", dir.display()),
                "run a sweep first: comity sweep SCENARIO --vary NAME=LO..HI --design sobol",
            ));
        }
        let lacks = || {
            read_error(
                format!("{} lacks the design, lenses or runs of the sweep", mpath.display()),
                "rerun the sweep",
            )
        };
        let d = manifest.design.as_ref().ok_or_else(lacks)?;
        let kind: DesignKind = d
            .kind
            .parse()
            .map_err(|e| read_error(format!("{}: {e}", mpath.display()), "rerun the sweep"))?;
        let factors: Vec<Factor> = d
            .factors
            .iter()
            .map(|f| Factor {
                name: f.name.clone(),
                lo: f.lo,
                hi: f.hi,
                levels: f.levels,
            })
            .collect();
        let n_points = d.points as usize;
        if factors.is_empty() || manifest.lenses.is_empty() || manifest.runs == 0 || n_points == 0 {
            return Err(lacks());
        }
        let points = read_points(
            &dir.join(crate::results::POINTS),
            &manifest.lenses[0],
            factors.len(),
            n_points,
        )?;
        let design = Design {
            kind,
            factors,
            seed: d.seed,
            samples: d.samples.map_or(n_points, |s| s as usize),
            morris_levels: d.levels.unwrap_or(0),
            points,
        };
        if !d.sha256.is_empty() && d.sha256 != design.hash() {
            return Err(read_error(
                format!(
                    "{} does not match the design the manifest records (sha256)",
                    dir.join(crate::results::POINTS).display()
                ),
                "points.csv was edited or belongs to another sweep; rerun the sweep",
            ));
        }
        Ok(SweepFolder {
            dir: dir.to_path_buf(),
            lenses: manifest.lenses.clone(),
            runs: manifest.runs,
            manifest,
            design,
        })
    }

    /// The outcome `metric` of every lens at every point.
    pub fn outcome(&self, metric: &MetricRef) -> Result<Vec<LensOutcome>, ReadError> {
        self.check_community(metric)?;
        let n = self.design.points.len();
        let mut sums = vec![vec![(0.0f64, 0u64); n]; self.lenses.len()];
        let per_run = match metric.year {
            None => Some(self.runs_csv(metric, &mut sums)?),
            Some(year) => {
                self.timeseries_at(metric, year, &mut sums)?;
                self.runs_at(metric, year)?
            }
        };
        Ok(self
            .lenses
            .iter()
            .enumerate()
            .map(|(l, lens)| LensOutcome {
                lens: lens.clone(),
                mean: sums[l]
                    .iter()
                    .map(|&(s, c)| if c > 0 { s / c as f64 } else { f64::NAN })
                    .collect(),
                runs: per_run.as_ref().map(|r| r[l].clone()),
            })
            .collect())
    }

    /// The metric's community is `system` or one of the scenario's.
    fn check_community(&self, metric: &MetricRef) -> Result<(), ReadError> {
        let communities: Vec<&str> = std::iter::once("system")
            .chain(self.manifest.scenario.communities.iter().map(String::as_str))
            .collect();
        if communities.contains(&metric.community.as_str()) {
            return Ok(());
        }
        let hint = crate::suggest::closest(&metric.community, communities.iter().copied())
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        Err(read_error(
            format!("`{}` is not a community of this sweep's scenario", metric.community),
            format!("{hint}communities: {}", communities.join(", ")),
        ))
    }

    /// The (lens, point) indices of a row, or an error when it names neither.
    fn slot(&self, path: &Path, point: Option<u64>, lens: &str) -> Result<(usize, usize), ReadError> {
        let p = point.map(|p| p as usize).filter(|&p| p < self.design.points.len());
        match (self.lenses.iter().position(|l| l == lens), p) {
            (Some(l), Some(p)) => Ok((l, p)),
            _ => Err(read_error(
                format!("{}: a row names an unknown point or lens", path.display()),
                "rerun the sweep",
            )),
        }
    }

    /// Every run's end-of-run value of `metric` from `runs.csv`, adding each finite one to
    /// `sums`.
    fn runs_csv(&self, metric: &MetricRef, sums: &mut [Vec<(f64, u64)>]) -> Result<PerRunValues, ReadError> {
        let path = self.dir.join(results::RUNS);
        let table = PerRun::open(&path, PerRunFile::Runs)?;
        let col = metric.column();
        let j = table.column(&col).ok_or_else(|| {
            let names: Vec<&str> = crate::montecarlo::RUN_FINALS
                .iter()
                .chain(crate::montecarlo::RUN_TOTALS)
                .chain(crate::montecarlo::RUN_EXTRAS)
                .copied()
                .collect();
            let hint = crate::suggest::closest(&metric.metric, names.iter().copied())
                .map(|s| format!("did you mean `{}.{s}`? ", metric.community))
                .unwrap_or_default();
            read_error(
                format!("runs.csv has no column `{col}`"),
                format!(
                    "{hint}end-of-run metrics: {}; for any metric in a given year write COMMUNITY.METRIC@YEAR",
                    names.join(", ")
                ),
            )
        })?;
        let mut runs = vec![vec![Vec::new(); self.design.points.len()]; self.lenses.len()];
        table.each(|row: &RunRow<'_>| -> Result<(), ReadError> {
            let (l, p) = self.slot(&path, row.point, row.lens)?;
            let v = row.value(j)?.unwrap_or(f64::NAN);
            if v.is_finite() {
                sums[l][p].0 += v;
                sums[l][p].1 += 1;
            }
            runs[l][p].push(v);
            Ok(())
        })?;
        Ok(runs)
    }

    /// The mean of `metric` in `year`'s last tick from `timeseries.csv`, into `sums` (as sum and
    /// count).
    fn timeseries_at(&self, metric: &MetricRef, year: i64, sums: &mut [Vec<(f64, u64)>]) -> Result<(), ReadError> {
        use crate::sim::metrics::METRICS;
        if !METRICS.contains(&metric.metric.as_str()) {
            let hint = crate::suggest::closest(&metric.metric, METRICS.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(read_error(
                format!("`{}` is not a metric of timeseries.csv", metric.metric),
                format!("{hint}metrics: {}", METRICS.join(", ")),
            ));
        }
        let path = self.dir.join(results::TIMESERIES);
        // The year's last tick: rows come tick by tick, so the last row of the year wins.
        let mut found = false;
        let mut last_tick = vec![vec![None; self.design.points.len()]; self.lenses.len()];
        Summaries::open(&path, SummaryFile::Timeseries)?.each(|r: &SummaryRow<'_>| -> Result<(), ReadError> {
            if r.year != year || r.group != metric.community || r.metric != metric.metric {
                return Ok(());
            }
            let (l, p) = self.slot(&path, r.point, r.lens)?;
            found = true;
            if last_tick[l][p].is_none_or(|t| r.tick > t) {
                last_tick[l][p] = Some(r.tick);
                sums[l][p] = match r.mean {
                    Some(m) if r.n > 0 => (m * r.n as f64, r.n),
                    _ => (0.0, 0),
                };
            }
            Ok(())
        })?;
        if !found {
            let s = &self.manifest.scenario;
            let (a, b) = (
                if s.start.is_empty() { "?" } else { &s.start },
                if s.end.is_empty() { "?" } else { &s.end },
            );
            return Err(read_error(
                format!("timeseries.csv has no year {year}"),
                format!("the scenario runs from {a} to {b}"),
            ));
        }
        Ok(())
    }

    /// Per-run values of `metric` in `year` from `runs_at.csv`, when the sweep wrote that year.
    fn runs_at(&self, metric: &MetricRef, year: i64) -> Result<Option<PerRunValues>, ReadError> {
        let path = self.dir.join(results::RUNS_AT);
        if !path.exists() {
            return Ok(None);
        }
        let table = PerRun::open(&path, PerRunFile::RunsAt)?;
        let Some(j) = table.column(&metric.column()) else {
            return Ok(None);
        };
        let mut runs = vec![vec![Vec::new(); self.design.points.len()]; self.lenses.len()];
        let mut any = false;
        table.each(|row: &RunRow<'_>| -> Result<(), ReadError> {
            if row.year != Some(year) {
                return Ok(());
            }
            let p = row.point.map(|p| p as usize).filter(|&p| p < self.design.points.len());
            let l = self.lenses.iter().position(|x| x == row.lens);
            if let (Some(p), Some(l)) = (p, l) {
                any = true;
                runs[l][p].push(row.value(j)?.unwrap_or(f64::NAN));
            }
            Ok(())
        })?;
        Ok(any.then_some(runs))
    }
}

/// The points of a sweep as they ran, from `points.csv` (the rows of `lens`, the first lens).
fn read_points(path: &Path, lens: &str, factors: usize, n_points: usize) -> Result<Vec<Vec<f64>>, ReadError> {
    let mut r = csv::Reader::from_path(path).map_err(|e| {
        read_error(
            format!("cannot read {}: {e}", path.display()),
            "rerun the sweep (comity sweep ... --out DIR --force)",
        )
    })?;
    let mut points = Vec::with_capacity(n_points);
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| read_error(format!("{}: {e}", path.display()), "rerun the sweep"))?;
        if rec.get(1) != Some(lens) {
            continue;
        }
        let row: Option<Vec<f64>> = (0..factors)
            .map(|j| rec.get(2 + j).and_then(|c| c.parse::<f64>().ok()))
            .collect();
        points.push(row.ok_or_else(|| {
            read_error(
                format!("{} line {}: not a row of numbers", path.display(), i + 2),
                "rerun the sweep",
            )
        })?);
    }
    if points.len() != n_points {
        return Err(read_error(
            format!(
                "{} holds {} points of lens {lens}, the manifest says {n_points}",
                path.display(),
                points.len(),
            ),
            "rerun the sweep",
        ));
    }
    Ok(points)
}
