//! `comity sweep`: one scenario over a sample of parameter points.

use super::run::{progress_bar, resolve_lenses, threads_within_memory};
use super::{Failure, emit, emit_err};
use comity::design::{self, Design, DesignKind, Factor};
use comity::montecarlo::Config;
use comity::output::{self, AtomicFile, OutputError, RunWriters, TimeseriesWriter};
use comity::params::{self, Params, Vary};
use comity::results::{self, DesignInfo, FactorInfo, Manifest, ShardInfo};
use comity::scenario::{self, Scenario, limits};
use comity::shard::Shard;
use comity::sim::Prepared;
use comity::sweep::{self, SweepWriters};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Default replications per point when neither `--runs` nor `[sweep] runs` is given.
pub const DEFAULT_RUNS: u64 = 50;
/// Default grid levels per parameter without `:N`.
pub const DEFAULT_GRID_LEVELS: u32 = 5;
/// Default levels of the Morris grid (Morris 1991; Saltelli et al. 2008 use p = 4).
pub const DEFAULT_MORRIS_LEVELS: u32 = 4;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML). Its `[sweep]` table, if any, gives the defaults of every flag below.
    pub scenario: PathBuf,
    /// A parameter to vary: NAME=LO..HI, or NAME=LO..HI:N for N grid levels; repeatable.
    #[arg(long, value_name = "NAME=LO..HI[:N]", value_parser = Vary::parse)]
    pub vary: Vec<Vary>,
    /// Sample design: grid (full factorial), lhs (Latin hypercube), sobol (Saltelli scheme, for
    /// `comity sensitivity` indices) or morris (elementary-effect trajectories) [default: grid].
    #[arg(long, value_parser = ["grid", "lhs", "sobol", "morris"])]
    pub design: Option<String>,
    /// lhs: points; sobol: base samples N (N x (k + 2) points); morris: trajectories r
    /// (r x (k + 1) points) [defaults: 100, 128, 10].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub samples: Option<u64>,
    /// grid: levels of parameters without `:N` [default: 5]; morris: levels of its grid [default: 4].
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub levels: Option<u32>,
    /// Read the sample matrix from a CSV instead: a header of parameter names, one row per point.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["vary", "design", "samples", "levels"])]
    pub design_file: Option<PathBuf>,
    /// Replications per point [default: the scenario's [sweep] runs, else 50].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// Lens or comma-separated lenses, or `all` [default: [sweep] lens, else the scenario's lens].
    #[arg(long)]
    pub lens: Option<String>,
    /// Fix a parameter for every point (NAME=VALUE or LENS.NAME=VALUE); repeatable.
    #[arg(long = "set", value_name = "[LENS.]NAME=VALUE", value_parser = params::Override::parse)]
    pub set: Vec<params::Override>,
    /// Master seed of the runs and of the design [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 uses every core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output folder [default: output/<scenario name>-sweep].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace comity's files in a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// No progress bar, estimate or summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write runs_at.csv: every run's metrics at these years (for `sensitivity --where`).
    #[arg(long, value_delimiter = ',')]
    pub at_years: Vec<i64>,
    /// Also write disputes.csv, one row per simulated dispute (large for big sweeps).
    #[arg(long)]
    pub disputes: bool,
    /// Run only shard K of N (0-based): a contiguous block of the points, every lens and run,
    /// written to OUT/part-K-of-N for `comity merge` [default: from SLURM_ARRAY_TASK_ID in a
    /// Slurm array task]. See docs/cluster.md.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// The number of shards of a Kubernetes Indexed Job (the index: JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
    /// Go ahead with a very large job (over 10^7 runs, over a day, or more disk than is free).
    #[arg(long)]
    pub yes: bool,
}

fn usage(msg: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure::Usage(msg.into(), Some(hint.into()))
}

/// Reads a sample matrix: a header of parameter names, then one row of numbers per point
/// (a regular file of at most [`limits::MAX_CSV_BYTES`]).
pub fn read_design_file(path: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>), Failure> {
    let show = path.display();
    let bad = |msg: String| {
        usage(
            format!("{show}: {msg}"),
            "the design file is a CSV: a header of parameter names, then one row of numbers per point",
        )
    };
    // Read with a bound: a folder or a device is refused, and so is a file over the CSV limit.
    let text = limits::read_text(path, limits::MAX_CSV_BYTES).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err(bad("line 1: the header needs one parameter name per column".into()));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let row = record
            .iter()
            .zip(&names)
            .map(|(cell, name)| {
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(format!("line {line}, column `{name}`: `{cell}` is not a number")))
            })
            .collect::<Result<Vec<f64>, Failure>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(bad("it has a header but no points".into()));
    }
    Ok((names, rows))
}

