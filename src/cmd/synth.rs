//! `comity synth`: a synthetic world as a scenario folder, to time `comity run` at any size.

use super::{Failure, emit};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Number of states.
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=20_000))]
    pub states: u64,
    /// Number of yearly ticks (from 2000).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub years: i64,
    /// Seed of the world (its states, places and ties; not of the runs).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder to write scenario.toml, states.csv and dyads.csv into.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace those three files if they exist.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let names = ["scenario.toml", "states.csv", "dyads.csv"];
    if !args.force
        && let Some(existing) = names.iter().map(|n| args.out.join(n)).find(|p| p.exists())
    {
        return Err(Failure::Usage(
            format!("{} already exists; nothing was written", existing.display()),
            Some("pass --force to replace it, or choose another folder with --out".into()),
        ));
    }
    let n = args.states as usize;
    let world = comity::synthetic::world(n, args.years, args.seed);
    let command = format!(
        "comity synth --states {} --years {} --seed {} --out {}",
        args.states,
        args.years,
        args.seed,
        args.out.display()
    );
    let (toml, states, dyads) = comity::synthetic::folder(&world, &command);
    let io = |source: std::io::Error| {
        Failure::Output(comity::output::OutputError::Io {
            path: args.out.clone(),
            source,
        })
    };
    std::fs::create_dir_all(&args.out).map_err(io)?;
    for (name, text) in names.iter().zip([toml, states, dyads]) {
        let mut f = comity::output::AtomicFile::create(&args.out.join(name))?;
        std::io::Write::write_all(f.writer(), text.as_bytes()).map_err(io)?;
        f.commit()?;
    }
    let scenario = args.out.join("scenario.toml");
    emit(&format!(
        "wrote {} ({n} states, {} undirected dyads, {} yearly ticks); time it: comity run {} --runs 1000 --threads 2\n",
        scenario.display(),
        n * (n - 1) / 2,
        args.years,
        scenario.display()
    ));
    Ok(())
}
