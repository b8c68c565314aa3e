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
    /// Write a counterfactual twin: the scenario without its [[event]] tables, or, with TEXT,
    /// without only those that contain TEXT (e.g. --without-events 'treaty = "Paris"'). Run it
    /// with the same seed and `comity compare` pairs the runs.
    #[arg(long, value_name = "TEXT", num_args = 0..=1, default_missing_value = "")]
    pub without_events: Option<String>,
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
    // The twin's text first: a TEXT that matches no event writes nothing.
    let twin = match &args.without_events {
        None => None,
        Some(m) => {
            let matching = (!m.is_empty()).then_some(m.as_str());
            let twin = comity::bundled::twin(&b, matching);
            let removed = twin.removed;
            if removed == 0 {
                return Err(Failure::Usage(
                    match matching {
                        Some(m) => format!("no [[event]] table of `{}` contains `{m}`; nothing was written", b.name),
                        None => format!("`{}` has no [[event]] tables; nothing was written", b.name),
                    },
                    Some(format!(
                        "`comity scenario {} --out DIR` writes it out to read its events",
                        b.name
                    )),
                ));
            }
            let how = match matching {
                Some(m) => format!("the {removed} [[event]] table(s) that contain `{m}`"),
                None => format!("its {removed} [[event]] table(s)"),
            };
            let flag = match matching {
                Some(m) => format!(" '{m}'"),
                None => String::new(),
            };
            let base = if twin.from_base > 0 {
                format!(
                    "# {} of them belong to the scenario it extends: `replace_events = true` drops that\n\
                     # scenario's events, and those that stay are copied in before this file's own.\n",
                    twin.from_base
                )
            } else {
                String::new()
            };
            Some((
                format!(
                    "# Written by `comity scenario {} --without-events{flag}`: the bundled file without {how};\n\
                     # everything else byte for byte. Run it with the same seed as the original, and `comity\n\
                     # compare` pairs the runs (common random numbers).\n{base}{}",
                    b.name, twin.text
                ),
                how,
            ))
        }
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
    let without = match twin {
        Some((text, how)) => {
            std::fs::write(&path, text).map_err(|e| {
                Failure::Output(comity::output::OutputError::Io {
                    path: path.clone(),
                    source: e,
                })
            })?;
            format!(" without {how}")
        }
        None => String::new(),
    };
    emit(&format!(
        "wrote {} ({} file(s)){without}; run it: comity run {}\n",
        path.display(),
        b.files.len(),
        path.display()
    ));
    Ok(())
}