/// Builds the design from the flags and the scenario's `[sweep]` table.
fn build_design(args: &Args, scenario: &Scenario, seed: u64) -> Result<Design, Failure> {
    let table = scenario.sweep.clone().unwrap_or_default();
    let file = args.design_file.clone().or(if args.vary.is_empty() {
        table.design_file.clone()
    } else {
        None
    });
    if let Some(path) = file {
        let (names, rows) = read_design_file(&path)?;
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(usage(
                    format!("{}: parameter `{name}` is named twice in the header", path.display()),
                    "keep one column per parameter",
                ));
            }
        }
        sweep::check_points(&names, &rows)
            .map_err(|e| usage(format!("{}: {e}", path.display()), "fix the design file"))?;
        let factors = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let column = rows.iter().map(|r| r[j]);
                let lo = column.clone().fold(f64::INFINITY, f64::min);
                let hi = column.fold(f64::NEG_INFINITY, f64::max);
                Factor {
                    name: name.clone(),
                    lo,
                    hi,
                    levels: None,
                }
            })
            .collect::<Vec<_>>();
        return design::from_rows(&factors, rows)
            .map_err(|e| usage(format!("{}: {e}", path.display()), "fix the design file"));
    }
    let vary = if args.vary.is_empty() {
        table.vary.clone()
    } else {
        args.vary.clone()
    };
    if vary.is_empty() {
        return Err(usage(
            "nothing to vary",
            "give one or more --vary NAME=LO..HI[:N] (e.g. --vary identity_decay=0.01..0.05), a [sweep] table with `vary`, or --design-file FILE",
        ));
    }
    for (i, v) in vary.iter().enumerate() {
        if vary[..i].iter().any(|w| w.name == v.name) {
            return Err(usage(
                format!("`{}` is varied twice", v.name),
                "give each parameter one --vary",
            ));
        }
    }
    let kind = args
        .design
        .clone()
        .or(table.design.clone())
        .unwrap_or_else(|| "grid".into());
    let samples = args.samples.or(table.samples);
    let levels = args.levels.or(table.levels);
    if kind != "grid"
        && let Some(v) = vary.iter().find(|v| v.levels.is_some())
    {
        return Err(usage(
            format!("`{}` gives grid levels (`:N`), but the design is {kind}", v.name),
            format!(
                "drop `:{}`; with --design {kind} the number of points comes from --samples",
                v.levels.unwrap_or(0)
            ),
        ));
    }
    if kind == "grid" && samples.is_some() {
        return Err(usage(
            "--samples does not apply to a grid",
            "a grid's size is the product of its levels: give `:N` per parameter or --levels N",
        ));
    }
    let factors: Vec<Factor> = vary
        .iter()
        .map(|v| Factor {
            name: v.name.clone(),
            lo: v.lo,
            hi: v.hi,
            levels: v.levels,
        })
        .collect();
    let as_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let made = match kind.as_str() {
        "grid" => design::grid(&factors, levels.unwrap_or(DEFAULT_GRID_LEVELS)),
        "lhs" => design::lhs(&factors, as_usize(samples.unwrap_or(100)), seed),
        "sobol" => design::saltelli(&factors, as_usize(samples.unwrap_or(128)), seed),
        "morris" => design::morris(
            &factors,
            as_usize(samples.unwrap_or(10)),
            levels.unwrap_or(DEFAULT_MORRIS_LEVELS),
            seed,
        ),
        other => unreachable!("clap and the scenario loader accept only known designs, not `{other}`"),
    };
    made.map_err(|e| {
        usage(
            format!("cannot build the {kind} design: {e}"),
            "see docs/experiments.md for each design's inputs",
        )
    })
}

