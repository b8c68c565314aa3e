//! `comity report`: an HTML page of charts for an output folder.

use super::{Failure, emit};
use comity::output::AtomicFile;
use comity::report;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Output folder written by `comity run`.
    pub dir: PathBuf,
    /// Also draw the differences between two output folders A and B.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub compare: Option<Vec<PathBuf>>,
    /// The lens to compare when A and B hold several.
    #[arg(long, requires = "compare")]
    pub lens: Option<String>,
    /// Where to write the page [default: DIR/report.html].
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Replace an existing report file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let path = args.output.clone().unwrap_or_else(|| report::default_path(&args.dir));
    if path.exists() && !args.force {
        return Err(Failure::Usage(
            format!("{} already exists", path.display()),
            Some("pass --force to replace it, or choose another file with --output".into()),
        ));
    }
    let pair = args.compare.as_ref().map(|v| (v[0].as_path(), v[1].as_path()));
    let html = report::build(&args.dir, pair, args.lens.as_deref()).map_err(Failure::Report)?;
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
