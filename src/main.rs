//! The `comity` command line: a thin shell over the library.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "comity",
    version,
    about = "Monte Carlo simulation of international security communities",
    long_about = "comity runs scenario files (TOML) of states, treaties and scripted events many times and \
                  measures how security-community cohesion and dispute escalation change.\n\n\
                  Exit codes: 0 success, 2 usage error, 65 invalid scenario (or too large for this machine, or a job over 10^7 runs, a day or the free disk without --yes), \
                  73 output folder not usable (not empty, an interrupted run, or in use by another run), 74 write error, \
                  130 stopped by Ctrl-C or SIGTERM (a run prints the command that resumes it)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario many times and write outcome CSVs.
    Run(cmd::run::Args),
    /// Run a scenario over a sample of parameter values (grid, Latin hypercube, Sobol, Morris).
    Sweep(cmd::sweep::Args),
    /// Merge the part folders of a sharded run or sweep (--shard K/N) into one output folder.
    Merge(cmd::merge::Args),
    /// Which varied parameters drive an outcome of a sweep; where an outcome is likely (PRIM).
    Sensitivity(cmd::sensitivity::Args),
    /// Check a scenario file and summarise it.
    Validate(cmd::validate::Args),
    /// Compare two outcome sets (or two lenses of one): differences, intervals, significance.
    Compare(cmd::compare::Args),
    /// Draw an output folder's results as an HTML page of charts.
    Report(cmd::report::Args),
    /// Build a scenario for one year from peace-science tables (COW, ATOP, V-Dem, CShapes).
    Import(cmd::import::Args),
    /// Hold an output's simulated disputes against the real dispute record (rates, hostility,
    /// communities, 5-year blocks, baselines, dyad ranking).
    Backtest(cmd::backtest::Args),
    /// List the bundled scenarios, one line each.
    List(cmd::list::Args),
    /// Write a bundled scenario out (to run or edit it anywhere).
    Scenario(cmd::scenario::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(cmd::completions::Args),
    /// Write a synthetic world of any size as a scenario folder (to time comity run).
    Synth(cmd::synth::Args),
    /// Explain each mechanism: rule, equation, parameters under each lens, source.
    Explain(cmd::explain::Args),
}

fn main() {
    // Diagnostics keep each message on one line (no wrapping), so that logs and
    // scripts can search them; colours only on a terminal.
    miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }))
    .expect("the hook is set once, first thing");
    let cli = Cli::parse();
    // The CPU path of the vector kernels changes no result, but a misspelt one is refused
    // rather than silently replaced.
    if let Err(message) = comity::sim::kernels::path_from_env() {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
    // So is a malformed memory for percentile values (it, too, changes no result).
    if let Err(message) = comity::spill::memory_from_env() {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
    let result = match cli.command {
        Command::Run(args) => cmd::run::run(args),
        Command::Sweep(args) => cmd::sweep::run(args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Sensitivity(args) => cmd::sensitivity::run(args),
        Command::Validate(args) => cmd::validate::run(args),
        Command::Compare(args) => cmd::compare::run(args),
        Command::Report(args) => cmd::report::run(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Backtest(args) => cmd::backtest::run(args),
        Command::List(args) => cmd::list::run(args),
        Command::Scenario(args) => cmd::scenario::run(args),
        Command::Synth(args) => cmd::synth::run(args),
        Command::Completions(args) => cmd::completions::run(args, &mut <Cli as clap::CommandFactory>::command()),
        Command::Explain(args) => cmd::explain::run(args),
    };
    if let Err(failure) = result {
        std::process::exit(failure.report());
    }
}
