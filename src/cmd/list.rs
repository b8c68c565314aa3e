//! `comity list`: the bundled scenarios, one line each.

use super::{Failure, emit};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Folder to look in [default: ./scenarios when it exists, else the scenarios bundled in comity].
    pub dir: Option<PathBuf>,
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
    let local = Path::new("scenarios");
    let (dir, bundled) = match &args.dir {
        Some(d) => (d.clone(), None),
        None if local.is_dir() => (local.to_path_buf(), None),
        None => {
            // Outside the repository: the bundled scenarios, written to a private temporary folder
            // as they lie under scenarios/, so that CSV files and bases can be read.
            let tmp = std::env::temp_dir().join(format!("comity-list-{}", std::process::id()));
            comity::bundled::write_all(&tmp).map_err(|source| {
                Failure::Output(comity::output::OutputError::Io {
                    path: tmp.clone(),
                    source,
                })
            })?;
            (tmp.clone(), Some(tmp))
        }
    };
    let files = scenario_files(&dir);
    if files.is_empty() {
        return Err(Failure::Usage(
            format!("no scenario files under {}", dir.display()),
            Some("give a folder of scenarios (comity list path/to/scenarios), or run comity list without one to see the bundled scenarios".into()),
        ));
    }
    let mut rows: Vec<[String; 5]> = Vec::new();
    for f in &files {
        // Bundled scenarios are named as `comity scenario` knows them.
        let shown = match &bundled {
            Some(tmp) => {
                let rel = f.strip_prefix(tmp).unwrap_or(f).to_string_lossy().to_string();
                comity::bundled::find(&rel).map_or(rel, |b| b.name)
            }
            None => f.display().to_string(),
        };
        match comity::scenario::load(f) {
            Ok(s) => rows.push([
                shown,
                s.name.clone(),
                format!("{} states", s.n_states()),
                format!("{}-{}", s.calendar.start.year(), s.calendar.end.year()),
                question(f, &s.description),
            ]),
            Err(e) => rows.push([
                shown,
                "INVALID".into(),
                String::new(),
                String::new(),
                format!("{} (run comity validate on it)", e.message),
            ]),
        }
    }
    if let Some(tmp) = &bundled {
        let _ = std::fs::remove_dir_all(tmp);
    }
    // On a terminal, each line fits its width (the question is cut); piped, lines are whole.
    let columns = std::io::stdout()
        .is_terminal()
        .then(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
        .flatten();
    let width = |k: usize| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2, w3) = (width(0), width(1).min(48), width(2), width(3));
    let cut = |t: &str, n: usize| -> String {
        if t.chars().count() > n {
            t.chars().take(n.saturating_sub(3)).collect::<String>() + "..."
        } else {
            t.to_string()
        }
    };
    let mut text = String::new();
    for r in &rows {
        let name = cut(&r[1], 48);
        let line = format!("{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {}", r[0], name, r[2], r[3], r[4]);
        let line = match columns {
            Some(c) if c > 20 => cut(line.trim_end(), c),
            _ => line.trim_end().to_string(),
        };
        writeln!(text, "{line}").ok();
    }
    if bundled.is_some() {
        writeln!(
            text,
            "(bundled in comity; write one out to run or edit it: comity scenario NAME [--out DIR])"
        )
        .ok();
    }
    emit(&text);
    Ok(())
}
