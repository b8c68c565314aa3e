//! `comity report`: an HTML page of charts for an output folder or a sweep folder.

use super::{Failure, emit};
use comity::output::AtomicFile;
use comity::report::{self, ReportError};
use comity::sweep::MetricRef;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder written by `comity run` or `comity sweep`.
    pub dir: PathBuf,
    /// Also draw the differences between two output folders A and B (run folders only).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub compare: Option<Vec<PathBuf>>,
    /// The lens to compare when A and B hold several.
    #[arg(long, requires = "compare")]
    pub lens: Option<String>,
    /// Sweep folders only: the outcome to draw, COMMUNITY.METRIC (end of run) or
    /// COMMUNITY.METRIC@YEAR, e.g. west.cohesion@2030 [default: the first community's cohesion].
    #[arg(long, value_parser = MetricRef::parse)]
    pub metric: Option<MetricRef>,
    /// Where to write the page [default: DIR/report.html].
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Replace an existing report file.
    #[arg(long)]
    pub force: bool,
    /// Draw shares (cohesion, identity, trust, peaceful change, ...) on the whole 0-1 axis
    /// instead of an axis fitted to the data (comparable across pages; small effects flatten).
    #[arg(long)]
    pub unit_axes: bool,
}

fn failure(e: ReportError) -> Failure {
    match e {
        ReportError::Data { message, hint } => Failure::Data(message, hint),
        e => Failure::Report(e),
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let sweep = report::is_sweep(&args.dir);
    if sweep && args.compare.is_some() {
        return Err(Failure::Usage(
            format!(
                "{} is a sweep folder: --compare draws two `comity run` folders",
                args.dir.display()
            ),
            Some("report the sweep without --compare, or compare two folders written by `comity run`".into()),
        ));
    }
    if !sweep && args.metric.is_some() {
        return Err(Failure::Usage(
            format!(
                "--metric picks the outcome of a sweep, and {} is not a sweep folder",
                args.dir.display()
            ),
            Some(
                "the page of a `comity run` folder draws every community's metrics; drop --metric, or give a folder written by `comity sweep`"
                    .into(),
            ),
        ));
    }
    let path = args.output.clone().unwrap_or_else(|| report::default_path(&args.dir));
    if path.exists() && !args.force {
        return Err(Failure::Usage(
            format!("{} already exists", path.display()),
            Some("pass --force to replace it, or choose another file with --output".into()),
        ));
    }
    // One writer per output folder: a page written into a folder waits for no run there, and
    // a run or sweep cannot start there while the page is written.
    let _lock = if path.parent().is_some_and(|p| p == args.dir.as_path()) && args.dir.is_dir() {
        Some(comity::output::lock_dir(&args.dir)?)
    } else {
        None
    };
    let html = if sweep {
        report::build_sweep(&args.dir, args.metric.as_ref())
    } else {
        let pair = args.compare.as_ref().map(|v| (v[0].as_path(), v[1].as_path()));
        let opts = report::ReportOptions {
            unit_axes: args.unit_axes,
        };
        report::build_with(&args.dir, pair, args.lens.as_deref(), &opts)
    }
    .map_err(failure)?;
    let mut file = AtomicFile::create(&path)?;
    file.writer()
        .write_all(html.as_bytes())
        .map_err(|source| comity::output::OutputError::Io {
            path: path.clone(),
            source,
        })?;
    file.commit()?;
    emit(&format!(
        "wrote {} ({} charts)\n",
        path.display(),
        html.matches("<svg").count()
    ));
    Ok(())
}
