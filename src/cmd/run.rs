//! `comity run`: the main job.

use super::{Failure, emit, emit_err};
use comity::checkpoint::{self, Checkpoint, Checkpointer};
use comity::montecarlo::{self, Config, Outcome, Span};
use comity::output::{self, RunWriters};
use comity::params::{self, Params};
use comity::results::{self, Manifest, ShardInfo};
use comity::scenario::{self, Scenario, limits};
use comity::shard::{Shard, ShardSource};
use comity::sim::Prepared;
use comity::sim::metrics::{M_COHESION, METRICS};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Write;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML), e.g. scenarios/western_community.toml.
    pub scenario: PathBuf,
    /// Number of Monte Carlo runs per lens [default: the scenario's `runs`, else 1000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// Master seed [default: the scenario's `seed`, else 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 uses every core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output folder [default: output/<scenario file stem>, or output/<folder> for FOLDER/scenario.toml].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace comity's files in a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write disputes.csv, one row per simulated dispute.
    #[arg(long)]
    pub disputes: bool,
    /// Also write dyad_years.csv: one row per (lens, run, year, pair of states) of the first
    /// runs of each lens (--dyad-years-runs), in the peace-science dyad-year convention, to fit
    /// a model of dispute onset (columns: docs/outputs.md).
    #[arg(long)]
    pub dyad_years: bool,
    /// With --dyad-years: write runs 0..N of each lens [default: 10]. 0 is refused; more than
    /// --runs writes every run (a note says so).
    #[arg(long, value_name = "N", requires = "dyad_years", value_parser = clap::value_parser!(u64).range(1..))]
    pub dyad_years_runs: Option<u64>,
    /// Also write runs_at.csv: every run's metrics at these years (e.g. 2020,2030), so that
    /// `comity compare --at` can pair runs there.
    #[arg(long, value_delimiter = ',')]
    pub at_years: Vec<i64>,
    /// Lens or comma-separated lenses (realist, liberal, constructivist, or the scenario's own), or `all` [default: the scenario's `lens`, else constructivist].
    #[arg(long)]
    pub lens: Option<String>,
    /// Set a parameter for every lens run (NAME=VALUE), or for one (LENS.NAME=VALUE); repeatable.
    /// Applied after the lens and the scenario's [parameters]; recorded in the manifest.
    #[arg(long = "set", value_name = "[LENS.]NAME=VALUE", value_parser = params::Override::parse)]
    pub set: Vec<params::Override>,
    /// Run only shard K of N (0-based): a contiguous block of the run indices, written to the
    /// part folder OUT/part-K-of-N for `comity merge` [default: from SLURM_ARRAY_TASK_ID in a
    /// Slurm array task]. See docs/cluster.md.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// The number of shards of a Kubernetes Indexed Job: this task's index comes from
    /// JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
    /// Finish an interrupted run in OUT from its checkpoint (same scenario, seed and flags).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Write no checkpoint (the run cannot be resumed; saves the disk the checkpoint takes).
    #[arg(long)]
    pub no_checkpoint: bool,
    /// Go ahead with a very large job (over 10^7 runs, over a day, or more disk than is free).
    #[arg(long)]
    pub yes: bool,
    /// Pairs of interest, e.g. USA-GMY,USA-CAN: their trust both ways, identity, trade, alliance
    /// and disputes go to pairs.csv (and runs.csv) [default: the scenario's `pairs`].
    #[arg(long, value_delimiter = ',', value_name = "A-B,...")]
    pub pairs: Vec<String>,
}

