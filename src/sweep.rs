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
use crate::sim::{Prepared, RunResult};
use crate::stats::{EXACT_BUDGET_BYTES, QuantileMethod};
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
    let chunk = (threads * 8).clamp(8, 256);
    let cells = crate::montecarlo::cells(prepared);
    let (n_points, runs) = ((range.end - range.start) as u64, config.runs);
    // One point's aggregate is open at a time: exact percentiles while its values fit.
    let method = QuantileMethod::choose(runs, cells, EXACT_BUDGET_BYTES);
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
            let point = range.start as u64 + (job / runs) % n_points;
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
                    open = Some((l, p, LensAggregate::new(lens, method, runs, cells)));
                    &mut open.as_mut().expect("just set").2
                }
            };
            segment.iter().for_each(|r| agg.fold(r));
            let (_, _, last_run) = split(start + seg_end as u64 - 1);
            if last_run == runs - 1 {
                let (_, p, mut agg) = open.take().expect("open above");
                agg.finish(&pool);
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
        if start < total && stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst)) {
            return Ok(false);
        }
    }
    Ok(true)
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
    pub dir: std::path::PathBuf,
    pub manifest: serde_json::Value,
    pub design: crate::design::Design,
    pub lenses: Vec<String>,
    pub runs: u64,
}

fn csv_reader(path: &std::path::Path) -> Result<csv::Reader<std::fs::File>, ReadError> {
    csv::Reader::from_path(path).map_err(|e| {
        read_error(
            format!("cannot read {}: {e}", path.display()),
            "rerun the sweep (comity sweep ... --out DIR --force)",
        )
    })
}

