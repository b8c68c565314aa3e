//! The bundled scenarios, compiled into the binary, so that `comity list` and `comity scenario`
//! work from any folder, without the repository.
//!
//! Architecture Invariant: every scenario file under `scenarios/` (but `sources/`) is here, byte
//! for byte (`tests/scenarios.rs` checks it), with the CSV files the folder scenarios read.

use std::path::{Path, PathBuf};

/// `(path under scenarios/, contents)` of every bundled file.
pub const FILES: &[(&str, &str)] = &[
    (
        "western_community.toml",
        include_str!("../scenarios/western_community.toml"),
    ),
    (
        "western_community_counterfactual.toml",
        include_str!("../scenarios/western_community_counterfactual.toml"),
    ),
    (
        "america_first_2025.toml",
        include_str!("../scenarios/america_first_2025.toml"),
    ),
    ("teaching/README.md", include_str!("../scenarios/teaching/README.md")),
    (
        "teaching/balancing_vs_bandwagoning.toml",
        include_str!("../scenarios/teaching/balancing_vs_bandwagoning.toml"),
    ),
    (
        "teaching/common_threat_with_and_without_regime.toml",
        include_str!("../scenarios/teaching/common_threat_with_and_without_regime.toml"),
    ),
    (
        "teaching/community_erosion_after_defection.toml",
        include_str!("../scenarios/teaching/community_erosion_after_defection.toml"),
    ),
    (
        "teaching/ec6_community_1950s.toml",
        include_str!("../scenarios/teaching/ec6_community_1950s.toml"),
    ),
    (
        "teaching/security_dilemma_spiral.toml",
        include_str!("../scenarios/teaching/security_dilemma_spiral.toml"),
    ),
    (
        "teaching/trade_interdependence_vs_war.toml",
        include_str!("../scenarios/teaching/trade_interdependence_vs_war.toml"),
    ),
    (
        "world_1990/scenario.toml",
        include_str!("../scenarios/world_1990/scenario.toml"),
    ),
    (
        "world_1990/states.csv",
        include_str!("../scenarios/world_1990/states.csv"),
    ),
    (
        "world_1990/dyads.csv",
        include_str!("../scenarios/world_1990/dyads.csv"),
    ),
    (
        "history/world_1960/scenario.toml",
        include_str!("../scenarios/history/world_1960/scenario.toml"),
    ),
    (
        "history/world_1960/states.csv",
        include_str!("../scenarios/history/world_1960/states.csv"),
    ),
    (
        "history/world_1960/dyads.csv",
        include_str!("../scenarios/history/world_1960/dyads.csv"),
    ),
];

/// A bundled scenario: its name (`western_community`, `teaching/security_dilemma_spiral`,
/// `world_1990`), its scenario file and every file it needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Bundled {
    pub name: String,
    /// The scenario file, relative to `scenarios/`.
    pub scenario: &'static str,
    /// Every file of the scenario (the TOML file and any CSV it reads), relative to `scenarios/`.
    pub files: Vec<&'static str>,
}