/// The lenses to run with their parameters: the scenario's lens (or `--lens`), then `--set`.
pub fn resolve_lenses(
    arg: Option<&str>,
    scenario: &Scenario,
    set: &[params::Override],
) -> Result<Vec<(String, Params)>, Failure> {
    let known = scenario.known_lenses();
    let names: Vec<String> = match arg {
        None => scenario.lenses.clone(),
        Some("all") => params::THEORY_LENSES
            .iter()
            .map(|s| s.to_string())
            .chain(scenario.custom_lenses.iter().map(|c| c.name.clone()))
            .collect(),
        Some(list) => list
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    if names.is_empty() {
        return Err(Failure::Usage(
            "--lens needs at least one lens name".into(),
            Some(format!("available: {} (or `all`)", known.join(", "))),
        ));
    }
    let mut out: Vec<(String, Params)> = Vec::new();
    for name in names {
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let params = scenario.params_for(&name).ok_or_else(|| {
            let hint = match comity::suggest::closest(&name, known.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`? available lenses: {} (or `all`)", known.join(", ")),
                None => format!("available lenses: {} (or `all`)", known.join(", ")),
            };
            Failure::Usage(format!("unknown lens `{name}`"), Some(hint))
        })?;
        out.push((name, params));
    }
    for o in set {
        if let Some(lens) = &o.lens
            && !out.iter().any(|(n, _)| n == lens)
        {
            let running: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Failure::Usage(
                format!(
                    "--set {lens}.{}={}: lens `{lens}` is not part of this run",
                    o.name, o.value
                ),
                Some(format!(
                    "this run's lenses: {}; add it with --lens, or drop the `{lens}.` prefix to set it for every lens",
                    running.join(", ")
                )),
            ));
        }
        for (name, p) in out.iter_mut() {
            if o.applies_to(name) {
                p.set(&o.name, o.value).expect("--set values were checked when parsed");
            }
        }
    }
    Ok(out)
}

pub fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "run".into());
    // A scenario kept as a folder (`world_1990/scenario.toml`) is named after its folder.
    let folder = scenario
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().to_string());
    let name = match folder {
        Some(f) if stem == "scenario" => f,
        _ => stem,
    };
    Path::new("output").join(name)
}

/// Panels kept for a checkpoint above this many bytes are not written: the run cannot be
/// resumed (a note says so) and `--shard` is the way to split it.
pub const CHECKPOINT_MAX_BYTES: u64 = 4 << 30;

/// Tests of resume set this to stop a run as Ctrl-C would, once that many runs are done.
pub const STOP_AFTER_VAR: &str = "COMITY_TEST_STOP_AFTER_RUNS";

pub fn run(args: Args) -> Result<(), Failure> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut scenario = scenario::load(&args.scenario)?;
    apply_pairs(&mut scenario, &args.pairs)?;
    let lenses = resolve_lenses(args.lens.as_deref(), &scenario, &args.set)?;
    let runs = args.runs.unwrap_or(scenario.runs);
    let seed = args.seed.unwrap_or(scenario.seed);
    let shard = Shard::resolve(args.shard, args.shards, &|k| std::env::var(k).ok()).map_err(|e| {
        Failure::Usage(
            e,
            Some("--shard K/N runs shard K of N (0-based); docs/cluster.md shows Slurm and Kubernetes".into()),
        )
    })?;
    let base_out = args.out.clone().unwrap_or_else(|| default_out(&args.scenario));
    let out = match shard {
        Some((s, _)) => base_out.join(s.folder_name()),
        None => base_out,
    };
    let (first, last) = (scenario.calendar.start.year(), scenario.calendar.end.year());
    if let Some(y) = args.at_years.iter().find(|y| !(first..=last).contains(*y)) {
        return Err(Failure::Usage(
            format!("--at-years {y} is outside the scenario's {first}-{last}"),
            Some(format!("give years between {first} and {last}")),
        ));
    }
    // A shard's part folds nothing: it keeps each run's panel for `comity merge`.
    let aggregates_held = if shard.is_some() { 0 } else { lenses.len() };
    let dyad_year_runs = dyad_year_runs(&args, runs);
    let years = (last - first + 1).max(1) as u64;
    let dyad_year_bytes = comity::sim::dyadyears::run_bytes(scenario.n_states(), years);
    let threads = threads_within_memory(
        &args.scenario,
        &scenario,
        args.threads,
        aggregates_held,
        runs,
        // The pipeline holds three chunks of 4 runs per thread (`montecarlo::chunk_runs`): at
        // most 12 recording runs each.
        dyad_year_bytes.saturating_mul(dyad_year_runs.min(12)),
        args.quiet,
    )?;
    let scenario = Arc::new(scenario);
    let prepared = Prepared::new(scenario.clone());
    let config = Config {
        runs,
        seed,
        threads,
        record_disputes: args.disputes,
        dyad_year_runs,
        scratch: Some(out.clone()),
    };
    let record = comity::sim::Record {
        disputes: args.disputes,
        dyad_years: args.dyad_years,
    };
    let span_runs = shard.map_or(0..runs, |(s, _)| s.range(runs));
    let span_len = span_runs.end - span_runs.start;
    let total = span_len.saturating_mul(lenses.len() as u64);
    let mut identity = serde_json::json!({
        "comity_version": env!("CARGO_PKG_VERSION"),
        "scenario_sha256": scenario.sources.iter().map(|d| d.sha256.clone()).collect::<Vec<_>>(),
        "seed": seed,
        "runs": runs,
        "lenses": lenses.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        "parameters": results::parameters_info(&lenses),
        "disputes": args.disputes,
        "at_years": args.at_years,
        "pairs": scenario.pairs.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "shard": shard.map(|(s, _)| s),
    });
    // Only with --dyad-years, so that a checkpoint written before the flag existed still resumes.
    if args.dyad_years {
        identity["dyad_year_runs"] = dyad_year_runs.into();
    }
    let panel_bytes = comity::shard::panel_record_bytes(montecarlo::cells(&prepared)).saturating_mul(total);
    // A shard's part always keeps its panels: they are what `comity merge` folds.
    let keep_panels = shard.is_some() || (!args.no_checkpoint && panel_bytes <= CHECKPOINT_MAX_BYTES);
    if shard.is_none() && !keep_panels && !args.no_checkpoint && !args.quiet {
        emit_err(&format!(
            "note: no checkpoint: it would take {} of disk; this run cannot be resumed if stopped (split it with --shard instead, docs/cluster.md)\n",
            limits::bytes(panel_bytes)
        ));
    }
    let estimate = if args.resume {
        limits::JobEstimate::new(total, 0.0, 1, 0, 0, 0.0, 0, 0)
    } else {
        estimate_job(
            &prepared,
            &lenses[0].1,
            &config,
            span_runs.start,
            total,
            if keep_panels { panel_bytes / total.max(1) } else { 0 },
            args.at_years.len() as u64,
            if shard.is_none() { lenses.len() as u64 } else { 0 },
            // dyad_years.csv: about 200 bytes a row.
            (dyad_year_runs.min(span_runs.end).saturating_sub(span_runs.start) * lenses.len() as u64)
                .saturating_mul(years * dyad_pairs(&scenario) * 200),
        )
    };
    if !args.resume {
        check_job(&estimate, &out, args.yes, args.quiet)?;
    }
    // Held until the manifest is written; the folder is checked and cleared under it.
    let lock = if args.resume {
        output::lock_dir(&out)?
    } else {
        output::claim_dir(&out, args.force)?
    };
    announce(
        &lock,
        shard,
        &format!(
            "runs {:?} of each lens",
            shard.map(|(s, _)| s.range(runs)).unwrap_or_default()
        ),
        &out,
        args.quiet,
    );

    let (writers, aggregates, from, done) = if args.resume {
        let cp = Checkpoint::read(&out)
            .map_err(|e| Failure::Data(e, None))?
            .ok_or_else(|| {
                let finished = out.join(results::MANIFEST).is_file();
                Failure::Data(
                    format!("nothing to resume in {}: it holds no checkpoint", out.display()),
                    Some(if finished {
                        "the run there has finished; its files are complete".into()
                    } else {
                        "run without --resume (with --force to start over in this folder)".into()
                    }),
                )
            })?;
        if let Some((key, then, now)) = cp.differs(&identity) {
            return Err(Failure::Usage(
                format!("--resume: `{key}` differs from the interrupted run's: {then} then, {now} now"),
                Some(format!(
                    "resume with the interrupted run's command: {}; or start over with --force",
                    cp.resume_command()
                )),
            ));
        }
        let writers = RunWriters::resume(&out, &prepared, record, &args.at_years, &cp.lengths)?;
        let aggregates = if shard.is_some() {
            None
        } else {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Failure::Data(e.to_string(), None))?;
            let method = montecarlo::quantile_method(&prepared, runs);
            let cells = montecarlo::cells(&prepared);
            let names: Vec<String> = lenses.iter().map(|(n, _)| n.clone()).collect();
            let make = |lens: &str| montecarlo::LensAggregate::new(lens, method, runs, cells, Some(&out));
            Some(checkpoint::refold(&out, &cp, &names, &make, &pool).map_err(|e| Failure::Data(e, None))?)
        };
        (writers, aggregates, (cp.lens, cp.next_run), cp.done)
    } else {
        let writers = if keep_panels {
            RunWriters::create_with_panels(&out, &prepared, record, &args.at_years)?
        } else {
            RunWriters::create(&out, &prepared, record, &args.at_years)?
        };
        (writers, shard.is_none().then(Vec::new), (0, span_runs.start), 0)
    };
    let base = Checkpoint {
        version: Checkpoint::VERSION,
        command: std::env::args().map(|w| checkpoint::shell_word(&w)).collect(),
        identity,
        lens: from.0,
        next_run: from.1,
        done,
        total,
        lengths: Default::default(),
    };
    let mut sink = Checkpointer::new(
        writers,
        &out,
        base,
        span_runs.clone(),
        lenses.len(),
        (from.0, from.1, done),
    );
    if !keep_panels {
        sink = sink.never();
    }
    let span = Span { runs: span_runs, from };
    let bar = progress_bar(total, args.quiet);
    bar.set_position(done);
    let stop = super::stop_flag();
    // For tests of resume: behave as if Ctrl-C came once this many runs are done.
    let stop_after: Option<u64> = std::env::var(STOP_AFTER_VAR).ok().and_then(|v| v.parse().ok());
    let outcome = montecarlo::run_span(
        &prepared,
        &lenses,
        &config,
        &span,
        aggregates,
        &mut sink,
        &|n| {
            bar.set_position(n);
            if stop_after.is_some_and(|k| n >= k) {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        },
        Some(stop),
        comity::stats::EXACT_BUDGET_BYTES,
    )
    .map_err(|source| output::OutputError::Io {
        path: out.clone(),
        source,
    })?;
    bar.finish_and_clear();
    let aggregates = match outcome {
        Outcome::Stopped { .. } => {
            sink.commit()?;
            let done = sink.done();
            let how = if sink.enabled() {
                let cp = Checkpoint::read(&out).ok().flatten();
                format!("resume with: {}", cp.map(|c| c.resume_command()).unwrap_or_default())
            } else {
                "this run kept no checkpoint: rerun it with --force".to_string()
            };
            drop(lock);
            return Err(Failure::Interrupted(format!(
                "interrupted after {done} of {total} runs; {} holds what is done\n  {how}",
                out.display()
            )));
        }
        Outcome::Finished(aggregates) => aggregates,
    };
    sink.writers.finish_keeping_panels(shard.is_some())?;
    if shard.is_none() {
        output::write_timeseries(&out, &scenario, &aggregates)?;
        output::write_pairs(&out, &prepared, &aggregates)?;
    }

    let threads = if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    };
    let mut files = if shard.is_some() {
        vec![results::RUNS, results::PANELS]
    } else if scenario.pairs.is_empty() {
        vec![results::TIMESERIES, results::RUNS]
    } else {
        vec![results::TIMESERIES, results::PAIRS, results::RUNS]
    };
    if args.disputes {
        files.push(results::DISPUTES);
    }
    if !args.at_years.is_empty() {
        files.push(results::RUNS_AT);
    }
    if args.dyad_years {
        files.push(results::DYAD_YEARS);
    }
    files.push(results::MANIFEST);
    let manifest = Manifest {
        pairs: scenario.pairs.iter().map(|p| p.name.clone()).collect(),
        shard: shard.map(|(s, _)| {
            let r = s.range(runs);
            ShardInfo {
                index: s.index,
                count: s.count,
                runs: Some([r.start, r.end]),
                points: None,
            }
        }),
        at_years: shard.is_some().then(|| args.at_years.clone()),
        resumed: args.resume.then_some(true),
        dyad_year_runs: args.dyad_years.then_some(dyad_year_runs),
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
    Checkpoint::remove(&out)?;
    drop(lock);

    if !args.quiet {
        if let Some((s, _)) = shard {
            emit(&format!(
                "{}: shard {}/{}, {span_len} runs x {} lens(es) in {:.1} s -> {}\nmerge the parts with: comity merge {} --out DIR\n",
                scenario.name,
                s.index,
                s.count,
                lenses.len(),
                clock.elapsed().as_secs_f64(),
                out.display(),
                out.parent()
                    .map_or(out.display().to_string(), |p| p.display().to_string()),
            ));
        } else {
            print_summary(
                &scenario,
                &aggregates,
                &out,
                runs,
                clock.elapsed().as_secs_f64(),
                &manifest.files,
            );
        }
    }
    Ok(())
}

/// The runs of each lens whose dyad-years are written: `--dyad-years-runs` (10 by default)
/// clamped to `runs`, with a note when the clamp cuts a number given; 0 without `--dyad-years`.
fn dyad_year_runs(args: &Args, runs: u64) -> u64 {
    if !args.dyad_years {
        return 0;
    }
    let asked = args.dyad_years_runs.unwrap_or(DYAD_YEAR_RUNS);
    if asked > runs && args.dyad_years_runs.is_some() && !args.quiet {
        emit_err(&format!(
            "note: --dyad-years-runs {asked} is more than the {runs} runs: dyad_years.csv holds every run\n"
        ));
    }
    asked.min(runs)
}

/// The non-directed pairs of a scenario's states.
fn dyad_pairs(scenario: &Scenario) -> u64 {
    let n = scenario.n_states() as u64;
    n * n.saturating_sub(1) / 2
}

/// `--dyad-years-runs` when not given.
pub const DYAD_YEAR_RUNS: u64 = 10;

/// Estimates a job of `total` runs before it starts: a pilot run (run `first` of the first
/// lens, not part of the results) times one run when the job is large enough for its time to
/// matter (at least 50 runs per thread), and counts its disputes.
/// `panel_bytes`: checkpoint bytes per run; `at_years`: years in `runs_at.csv`;
/// `timeseries_lenses`: lenses summarised in `timeseries.csv`; `dyad_year_bytes`: the size of
/// `dyad_years.csv`.
#[allow(clippy::too_many_arguments)]
pub fn estimate_job(
    prepared: &Prepared,
    params: &Params,
    config: &Config,
    first: u64,
    total: u64,
    panel_bytes: u64,
    at_years: u64,
    timeseries_lenses: u64,
    dyad_year_bytes: u64,
) -> limits::JobEstimate {
    let threads = if config.threads == 0 {
        rayon::current_num_threads()
    } else {
        config.threads
    };
    let (per_run, disputes) = if total >= 50 * threads as u64 {
        let clock = Instant::now();
        let r = prepared.run(params, config.seed, first, config.record_disputes);
        (clock.elapsed().as_secs_f64(), r.disputes.len() as f64)
    } else {
        (0.0, 0.0)
    };
    let cells = montecarlo::cells(prepared) as u64;
    let per_tick = cells / u64::from(prepared.scenario.calendar.n_ticks()).max(1);
    let mut estimate = limits::JobEstimate::new(
        total,
        per_run,
        threads,
        montecarlo::run_columns(prepared).len() as u64 + 2,
        at_years * (per_tick + 3),
        disputes,
        panel_bytes,
        // timeseries.csv: about 90 bytes a row; then dyad_years.csv; then, while a lens's
        // exact values outgrow memory, their scratch file (one lens at a time).
        (timeseries_lenses * cells * 90)
            .saturating_add(dyad_year_bytes)
            .saturating_add(if timeseries_lenses > 0 {
                comity::spill::scratch_bytes(config.runs, cells as usize)
            } else {
                0
            }),
    );
    // dyad_years.csv is written on one thread, about 1 s per million rows of 200 bytes
    // (docs/outputs.md).
    estimate.seconds += dyad_year_bytes as f64 / 200.0 * 1e-6;
    estimate
}

/// Refuses a job that needs `--yes` ([`limits::JobEstimate::needs_yes`]) unless `yes`; prints
/// the estimate of a job of more than a minute unless `quiet`.
pub fn check_job(estimate: &limits::JobEstimate, out: &Path, yes: bool, quiet: bool) -> Result<(), Failure> {
    if !yes && let Some(why) = estimate.needs_yes(limits::free_disk(out)) {
        return Err(Failure::Data(
            format!("this job is very large: {why} ({})", estimate.describe()),
            Some(
                "check --runs and the scenario's size; pass --yes to go ahead anyway, or split the job over machines with --shard K/N (docs/cluster.md)"
                    .into(),
            ),
        ));
    }
    if !quiet && estimate.seconds > 60.0 {
        emit_err(&format!("estimate: {} runs, {}\n", estimate.runs, estimate.describe()));
    }
    Ok(())
}

/// `--pairs`: replaces the scenario's pairs of interest when given.
pub fn apply_pairs(scenario: &mut Scenario, pairs: &[String]) -> Result<(), Failure> {
    let pairs: Vec<&String> = pairs.iter().filter(|p| !p.trim().is_empty()).collect();
    if pairs.is_empty() {
        return Ok(());
    }
    let mut out: Vec<scenario::PairSpec> = Vec::new();
    for p in pairs {
        let pair = scenario.parse_pair(p).map_err(|e| {
            Failure::Usage(
                format!("--pairs: {e}"),
                Some("write pairs as two state ids joined by `-`, comma-separated: --pairs USA-GMY,USA-CAN".into()),
            )
        })?;
        if !out.iter().any(|q| q.name == pair.name) {
            out.push(pair);
        }
    }
    scenario.pairs = out;
    Ok(())
}

/// Says on stderr what a job should know once it holds its folder: that the folder cannot be
/// locked (`lock.warning`), and, unless `quiet`, the shard the environment gave it (`block`: what
/// the shard runs).
pub fn announce(lock: &output::DirLock, shard: Option<(Shard, ShardSource)>, block: &str, out: &Path, quiet: bool) {
    if let Some(w) = &lock.warning {
        emit_err(&format!("warning: {w}\n"));
    }
    if let Some((s, source)) = shard
        && source != ShardSource::Flag
        && !quiet
    {
        emit_err(&format!(
            "shard {}/{} (from {}): {block} -> {}\n",
            s.index,
            s.count,
            source.describe(),
            out.display()
        ));
    }
}

/// The worker threads to run with: `requested` (0: every core) when the estimate of memory
/// ([`comity::scenario::limits`]) fits this machine's bound. With 0 asked, fewer threads when
/// that makes it fit (said on stderr unless `quiet`); with a count asked, a usage error naming
/// the count that fits; when one thread does not fit, a scenario error. `aggregates`: the lens
/// aggregates held at once, each folding `runs` runs; `held_per_thread`: bytes of finished runs'
/// records (dyad-years) held per thread on top of the estimate.
pub fn threads_within_memory(
    path: &Path,
    scenario: &Scenario,
    requested: usize,
    aggregates: usize,
    runs: u64,
    held_per_thread: u64,
    quiet: bool,
) -> Result<usize, Failure> {
    let mut estimate = scenario.memory(aggregates, runs);
    estimate.per_thread = estimate.per_thread.saturating_add(held_per_thread);
    let threads = if requested == 0 {
        rayon::current_num_threads()
    } else {
        requested
    };
    let bound = limits::memory_bound();
    if estimate.total(threads) <= bound.bytes {
        return Ok(requested);
    }
    let fit = estimate.threads_within(bound.bytes);
    let need = |t: usize| {
        format!(
            "about {} on {t} thread(s) ({})",
            limits::bytes(estimate.total(t)),
            estimate.describe()
        )
    };
    let may_use = format!("the {} comity may use ({})", limits::bytes(bound.bytes), bound.source);
    if fit == 0 {
        return Err(Failure::Data(
            format!(
                "{}: the run is too large for this machine: it needs {}, more than {may_use}",
                path.display(),
                need(1)
            ),
            Some(format!(
                "run fewer lenses at once, model fewer states or a shorter period, or use a machine with more memory; {} sets the bound (docs/reliability.md)",
                limits::MEMORY_LIMIT_VAR
            )),
        ));
    }
    if requested == 0 {
        if !quiet {
            emit_err(&format!(
                "note: running on {fit} of {threads} threads: every core would need {}, more than {may_use}\n",
                need(threads)
            ));
        }
        return Ok(fit);
    }
    Err(Failure::Usage(
        format!("--threads {requested} needs {}, more than {may_use}", need(requested)),
        Some(format!(
            "--threads {fit} fits (results do not depend on the thread count); {} sets the bound",
            limits::MEMORY_LIMIT_VAR
        )),
    ))
}

/// A progress bar on stderr, hidden when quiet or not a terminal.
pub fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs  {rate}  ETA {eta}")
            .expect("static template")
            // Whole runs per second: indicatif's {per_sec} prints "1,243.8395/s".
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} runs/s", state.per_sec());
                },
            ),
    );
    bar
}

/// `files`: the files written, as the manifest lists them.
fn print_summary(
    s: &Scenario,
    aggregates: &[montecarlo::LensAggregate],
    out: &Path,
    runs: u64,
    secs: f64,
    files: &[String],
) {
    let mut text = String::new();
    let w = &mut text;
    let lenses = aggregates.len();
    writeln!(
        w,
        "{}: {runs} runs x {lenses} lens(es) in {secs:.1} s -> {}",
        s.name,
        out.display()
    )
    .ok();
    let last = s.calendar.n_ticks() - 1;
    let slots = 1 + s.communities.len();
    let mut names = vec!["system".to_string()];
    names.extend(s.communities.iter().map(|c| c.id.clone()));
    let (first_label, last_label) = (s.calendar.label(0), s.calendar.label(last));
    writeln!(
        w,
        "cohesion (mean trust among members): mean at {first_label} -> mean at {last_label} [p05, p95]:"
    )
    .ok();
    for agg in aggregates {
        for (slot, name) in names.iter().enumerate() {
            let start = &agg.cells[slot * METRICS.len() + M_COHESION];
            let end = &agg.cells[(last as usize * slots + slot) * METRICS.len() + M_COHESION];
            let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
            let (lens, a, b) = (&agg.lens, f(start.mean()), f(end.mean()));
            let (lo, hi) = (f(end.quantile(0.05)), f(end.quantile(0.95)));
            writeln!(w, "  {lens:<16} {name:<10} {a} -> {b} [{lo}, {hi}]").ok();
        }
    }
    writeln!(w, "files: {} (columns: docs/outputs.md)", files.join(", ")).ok();
    emit(&text);
}
