//! `comity backtest`: an output's simulated disputes against the real dispute record.

use super::{Failure, emit, emit_err};
use comity::backtest::{self, BacktestError, Options};
use comity::output::{AtomicFile, OutputError};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder of a `comity run` made with --disputes.
    pub dir: PathBuf,
    /// Folder of the peace-science tables (the layout of ../shared/data/ir: cow_states_v2016,
    /// cow_majors_v2016, cow_contdir_v3.2, cow_mid5_directed_dyad_years_nodup, cow_mid5_disputes;
    /// plain or .gz).
    #[arg(long)]
    pub data: PathBuf,
    /// First year of the observed record [default: the simulation's first year]; an earlier year
    /// reads the system's rates over a longer window (the simulated figures keep their years).
    #[arg(long)]
    pub from: Option<i64>,
    /// Last year compared [default: the last year both the output and the record cover].
    #[arg(long)]
    pub to: Option<i64>,
    /// A group of states to measure like a community: NAME=ID,ID,... (scenario ids or COW codes);
    /// repeat for several.
    #[arg(long, value_name = "NAME=ID,ID,...", value_parser = backtest::parse_group)]
    pub group: Vec<(String, Vec<String>)>,
    /// Length of the persistence window, the years just before the first observed year.
    #[arg(long, default_value_t = backtest::BASELINE_YEARS, value_parser = clap::value_parser!(i64).range(1..=200))]
    pub baseline_years: i64,
    /// Where to write the tidy CSV (one row per quantity, lens and source) [default: DIR/backtest.csv,
    /// which `comity report` draws].
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Print everything as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The scenario of the run, when the manifest's path does not lead to it (checked against the
    /// manifest's SHA-256).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Replace an existing CSV file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let path = args
        .csv
        .clone()
        .unwrap_or_else(|| args.dir.join(comity::results::BACKTEST));
    if path.exists() && !args.force {
        return Err(Failure::Usage(
            format!("{} already exists", path.display()),
            Some("pass --force to replace it, or choose another file with --csv".into()),
        ));
    }
    let opts = Options {
        out_dir: args.dir.clone(),
        data: args.data.clone(),
        from: args.from,
        to: args.to,
        groups: args.group.clone(),
        baseline_years: args.baseline_years,
        scenario: args.scenario.clone(),
    };
    let b = backtest::backtest(&opts).map_err(|e| match e {
        BacktestError::Input { message, hint } => Failure::Data(message, hint),
        BacktestError::Data(e) => Failure::Import(e),
    })?;
    let _lock = if path.parent().is_some_and(|p| p == args.dir.as_path()) {
        Some(comity::output::lock_dir(&args.dir)?)
    } else {
        None
    };
    let mut file = AtomicFile::create(&path)?;
    file.writer()
        .write_all(backtest::csv_text(&b).as_bytes())
        .map_err(|source| OutputError::Io {
            path: path.clone(),
            source,
        })?;
    file.commit()?;
    if args.json {
        emit(&backtest::json_text(&b));
        emit_err(&format!("wrote {}\n", path.display()));
    } else {
        emit(&backtest::table(&b));
        emit(&format!("\nwrote {} ({} rows)\n", path.display(), b.rows.len()));
    }
    Ok(())
}