impl SweepFolder {
    /// Opens a folder written by `comity sweep`: `manifest.json` and `points.csv`.
    pub fn open(dir: &std::path::Path) -> Result<SweepFolder, ReadError> {
        use crate::design::{Design, DesignKind, Factor};
        let mpath = dir.join("manifest.json");
        let text = std::fs::read_to_string(&mpath).map_err(|e| {
            read_error(
                format!("{} has no readable manifest.json ({e})", dir.display()),
                "give the folder a finished `comity sweep` wrote (its manifest is written last)",
            )
        })?;
        let manifest: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| read_error(format!("{}: {e}", mpath.display()), "rerun the sweep"))?;
        if manifest["kind"] != "sweep" {
            return Err(read_error(
                format!("{} is the output of `comity run`, not of `comity sweep`", dir.display()),
                "run a sweep first: comity sweep SCENARIO --vary NAME=LO..HI --design sobol",
            ));
        }
        let d = &manifest["design"];
        let kind: DesignKind = d["kind"]
            .as_str()
            .unwrap_or("")
            .parse()
            .map_err(|e| read_error(format!("{}: {e}", mpath.display()), "rerun the sweep"))?;
        let factors: Vec<Factor> = d["factors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| Factor {
                        name: f["name"].as_str().unwrap_or("").to_string(),
                        lo: f["lo"].as_f64().unwrap_or(f64::NAN),
                        hi: f["hi"].as_f64().unwrap_or(f64::NAN),
                        levels: f["levels"].as_u64().map(|l| l as u32),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let lenses: Vec<String> = manifest["lenses"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let runs = manifest["runs"].as_u64().unwrap_or(0);
        let n_points = d["points"].as_u64().unwrap_or(0) as usize;
        if factors.is_empty() || lenses.is_empty() || runs == 0 || n_points == 0 {
            return Err(read_error(
                format!("{} lacks the design, lenses or runs of the sweep", mpath.display()),
                "rerun the sweep",
            ));
        }
        // The points as they ran, from points.csv (the first lens's rows).
        let ppath = dir.join("points.csv");
        let mut r = csv_reader(&ppath)?;
        let mut points = Vec::with_capacity(n_points);
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| read_error(format!("{}: {e}", ppath.display()), "rerun the sweep"))?;
            if rec.get(1) != Some(lenses[0].as_str()) {
                continue;
            }
            let row: Option<Vec<f64>> = (0..factors.len())
                .map(|j| rec.get(2 + j).and_then(|c| c.parse::<f64>().ok()))
                .collect();
            points.push(row.ok_or_else(|| {
                read_error(
                    format!("{} line {}: not a row of numbers", ppath.display(), i + 2),
                    "rerun the sweep",
                )
            })?);
        }
        if points.len() != n_points {
            return Err(read_error(
                format!(
                    "{} holds {} points of lens {}, the manifest says {n_points}",
                    ppath.display(),
                    points.len(),
                    lenses[0]
                ),
                "rerun the sweep",
            ));
        }
        let seed = d["seed"].as_u64().unwrap_or(0);
        let samples = d["samples"].as_u64().unwrap_or(n_points as u64) as usize;
        let morris_levels = d["levels"].as_u64().unwrap_or(0) as u32;
        let design = Design {
            kind,
            factors,
            seed,
            samples,
            morris_levels,
            points,
        };
        if let Some(h) = d["sha256"].as_str()
            && h != design.hash()
        {
            return Err(read_error(
                format!(
                    "{} does not match the design the manifest records (sha256)",
                    ppath.display()
                ),
                "points.csv was edited or belongs to another sweep; rerun the sweep",
            ));
        }
        Ok(SweepFolder {
            dir: dir.to_path_buf(),
            manifest,
            design,
            lenses,
            runs,
        })
    }

    /// The outcome `metric` of every lens at every point.
    pub fn outcome(&self, metric: &MetricRef) -> Result<Vec<LensOutcome>, ReadError> {
        let n = self.design.points.len();
        let communities: Vec<String> = std::iter::once("system".to_string())
            .chain(
                self.manifest["scenario"]["communities"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_string)),
            )
            .collect();
        if !communities.contains(&metric.community) {
            let hint = crate::suggest::closest(&metric.community, communities.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(read_error(
                format!("`{}` is not a community of this sweep's scenario", metric.community),
                format!("{hint}communities: {}", communities.join(", ")),
            ));
        }
        let lens_index = |name: &str| self.lenses.iter().position(|l| l == name);
        let mut sums = vec![vec![(0.0f64, 0u64); n]; self.lenses.len()];
        let per_run: Option<Vec<Vec<Vec<f64>>>> = match metric.year {
            None => {
                let path = self.dir.join("runs.csv");
                let mut r = csv_reader(&path)?;
                let header = r
                    .headers()
                    .map_err(|e| read_error(format!("{}: {e}", path.display()), "rerun the sweep"))?
                    .clone();
                let col = metric.column();
                let j = header.iter().position(|h| h == col).ok_or_else(|| {
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
                let mut runs = vec![vec![Vec::new(); n]; self.lenses.len()];
                for rec in r.records() {
                    let rec = rec.map_err(|e| read_error(format!("{}: {e}", path.display()), "rerun the sweep"))?;
                    let (Some(p), Some(l)) = (
                        rec.get(0).and_then(|p| p.parse::<usize>().ok()).filter(|&p| p < n),
                        rec.get(1).and_then(lens_index),
                    ) else {
                        return Err(read_error(
                            format!("{}: a row names an unknown point or lens", path.display()),
                            "rerun the sweep",
                        ));
                    };
                    let v = rec.get(j).and_then(|c| c.parse::<f64>().ok()).unwrap_or(f64::NAN);
                    if v.is_finite() {
                        sums[l][p].0 += v;
                        sums[l][p].1 += 1;
                    }
                    runs[l][p].push(v);
                }
                Some(runs)
            }
            Some(year) => {
                if !crate::sim::metrics::METRICS.contains(&metric.metric.as_str()) {
                    let hint = crate::suggest::closest(&metric.metric, crate::sim::metrics::METRICS.iter().copied())
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    return Err(read_error(
                        format!("`{}` is not a metric of timeseries.csv", metric.metric),
                        format!("{hint}metrics: {}", crate::sim::metrics::METRICS.join(", ")),
                    ));
                }
                let path = self.dir.join("timeseries.csv");
                let mut r = csv_reader(&path)?;
                // The year's last tick: rows come tick by tick, so the last row of the year wins.
                let mut found = false;
                let mut last_tick = vec![vec![-1i64; n]; self.lenses.len()];
                for rec in r.records() {
                    let rec = rec.map_err(|e| read_error(format!("{}: {e}", path.display()), "rerun the sweep"))?;
                    // point,lens,tick,date,year,community,metric,n,mean,...
                    if rec.get(4).and_then(|y| y.parse::<i64>().ok()) != Some(year)
                        || rec.get(5) != Some(metric.community.as_str())
                        || rec.get(6) != Some(metric.metric.as_str())
                    {
                        continue;
                    }
                    let (Some(p), Some(l), Some(tick)) = (
                        rec.get(0).and_then(|p| p.parse::<usize>().ok()).filter(|&p| p < n),
                        rec.get(1).and_then(lens_index),
                        rec.get(2).and_then(|t| t.parse::<i64>().ok()),
                    ) else {
                        return Err(read_error(
                            format!("{}: a row names an unknown point or lens", path.display()),
                            "rerun the sweep",
                        ));
                    };
                    found = true;
                    if tick > last_tick[l][p] {
                        last_tick[l][p] = tick;
                        let count = rec.get(7).and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
                        let mean = rec.get(8).and_then(|c| c.parse::<f64>().ok());
                        sums[l][p] = match mean {
                            Some(m) if count > 0 => (m * count as f64, count),
                            _ => (0.0, 0),
                        };
                    }
                }
                if !found {
                    let (a, b) = (
                        self.manifest["scenario"]["start"].as_str().unwrap_or("?"),
                        self.manifest["scenario"]["end"].as_str().unwrap_or("?"),
                    );
                    return Err(read_error(
                        format!("timeseries.csv has no year {year}"),
                        format!("the scenario runs from {a} to {b}"),
                    ));
                }
                self.runs_at(metric, n)?
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

    /// Per-run values of `metric` in its year from `runs_at.csv`, when the sweep wrote that year.
    fn runs_at(&self, metric: &MetricRef, n: usize) -> Result<Option<Vec<Vec<Vec<f64>>>>, ReadError> {
        let path = self.dir.join("runs_at.csv");
        if !path.exists() {
            return Ok(None);
        }
        let mut r = csv_reader(&path)?;
        let header = r
            .headers()
            .map_err(|e| read_error(format!("{}: {e}", path.display()), "rerun the sweep"))?
            .clone();
        let Some(j) = header.iter().position(|h| h == metric.column()) else {
            return Ok(None);
        };
        let year = metric.year.unwrap_or_default().to_string();
        let mut runs = vec![vec![Vec::new(); n]; self.lenses.len()];
        let mut any = false;
        for rec in r.records() {
            let rec = rec.map_err(|e| read_error(format!("{}: {e}", path.display()), "rerun the sweep"))?;
            if rec.get(3) != Some(year.as_str()) {
                continue;
            }
            let p = rec.get(0).and_then(|p| p.parse::<usize>().ok()).filter(|&p| p < n);
            let l = rec.get(1).and_then(|name| self.lenses.iter().position(|x| x == name));
            if let (Some(p), Some(l)) = (p, l) {
                any = true;
                runs[l][p].push(rec.get(j).and_then(|c| c.parse::<f64>().ok()).unwrap_or(f64::NAN));
            }
        }
        Ok(any.then_some(runs))
    }
}
