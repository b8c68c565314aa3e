//! `comity list`: the bundled scenarios, one line each.

use super::{Failure, emit};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Folder to look in.
    #[arg(default_value = "scenarios")]
    pub dir: PathBuf,
}

/// Every scenario file under `dir` (not under `sources/`), sorted.
pub fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "sources") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The question a scenario answers: its description, else the first comment line with a '?'.
fn question(path: &Path, description: &str) -> String {
    let first_comment = std::fs::read_to_string(path).ok().and_then(|t| {
        t.lines()
            .take_while(|l| l.starts_with('#') || l.trim().is_empty())
            .map(|l| {
                l.trim_start_matches('#')
                    .trim()
                    .trim_start_matches("Question:")
                    .trim()
                    .to_string()
            })
            .find(|l| l.contains('?'))
    });
    let q = if description.contains('?') {
        description
            .split_inclusive('?')
            .next()
            .unwrap_or(description)
            .trim()
            .to_string()
    } else {
        first_comment.unwrap_or_else(|| description.to_string())
    };
    if q.chars().count() > 100 {
        q.chars().take(97).collect::<String>() + "..."
    } else {
        q
    }
}

pub fn run(args: Args) -> Result<(), Failure> {
    let files = scenario_files(&args.dir);
    if files.is_empty() {
        return Err(Failure::Usage(
            format!("no scenario files under {}", args.dir.display()),
            Some("run comity list from the repository root, or give the folder: comity list path/to/scenarios".into()),
        ));
    }
    let mut rows: Vec<[String; 5]> = Vec::new();
    for f in &files {
        match comity::scenario::load(f) {
            Ok(s) => rows.push([
                f.display().to_string(),
                s.name.clone(),
                format!("{} states", s.n_states()),
                format!("{}-{}", s.calendar.start.year(), s.calendar.end.year()),
                question(f, &s.description),
            ]),
            Err(e) => rows.push([
                f.display().to_string(),
                "INVALID".into(),
                String::new(),
                String::new(),
                format!("{} (run comity validate on it)", e.message),
            ]),
        }
    }
    let width = |k: usize| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2, w3) = (width(0), width(1).min(48), width(2), width(3));
    let mut text = String::new();
    for r in &rows {
        let name: String = if r[1].chars().count() > 48 {
            r[1].chars().take(45).collect::<String>() + "..."
        } else {
            r[1].clone()
        };
        writeln!(
            text,
            "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {}",
            r[0], name, r[2], r[3], r[4]
        )
        .ok();
    }
    emit(&text);
    Ok(())
}
