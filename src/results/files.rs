//! The output schema's names, in one place (issue 14): every file that `run`, `sweep`, `merge`
//! and `report` write into an output folder, and the key columns of its CSV files. The writers
//! (`crate::output`, `points.csv` in `cmd/sweep.rs`, the report page) take their file names and
//! headers from here, the readers ([`super::tables`]) find their columns by these names, and
//! `--force` removes exactly [`OUTPUT_FILES`] (`crate::output::prepare_dir_for`). The columns
//! are documented in `docs/outputs.md`.

/// `timeseries.csv`: one row per (lens, tick, community, metric), summarised across runs.
pub const TIMESERIES: &str = "timeseries.csv";
/// `runs.csv`: one row per (lens, run).
pub const RUNS: &str = "runs.csv";
/// `runs_at.csv` (`--at-years`): one row per (lens, run, year).
pub const RUNS_AT: &str = "runs_at.csv";
/// `disputes.csv` (`--disputes`): one row per dispute of every run.
pub const DISPUTES: &str = "disputes.csv";
/// `dyad_years.csv` (`--dyad-years`): one row per (lens, run, year, pair) of the first runs.
pub const DYAD_YEARS: &str = "dyad_years.csv";
/// `points.csv`: a sweep's design, one row per (point, lens).
pub const POINTS: &str = "points.csv";
/// `pairs.csv`: one row per (lens, tick, pair of interest, metric), summarised across runs.
pub const PAIRS: &str = "pairs.csv";
/// `panels.bin`: every run's metric panel (a shard's part, or a run's checkpoint).
pub const PANELS: &str = "panels.bin";
/// `manifest.json`: written last, so its presence marks a finished folder.
pub const MANIFEST: &str = "manifest.json";
/// `backtest.csv`: `comity backtest`'s tidy rows, which `comity report` draws.
pub const BACKTEST: &str = "backtest.csv";
/// `report.html`: the page `comity report` writes into the folder it draws.
pub const REPORT: &str = "report.html";

/// Every file comity writes into an output folder. `--force` removes each of them, and each
/// one's hidden `.NAME.partial`, and nothing else.
pub const OUTPUT_FILES: &[&str] = &[
    TIMESERIES, RUNS, RUNS_AT, DISPUTES, DYAD_YEARS, POINTS, PAIRS, PANELS, MANIFEST, REPORT, BACKTEST,
];

/// The first column of every CSV file of a sweep: the design point.
pub const POINT: &str = "point";

/// The key of a `runs.csv` row (the metrics' columns follow).
pub const RUNS_KEY: [&str; 2] = ["lens", "run"];
/// The key of a `runs_at.csv` row (`<community>.<metric>` and `<pair>.<metric>` follow).
pub const RUNS_AT_KEY: [&str; 3] = ["lens", "run", "year"];
/// The key of a `timeseries.csv` row; [`SUMMARY_COLUMNS`] follow.
pub const TIMESERIES_KEY: [&str; 6] = ["lens", "tick", "date", "year", "community", "metric"];
/// The key of a `pairs.csv` row; [`SUMMARY_COLUMNS`] follow.
pub const PAIRS_KEY: [&str; 8] = ["lens", "tick", "date", "year", "pair", "state_a", "state_b", "metric"];
/// The summary columns of `timeseries.csv` and `pairs.csv`, after the row's key.
pub const SUMMARY_COLUMNS: [&str; 6] = ["n", "mean", "sd", "p05", "p50", "p95"];
/// The key of a `points.csv` row (one column per varied parameter follows).
pub const POINTS_KEY: [&str; 2] = [POINT, "lens"];
/// The columns of `disputes.csv`.
pub const DISPUTES_COLUMNS: [&str; 19] = [
    "lens",
    "run",
    "dispnum",
    "tick",
    "date",
    "year",
    "state_a",
    "state_b",
    "ccode1",
    "ccode2",
    "entry_level",
    "hostlev",
    "recip",
    "joiners",
    "joiner_ccodes",
    "outcome",
    "outcome_code",
    "settle",
    "scripted",
];
/// The columns of `dyad_years.csv`: the pair-year's key, the outcome, then the covariates (as
/// `docs/outputs.md` defines them).
pub const DYAD_YEARS_COLUMNS: [&str; 32] = [
    "lens",
    "run",
    "year",
    "state_a",
    "state_b",
    "ccode1",
    "ccode2",
    "midonset",
    "hostlev",
    "contiguous",
    "major",
    "ally",
    "shared_igos",
    "trade",
    "trust_12",
    "trust_21",
    "identity",
    "rivalry",
    "peace_years",
    "midonset_naive",
    "hostlev_naive",
    "scripted",
    "distance",
    "democracy_1",
    "democracy_2",
    "democracy_low",
    "cinc_1",
    "cinc_2",
    "log_cap_ratio",
    "dependence",
    "kantian",
    "shared_community",
];
