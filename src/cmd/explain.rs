//! `comity explain`: the mechanisms, their equations, parameters per lens and sources.

use super::{Failure, emit};
use comity::explain::{self, Format};
use comity::params::{self, Params};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Show only this lens (a built-in one, or one of --scenario's [lens.NAME]).
    #[arg(long)]
    pub lens: Option<String>,
    /// text (default) or markdown.
    #[arg(long, default_value = "text", value_parser = ["text", "markdown"])]
    pub format: String,
    /// Show the parameters as this scenario sets them (its [parameters] and [lens.NAME] tables).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let scenario = match &args.scenario {
        Some(p) => Some(comity::scenario::load(p)?),
        None => None,
    };
    let resolve = |name: &str| -> Option<Params> {
        match &scenario {
            Some(s) => s.params_for(name),
            None => params::lens(name),
        }
    };
    let names: Vec<String> = match &args.lens {
        Some(l) => vec![l.clone()],
        None => {
            let mut v: Vec<String> = params::THEORY_LENSES.iter().map(|s| s.to_string()).collect();
            if let Some(s) = &scenario {
                v.extend(s.custom_lenses.iter().map(|c| c.name.clone()));
            }
            v
        }
    };
    let mut lenses = Vec::new();
    for n in names {
        let p = resolve(&n).ok_or_else(|| {
            let mut known: Vec<String> = params::LENSES.iter().map(|s| s.to_string()).collect();
            if let Some(s) = &scenario {
                known.extend(s.custom_lenses.iter().map(|c| c.name.clone()));
            }
            let guess = comity::suggest::closest(&n, known.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            Failure::Usage(
                format!("unknown lens `{n}`"),
                Some(format!("{guess}lenses: {}", known.join(", "))),
            )
        })?;
        lenses.push((n, p));
    }
    let format = if args.format == "markdown" {
        Format::Markdown
    } else {
        Format::Text
    };
    emit(&explain::explain(&lenses, format));
    Ok(())
}
