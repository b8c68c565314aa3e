//! `comity scenario`: write a bundled scenario out, to run or edit it anywhere.

use super::{Failure, emit};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The bundled scenario (as `comity list` names it), e.g. western_community,
    /// teaching/security_dilemma_spiral or world_1990.
    pub name: String,
    /// Folder to write it into (a folder scenario becomes a subfolder).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Replace files of the same name.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let Some(b) = comity::bundled::find(&args.name) else {
        let names: Vec<String> = comity::bundled::scenarios().into_iter().map(|b| b.name).collect();
        let hint = match comity::suggest::closest(&args.name, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`? bundled: {}", names.join(", ")),
            None => format!("bundled: {}", names.join(", ")),
        };
        return Err(Failure::Usage(
            format!("no bundled scenario `{}`", args.name),
            Some(hint),
        ));
    };
    let path = comity::bundled::write(&b, &args.out, args.force).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::Usage(
                format!("{e}; nothing was written"),
                Some("pass --force to replace it, or choose another folder with --out".into()),
            )
        } else {
            Failure::Output(comity::output::OutputError::Io {
                path: args.out.clone(),
                source: e,
            })
        }
    })?;
    emit(&format!(
        "wrote {} ({} file(s)); run it: comity run {}\n",
        path.display(),
        b.files.len(),
        path.display()
    ));
    Ok(())
}
