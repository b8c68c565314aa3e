//! `comity run`: the main job.

use super::{Failure, emit, emit_err};
use comity::montecarlo::{self, Config};
use comity::output::{self, RunWriters};
use comity::params::{self, Params};
use comity::scenario::{self, Scenario, limits};
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

pub fn run(args: Args) -> Result<(), Failure> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let scenario = scenario::load(&args.scenario)?;
    let lenses = resolve_lenses(args.lens.as_deref(), &scenario, &args.set)?;
    let runs = args.runs.unwrap_or(scenario.runs);
    let seed = args.seed.unwrap_or(scenario.seed);
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.scenario));
    let (first, last) = (scenario.calendar.start.year(), scenario.calendar.end.year());
    if let Some(y) = args.at_years.iter().find(|y| !(first..=last).contains(*y)) {
        return Err(Failure::Usage(
            format!("--at-years {y} is outside the scenario's {first}-{last}"),
            Some(format!("give years between {first} and {last}")),
        ));
    }
    let threads = threads_within_memory(&args.scenario, &scenario, args.threads, lenses.len(), runs, args.quiet)?;
    // Held until the manifest is written; the folder is checked and cleared under it.
    let lock = output::claim_dir(&out, args.force)?;
    if let Some(w) = &lock.warning {
        emit_err(&format!("warning: {w}\n"));
    }

    let scenario = Arc::new(scenario);
    let prepared = Prepared::new(scenario.clone());
    let config = Config {
        runs,
        seed,
        threads,
        record_disputes: args.disputes,
    };
    let total = runs * lenses.len() as u64;
    let bar = progress_bar(total, args.quiet);
    let mut writers = RunWriters::create(&out, &prepared, args.disputes, &args.at_years)?;
    let aggregates = montecarlo::run(&prepared, &lenses, &config, &mut writers, &|done| {
        bar.set_position(done)
    })
    .map_err(|source| output::OutputError::Io {
        path: out.clone(),
        source,
    })?;
    bar.finish_and_clear();
    writers.finish()?;
    output::write_timeseries(&out, &scenario, &aggregates)?;

    let threads = if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    };
    let mut files = vec!["timeseries.csv", "runs.csv"];
    if args.disputes {
        files.push("disputes.csv");
    }
    if !args.at_years.is_empty() {
        files.push("runs_at.csv");
    }
    files.push("manifest.json");
    let manifest = serde_json::json!({
        "comity_version": env!("CARGO_PKG_VERSION"),
        "scenario": scenario_manifest(&args.scenario, &scenario),
        "seed": seed,
        "runs": runs,
        "lenses": lenses.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        "overrides": args.set,
        "parameters": parameters_manifest(&lenses),
        "threads": threads,
        "quantiles": montecarlo::quantiles_manifest(&prepared, runs),
        "files": files,
        "started_at": output::utc_timestamp(started),
        "finished_at": output::utc_timestamp(SystemTime::now()),
        "wall_seconds": (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    });
    output::write_manifest(&out, &manifest)?;
    drop(lock);

    if !args.quiet {
        print_summary(&scenario, &aggregates, &out, runs, clock.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The worker threads to run with: `requested` (0: every core) when the estimate of memory
/// ([`comity::scenario::limits`]) fits this machine's bound. With 0 asked, fewer threads when
/// that makes it fit (said on stderr unless `quiet`); with a count asked, a usage error naming
/// the count that fits; when one thread does not fit, a scenario error. `aggregates`: the lens
/// aggregates held at once, each folding `runs` runs.
pub fn threads_within_memory(
    path: &Path,
    scenario: &Scenario,
    requested: usize,
    aggregates: usize,
    runs: u64,
    quiet: bool,
) -> Result<usize, Failure> {
    let estimate = scenario.memory(aggregates, runs);
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

/// The manifest's `scenario` object: where the scenario came from and what it holds.
pub fn scenario_manifest(path: &Path, scenario: &Scenario) -> serde_json::Value {
    serde_json::json!({
        "path": path.display().to_string(),
        "absolute_path": std::fs::canonicalize(path).map(|p| p.display().to_string()).unwrap_or_default(),
        "sha256": scenario.sources.first().map(|d| d.sha256.clone()).unwrap_or_default(),
        "inputs": scenario.sources,
        "name": scenario.name,
        "start": scenario.calendar.label(0),
        "end": scenario.calendar.label(scenario.calendar.n_ticks() - 1),
        "step": scenario.calendar.step.to_string(),
        "ticks": scenario.calendar.n_ticks(),
        "states": scenario.n_states(),
        "communities": scenario.communities.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "events": scenario.events_manifest(),
    })
}

/// The manifest's `parameters` object: every parameter of every lens.
pub fn parameters_manifest(lenses: &[(String, Params)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = lenses
        .iter()
        .map(|(name, p)| {
            let values: serde_json::Map<String, serde_json::Value> = p
                .entries()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into()))
                .collect();
            (name.clone(), values.into())
        })
        .collect();
    map.into()
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

fn print_summary(s: &Scenario, aggregates: &[montecarlo::LensAggregate], out: &Path, runs: u64, secs: f64) {
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
    let disputes = if out.join("disputes.csv").exists() {
        ", disputes.csv"
    } else {
        ""
    };
    writeln!(
        w,
        "files: timeseries.csv, runs.csv{disputes}, manifest.json (columns: docs/outputs.md)"
    )
    .ok();
    emit(&text);
}