/// Every bundled scenario, sorted by name.
pub fn scenarios() -> Vec<Bundled> {
    let mut out: Vec<Bundled> = FILES
        .iter()
        .filter(|(p, text)| p.ends_with(".toml") && text.lines().any(|l| l.trim() == "[scenario]"))
        .map(|(p, _)| {
            let (name, files) = match p.strip_suffix("/scenario.toml") {
                // A folder scenario (world_1990/): the folder is its name and holds its CSVs.
                Some(folder) => (
                    folder.rsplit('/').next().unwrap_or(folder).to_string(),
                    FILES
                        .iter()
                        .map(|(q, _)| *q)
                        .filter(|q| q.starts_with(&format!("{folder}/")))
                        .collect(),
                ),
                None => (p.trim_end_matches(".toml").to_string(), vec![*p]),
            };
            Bundled {
                name,
                scenario: p,
                files,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The bundled scenario called `name` (also accepts the file's path under `scenarios/`, with or
/// without `.toml`, and a folder scenario's folder).
pub fn find(name: &str) -> Option<Bundled> {
    let n = name.trim().trim_start_matches("scenarios/").trim_end_matches('/');
    let n = n.strip_suffix(".toml").unwrap_or(n);
    let n = n.strip_suffix("/scenario").unwrap_or(n);
    scenarios().into_iter().find(|b| {
        b.name == n || b.scenario.trim_end_matches(".toml") == n || b.scenario.trim_end_matches("/scenario.toml") == n
    })
}

/// The contents of a bundled file.
pub fn contents(path: &str) -> Option<&'static str> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// Writes a bundled scenario under `dir`: a single file as `dir/NAME.toml` (its base name), a
/// folder scenario as `dir/FOLDER/`. Returns the path of the scenario file written. Refuses to
/// replace an existing file unless `force`.
pub fn write(b: &Bundled, dir: &Path, force: bool) -> std::io::Result<PathBuf> {
    let folder = b.scenario.strip_suffix("/scenario.toml");
    let target = |p: &str| -> PathBuf {
        match folder {
            Some(f) => dir.join(f.rsplit('/').next().unwrap_or(f)).join(&p[f.len() + 1..]),
            None => dir.join(p.rsplit('/').next().unwrap_or(p)),
        }
    };
    if !force && let Some(existing) = b.files.iter().map(|p| target(p)).find(|t| t.exists()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists", existing.display()),
        ));
    }
    for p in &b.files {
        let t = target(p);
        if let Some(parent) = t.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&t, contents(p).unwrap_or_default())?;
    }
    Ok(target(b.scenario))
}

/// Whether a line opens a TOML table (`[name]` or `[[name]]`), not an array inside a value.
fn is_table_header(line: &str) -> bool {
    let line = line.split('#').next().unwrap_or("").trim();
    let name = match line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
        Some(n) => n,
        None => match line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            Some(n) => n,
            None => return false,
        },
    };
    let name = name.trim();
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// A scenario file's text without its `[[event]]` tables (with `matching`, only those whose text
/// contains it), and how many were removed. An event table runs from the comment lines directly
/// above its header to the next table; the rest of the file is kept byte for byte. All of the
/// bundled scenarios' events have probability 1, so the kept events draw the same random
/// numbers and the copy is a counterfactual twin for `comity compare`.
pub fn without_events(text: &str, matching: Option<&str>) -> (String, usize) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Each table starts at the comment lines directly above its header.
    let mut starts: Vec<(usize, bool)> = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        if is_table_header(line) {
            let mut start = k;
            while start > 0 && lines[start - 1].trim_start().starts_with('#') {
                start -= 1;
            }
            let event = line.split('#').next().unwrap_or("").trim() == "[[event]]";
            starts.push((start.max(starts.last().map_or(0, |&(s, _)| s)), event));
        }
    }
    let mut keep = vec![true; lines.len()];
    let mut removed = 0;
    for (n, &(start, event)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(lines.len(), |&(s, _)| s);
        if !event {
            continue;
        }
        let table: String = lines[start..end].concat();
        if matching.is_none_or(|m| table.contains(m)) {
            keep[start..end].iter_mut().for_each(|k| *k = false);
            removed += 1;
        }
    }
    let out = lines.iter().zip(&keep).filter(|(_, k)| **k).map(|(l, _)| *l).collect();
    (out, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files() {
        let all = scenarios();
        let names: Vec<&str> = all.iter().map(|b| b.name.as_str()).collect();
        for n in [
            "western_community",
            "world_1990",
            "world_1960",
            "teaching/security_dilemma_spiral",
        ] {
            assert!(names.contains(&n), "{n} in {names:?}");
        }
        let w = find("world_1990").unwrap();
        assert_eq!(w.files.len(), 3, "{w:?}");
        assert_eq!(
            find("scenarios/western_community.toml").unwrap().name,
            "western_community"
        );
        assert_eq!(find("history/world_1960").unwrap().name, "world_1960");
        assert!(find("nope").is_none());
    }

    #[test]
    fn without_events_keeps_everything_else_byte_for_byte() {
        let text = "# head\n[scenario]\nname = \"x\"\n\n[[state]]\nid = \"A\"\nnorms = [\n  [0.5],\n]\n\n\
                    # first\n[[event]]\nat = \"2020\"\ntreaty = \"Paris\"\n\n[[event]]  # second\nat = \"2021\"\n\n\
                    # about C\n[[community]]\nid = \"c\"\n\n[[event]]\nat = \"2022\"\n";
        let (all, n) = without_events(text, None);
        assert_eq!(n, 3);
        assert_eq!(
            all,
            "# head\n[scenario]\nname = \"x\"\n\n[[state]]\nid = \"A\"\nnorms = [\n  [0.5],\n]\n\n# about C\n[[community]]\nid = \"c\"\n\n"
        );
        let (paris, n) = without_events(text, Some("treaty = \"Paris\""));
        assert_eq!(n, 1);
        assert!(!paris.contains("Paris") && !paris.contains("# first"), "{paris}");
        assert!(
            paris.contains("[[event]]  # second") && paris.contains("at = \"2022\""),
            "{paris}"
        );
        assert_eq!(without_events(text, Some("nowhere")), (text.to_string(), 0));
        for b in scenarios() {
            let text = contents(b.scenario).unwrap();
            let events = text.lines().filter(|l| l.trim() == "[[event]]").count();
            let (twin, n) = without_events(text, None);
            assert_eq!(n, events, "{}", b.name);
            assert!(!twin.lines().any(|l| l.trim() == "[[event]]"), "{}", b.name);
        }
    }

    #[test]
    fn write_refuses_to_replace() {
        let dir = std::env::temp_dir().join(format!("comity-bundled-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let b = find("world_1990").unwrap();
        let path = write(&b, &dir, false).unwrap();
        assert_eq!(path, dir.join("world_1990/scenario.toml"));
        assert!(dir.join("world_1990/dyads.csv").exists());
        assert!(write(&b, &dir, false).is_err());
        assert!(write(&b, &dir, true).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
