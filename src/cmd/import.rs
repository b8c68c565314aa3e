//! `comity import`: a scenario for one year from peace-science tables.

use super::{Failure, emit};
use comity::import::{self, Options};
use comity::output::{AtomicFile, OutputError};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The year of the world to build (its states, capabilities, ties).
    #[arg(long)]
    pub year: i64,
    /// Folder of the tables (the layout of ../shared/data/ir: cow_states_v2016.csv, cow_nmc_v7.csv, ...; plain or .gz).
    #[arg(long)]
    pub data: PathBuf,
    /// Folder to write scenario.toml, states.csv and dyads.csv into.
    #[arg(long)]
    pub out: PathBuf,
    /// Last simulated year [default: year + 10].
    #[arg(long)]
    pub end: Option<i64>,
    /// World trade / GDP ratio turning national trade into the GDP proxy.
    #[arg(long, default_value_t = 0.4)]
    pub trade_to_gdp: f64,
    /// When the year is outside a table's coverage, use that table's nearest year (and say so).
    #[arg(long)]
    pub allow_nearest: bool,
    /// Table of institution memberships (institution,kind,salience,ccode,state,joined,left,source)
    /// [default: the committed scenarios/data/institutions.csv, built into the binary].
    #[arg(long, value_name = "FILE")]
    pub institutions: Option<PathBuf>,
    /// Keep the state set of --year: no enter or exit events (the calibration world of 1960 is
    /// made so). Without it the states that enter and exit the COW state system between --year
    /// and --end do so by events, each entrant with its attributes and dyads of its entry year.
    #[arg(long)]
    pub fixed_states: bool,
    /// Replace the three files in a non-empty --out folder.
    #[arg(long)]
    pub force: bool,
}

const FILES: [&str; 3] = ["scenario.toml", "states.csv", "dyads.csv"];

pub fn run(args: Args) -> Result<(), Failure> {
    let end = args.end.unwrap_or(args.year + 10);
    if end < args.year {
        return Err(Failure::Usage(
            format!("--end {end} is before --year {}", args.year),
            None,
        ));
    }
    if !(args.trade_to_gdp > 0.0 && args.trade_to_gdp <= 5.0) {
        return Err(Failure::Usage("--trade-to-gdp must be in (0, 5]".into(), None));
    }
    let opts = Options {
        year: args.year,
        end,
        data: args.data.clone(),
        trade_to_gdp: args.trade_to_gdp,
        allow_nearest: args.allow_nearest,
        institutions: args.institutions.clone(),
        fixed_states: args.fixed_states,
    };
    let imported = import::import(&opts).map_err(Failure::Import)?;
    comity::output::prepare_dir_for(&args.out, args.force, &FILES)?;
    for (name, text) in FILES
        .iter()
        .zip([&imported.scenario_toml, &imported.states_csv, &imported.dyads_csv])
    {
        let path = args.out.join(name);
        let mut f = AtomicFile::create(&path)?;
        f.writer()
            .write_all(text.as_bytes())
            .map_err(|source| OutputError::Io {
                path: path.clone(),
                source,
            })?;
        f.commit()?;
    }
    // The written scenario must load: a check of the importer, not of the user.
    let scenario = comity::scenario::load(&args.out.join("scenario.toml"))?;
    let mut text = format!(
        "wrote {}: {}\n",
        args.out.join("scenario.toml").display(),
        scenario.name
    );
    for line in &imported.summary {
        text.push_str(&format!("  {line}\n"));
    }
    emit(&text);
    Ok(())
}
