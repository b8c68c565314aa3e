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

/// Whether a TOML file is a scenario (it has a `[scenario]` table), not a fragment such
/// as a file of `[lens.NAME]` tables meant to be appended to a scenario.
pub fn is_scenario(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.lines().any(|l| l.trim() == "[scenario]"))
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
            } else if p.extension().is_some_and(|x| x == "toml") && is_scenario(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The question a scenario answers: the header comment's `QUESTION:` sentence (joined
/// across comment lines, up to its first '?'), else the description's first question,
/// else the description.
fn question(path: &Path, description: &str) -> String {
    let header: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .collect();
    let from_header = header
        .iter()
        .position(|l| l.to_lowercase().starts_with("question:"))
        .map(|start| {
            let mut text = String::new();
            for l in &header[start..] {
                if l.is_empty() {
                    break;
                }
                text.push_str(l);
                text.push(' ');
                if l.contains('?') {
                    break;
                }
            }
            let text = text["question:".len()..].trim().to_string();
            text.split_inclusive('?').next().unwrap_or(&text).trim().to_string()
        });
    let q = from_header.unwrap_or_else(|| {
        if description.contains('?') {
            description
                .split_inclusive('?')
                .next()
                .unwrap_or(description)
                .trim()
                .to_string()
        } else {
            description.to_string()
        }
    });
    let mut q: String = q
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + &q[c.len_utf8()..])
        .unwrap_or_default();
    if q.chars().count() > 110 {
        q = q.chars().take(107).collect::<String>() + "...";
    }
    q
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
