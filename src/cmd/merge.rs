//! `comity merge`: the part folders of a sharded run or sweep into one output folder.

use super::{Failure, emit};
use comity::merge::{self, Kind, MergeError};
use comity::output::OutputError;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Part folders (OUT/part-K-of-N), or folders holding them.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// The merged output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace comity's files in a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// The scenario file, when it has moved since the parts were run (its hash must match).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Worker threads for sorting the summaries; 0 uses every core.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No summary.
    #[arg(long, short)]
    pub quiet: bool,
}

impl From<MergeError> for Failure {
    fn from(e: MergeError) -> Self {
        match e {
            MergeError::Output(o) => Failure::Output(o),
            MergeError::Parts(msg, hint) => Failure::Data(msg, Some(hint)),
        }
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let dirs = merge::find_parts(&args.parts)?;
    let (kind, parts) = merge::read_parts(&dirs)?;
    if let Some(p) = parts.iter().find(|p| p.dir == args.out) {
        return Err(Failure::Output(OutputError::Refused(p.dir.clone())));
    }
    let started = std::time::Instant::now();
    let merged = merge::merge(
        kind,
        &parts,
        &args.out,
        args.force,
        args.scenario.as_deref(),
        args.threads,
    )?;
    if !args.quiet {
        let what = match merged.kind {
            Kind::Run => format!("{} runs x {} lens(es)", merged.runs, merged.lenses),
            Kind::Sweep => format!("a sweep of {} lens(es)", merged.lenses),
        };
        emit(&format!(
            "merged {} parts ({what}) in {:.1} s -> {}\nfiles: {}\n",
            merged.parts,
            started.elapsed().as_secs_f64(),
            args.out.display(),
            merged.files.join(", ")
        ));
    }
    Ok(())
}