/// Writes `points.csv`: one row per (point, lens) with the varied values.
fn write_points(dir: &Path, design: &Design, lenses: &[(String, Params)]) -> Result<(), OutputError> {
    let path = dir.join(results::POINTS);
    let io = |e: csv::Error| OutputError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    };
    let mut w = csv::Writer::from_writer(AtomicFile::create(&path)?);
    let mut header: Vec<String> = results::POINTS_KEY.iter().map(|c| c.to_string()).collect();
    header.extend(design.factors.iter().map(|f| f.name.clone()));
    w.write_record(&header).map_err(io)?;
    for (lens, _) in lenses {
        for (p, row) in design.points.iter().enumerate() {
            let mut rec = vec![p.to_string(), lens.clone()];
            rec.extend(row.iter().map(|&v| output::num(Some(v))));
            w.write_record(&rec).map_err(io)?;
        }
    }
    output::commit_csv(w, &path)
}

/// `output/<name>-sweep`, named as `comity run` names its folder.
fn default_out(scenario: &Path) -> PathBuf {
    let run = super::run::default_out(scenario);
    let name = run
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    run.with_file_name(format!("{name}-sweep"))
}

pub fn run(args: Args) -> Result<(), Failure> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let scenario = scenario::load(&args.scenario)?;
    let table = scenario.sweep.clone().unwrap_or_default();
    let lens_arg = args.lens.clone().or(table.lens.clone());
    let lenses = resolve_lenses(lens_arg.as_deref(), &scenario, &args.set)?;
    let runs = args.runs.or(table.runs).unwrap_or(DEFAULT_RUNS);
    let seed = args.seed.unwrap_or(scenario.seed);
    let design = build_design(&args, &scenario, seed)?;
    let names: Vec<String> = design.factors.iter().map(|f| f.name.clone()).collect();
    if let Some(o) = args.set.iter().find(|o| names.contains(&o.name)) {
        return Err(usage(
            format!("`{}` is both set (--set) and varied", o.name),
            "drop one: a varied parameter takes its values from the design",
        ));
    }
    sweep::check_points(&names, &design.points)
        .map_err(|e| usage(e, "keep the design inside each parameter's range"))?;
    let (first, last) = (scenario.calendar.start.year(), scenario.calendar.end.year());
    if let Some(y) = args.at_years.iter().find(|y| !(first..=last).contains(*y)) {
        return Err(usage(
            format!("--at-years {y} is outside the scenario's {first}-{last}"),
            format!("give years between {first} and {last}"),
        ));
    }
    let n_points = design.points.len() as u64;
    let shard = Shard::resolve(args.shard, args.shards, &|k| std::env::var(k).ok()).map_err(|e| {
        usage(
            e,
            "--shard K/N runs shard K of N (0-based); docs/cluster.md shows Slurm and Kubernetes",
        )
    })?;
    let range = shard.map_or(0..n_points, |(s, _)| s.range(n_points));
    let total = (range.end - range.start)
        .checked_mul(runs)
        .and_then(|x| x.checked_mul(lenses.len() as u64))
        .ok_or_else(|| usage("the sweep is too large to count", "use fewer points or runs"))?;
    let base_out = args.out.clone().unwrap_or_else(|| default_out(&args.scenario));
    let out = match shard {
        Some((s, _)) => base_out.join(s.folder_name()),
        None => base_out,
    };
    // A sweep holds one point's aggregate at a time, two where a chunk of runs spans points.
    let threads_arg = threads_within_memory(&args.scenario, &scenario, args.threads, 2, runs, 0, args.quiet)?;
    let scenario = Arc::new(scenario);
    let prepared = Prepared::new(scenario.clone());
    let threads = if threads_arg == 0 {
        rayon::current_num_threads()
    } else {
        threads_arg
    };
    let config = Config {
        runs,
        seed,
        threads: threads_arg,
        record_disputes: args.disputes,
        dyad_year_runs: 0,
        scratch: Some(out.clone()),
    };
    // Before the folder is touched: a job too large for this machine needs --yes. The estimate
    // times a pilot run at the base parameters (not part of the results) when it matters.
    let estimate = super::run::estimate_job(
        &prepared,
        &lenses[0].1,
        &config,
        0,
        total,
        0,
        args.at_years.len() as u64,
        (range.end - range.start) * lenses.len() as u64,
        0,
    );
    super::run::check_job(&estimate, &out, args.yes, true)?;
    // Held until the manifest is written; the folder is checked and cleared under it.
    let lock = output::claim_dir(&out, args.force)?;
    super::run::announce(&lock, shard, &format!("points {range:?}"), &out, args.quiet);
    if !args.quiet {
        let per_run = if estimate.seconds > 0.0 {
            estimate.seconds * threads as f64 / total as f64
        } else {
            // Too small a job for the estimate's pilot: one run, timed here.
            let pilot = Instant::now();
            prepared.run(&lenses[0].1, seed, 0, false);
            pilot.elapsed().as_secs_f64()
        };
        emit_err(&format!(
            "sweep: {} design, {} points x {runs} runs x {} lens(es) = {total} runs; about {} on {threads} thread(s) ({:.2} ms per run), {} of disk\n",
            design.kind.name(),
            range.end - range.start,
            lenses.len(),
            limits::duration(per_run * total as f64 / threads as f64),
            per_run * 1000.0,
            limits::bytes(estimate.disk)
        ));
    }
    write_points(&out, &design, &lenses)?;
    let bar = progress_bar(total, args.quiet);
    let mut writers = SweepWriters {
        runs: RunWriters::create_for(&out, &prepared, args.disputes, &args.at_years, true)?,
        timeseries: TimeseriesWriter::create(&out, true)?,
    };
    let finished = sweep::run_points(
        &prepared,
        &lenses,
        &names,
        &design.points,
        range.start as usize..range.end as usize,
        &config,
        &mut writers,
        &|done| bar.set_position(done),
        Some(super::stop_flag()),
    )?;
    bar.finish_and_clear();
    if !finished {
        drop(lock);
        return Err(Failure::Interrupted(format!(
            "interrupted: a sweep cannot be resumed; rerun it with --force (or split it with --shard, docs/cluster.md); {} holds its partial files",
            out.display()
        )));
    }
    writers.runs.finish()?;
    writers.timeseries.finish()?;

    let mut files = vec![results::POINTS, results::TIMESERIES, results::RUNS];
    if args.disputes {
        files.push(results::DISPUTES);
    }
    if !args.at_years.is_empty() {
        files.push(results::RUNS_AT);
    }
    files.push(results::MANIFEST);
    let manifest = Manifest {
        kind: Some("sweep".into()),
        design: Some(DesignInfo {
            kind: design.kind.name().into(),
            factors: design
                .factors
                .iter()
                .map(|f| FactorInfo {
                    name: f.name.clone(),
                    lo: f.lo,
                    hi: f.hi,
                    levels: f.levels,
                })
                .collect(),
            samples: Some(design.samples as u64),
            levels: (design.kind == DesignKind::Morris).then_some(design.morris_levels),
            seed: design.seed,
            points: n_points,
            sha256: design.hash(),
            file: args
                .design_file
                .as_ref()
                .or(table.design_file.as_ref())
                .filter(|_| design.kind == DesignKind::File)
                .map(|p| p.display().to_string()),
        }),
        shard: shard.map(|(s, _)| ShardInfo {
            index: s.index,
            count: s.count,
            runs: None,
            points: Some([range.start, range.end]),
        }),
        at_years: shard.is_some().then(|| args.at_years.clone()),
        ..Manifest::of_job(results::Job {
            scenario_path: &args.scenario,
            scenario: &scenario,
            prepared: &prepared,
            seed,
            runs,
            lenses: &lenses,
            overrides: &args.set,
            threads,
            files: &files,
            started_at: output::utc_timestamp(started),
            finished_at: output::utc_timestamp(SystemTime::now()),
            wall_seconds: (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        })
    };
    output::write_manifest(&out, &manifest.to_json())?;
    drop(lock);
    if !args.quiet {
        emit(&format!(
            "{}: {} design, {n_points} points x {runs} runs x {} lens(es) in {:.1} s -> {}\nfiles: points.csv, runs.csv, timeseries.csv{}, manifest.json; next: comity sensitivity {} --metric COMMUNITY.METRIC[@YEAR]\n",
            scenario.name,
            design.kind.name(),
            lenses.len(),
            clock.elapsed().as_secs_f64(),
            out.display(),
            if args.at_years.is_empty() { "" } else { ", runs_at.csv" },
            out.display(),
        ));
    }
    Ok(())
}
