//! The bundled scenarios, compiled into the binary, so that `comity list` and `comity scenario`
//! work from any folder, without the repository.
//!
//! Architecture Invariant: every scenario file under `scenarios/` (but `sources/`) is here, byte
//! for byte (`tests/scenarios.rs` checks it), with the CSV files the folder scenarios read.

use std::path::{Path, PathBuf};

/// `(path under scenarios/, contents)` of every bundled file.
pub const FILES: &[(&str, &str)] = &[
    (
        "western_2016/scenario.toml",
        include_str!("../scenarios/western_2016/scenario.toml"),
    ),
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
    /// Every file of the scenario (the TOML file, any CSV it reads, and the files of the bases it
    /// extends, nearest first), relative to `scenarios/`.
    pub files: Vec<&'static str>,
}

/// What this module reads of a scenario file: the base it extends, and what it does with the
/// base's events (`docs/scenario-format.md`, section `extends`).
#[derive(Default, serde::Deserialize)]
struct Head {
    extends: Option<String>,
    #[serde(default)]
    replace_events: bool,
    #[serde(default)]
    remove_events: Vec<String>,
    #[serde(default)]
    event: Vec<EventId>,
}

#[derive(serde::Deserialize)]
struct EventId {
    id: Option<String>,
}

fn head(path: &str) -> Head {
    contents(path).and_then(|t| toml::from_str(t).ok()).unwrap_or_default()
}

/// The folder of a path under `scenarios/` (`""` at the top).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir/rel` with `.` and `..` resolved; `None` when it leaves `scenarios/`.
fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.trim().split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The bundled scenario file that `path` extends: the file its `extends` names, or that folder's
/// `scenario.toml`.
fn base_of(path: &str) -> Option<&'static str> {
    let target = join(parent(path), &head(path).extends?)?;
    let folder = format!("{target}/scenario.toml");
    FILES.iter().map(|(p, _)| *p).find(|p| *p == target || *p == folder)
}

/// `path` and the scenario files it extends, nearest first (a cycle stops the chain).
fn chain(path: &'static str) -> Vec<&'static str> {
    let mut out = vec![path];
    while let Some(b) = base_of(out[out.len() - 1]) {
        if out.contains(&b) {
            break;
        }
        out.push(b);
    }
    out
}

/// The files of one scenario file: itself, or its folder's files when it is a folder scenario.
fn own_files(path: &'static str) -> Vec<&'static str> {
    match path.strip_suffix("/scenario.toml") {
        Some(folder) => FILES
            .iter()
            .map(|(q, _)| *q)
            .filter(|q| q.starts_with(&format!("{folder}/")))
            .collect(),
        None => vec![path],
    }
}

/// Every bundled scenario, sorted by name.
pub fn scenarios() -> Vec<Bundled> {
    let mut out: Vec<Bundled> = FILES
        .iter()
        .filter(|(p, text)| p.ends_with(".toml") && text.lines().any(|l| l.trim() == "[scenario]"))
        .map(|(p, _)| {
            // A folder scenario (world_1990/) is named by its folder, which holds its CSVs.
            let name = match p.strip_suffix("/scenario.toml") {
                Some(folder) => folder.rsplit('/').next().unwrap_or(folder).to_string(),
                None => p.trim_end_matches(".toml").to_string(),
            };
            let mut files: Vec<&'static str> = Vec::new();
            for f in chain(p).into_iter().flat_map(own_files) {
                if !files.contains(&f) {
                    files.push(f);
                }
            }
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

/// Where the files of `b` go under `dir`: their paths below the deepest folder that holds the
/// scenario and its bases, each kept whole (a folder scenario as its folder). A single file
/// becomes `dir/NAME.toml`, a folder scenario `dir/FOLDER/`, and a scenario that extends a base
/// keeps the base where its `extends` finds it.
fn targets(b: &Bundled, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let unit = |s: &str| parent(s.strip_suffix("/scenario.toml").unwrap_or(s)).to_string();
    let mut common = unit(b.scenario);
    for s in chain(b.scenario) {
        let u = unit(s);
        while !(u == common || u.starts_with(&format!("{common}/")) || common.is_empty()) {
            common = parent(&common).to_string();
        }
    }
    b.files
        .iter()
        .map(|p| {
            let rel = if common.is_empty() {
                p
            } else {
                p.strip_prefix(&format!("{common}/")).unwrap_or(p)
            };
            (*p, dir.join(rel))
        })
        .collect()
}

/// Writes a bundled scenario under `dir` (see [`targets`]: a single file as `dir/NAME.toml`, a
/// folder scenario as `dir/FOLDER/`, with the bases it extends beside it). Returns the path of the
/// scenario file written. Refuses to replace an existing file unless `force`.
pub fn write(b: &Bundled, dir: &Path, force: bool) -> std::io::Result<PathBuf> {
    let targets = targets(b, dir);
    if !force && let Some((_, existing)) = targets.iter().find(|(_, t)| t.exists()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists", existing.display()),
        ));
    }
    for (p, t) in &targets {
        if let Some(parent) = t.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(t, contents(p).unwrap_or_default())?;
    }
    Ok(targets
        .into_iter()
        .find(|(p, _)| *p == b.scenario)
        .map(|(_, t)| t)
        .unwrap_or_else(|| dir.join(b.scenario)))
}

/// Writes every bundled file under `dir` as it lies under `scenarios/`.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    for (p, text) in FILES {
        let t = dir.join(p);
        if let Some(parent) = t.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(t, text)?;
    }
    Ok(())
}

/// The events of a bundled scenario as its bases and it compose them (docs/scenario-format.md,
/// section `extends`): for each, the file it is written in and its place among that file's
/// `[[event]]` tables, in the scenario's order.
pub fn events_of(path: &'static str) -> Vec<(&'static str, usize)> {
    let h = head(path);
    let mut out = match base_of(path) {
        Some(base) if base != path => events_of(base),
        _ => Vec::new(),
    };
    if !h.remove_events.is_empty() {
        out.retain(|(p, k)| {
            let id = head(p).event.get(*k).and_then(|e| e.id.clone());
            id.is_none_or(|id| !h.remove_events.iter().any(|r| r.trim() == id.trim()))
        });
    }
    if h.replace_events {
        out.clear();
    }
    out.extend((0..h.event.len()).map(|k| (path, k)));
    out
}

/// A counterfactual twin: the text of its scenario file, how many events it drops, and how many
/// of those are the base's.
#[derive(Clone, Debug, PartialEq)]
pub struct Twin {
    pub text: String,
    pub removed: usize,
    pub from_base: usize,
}

/// The counterfactual twin of a bundled scenario: its file without its `[[event]]` tables (with
/// `matching`, only those whose text contains it). When the scenario extends a base whose events
/// it keeps and some of those go too, the twin replaces the base's events (`replace_events =
/// true`) and carries, copied byte for byte, those that stay, before its own.
pub fn twin(b: &Bundled, matching: Option<&str>) -> Twin {
    let text = contents(b.scenario).unwrap_or_default();
    let (own, removed) = without_events(text, matching);
    let inherited: Vec<String> = events_of(b.scenario)
        .into_iter()
        .filter(|(p, _)| *p != b.scenario)
        .filter_map(|(p, k)| {
            event_tables(contents(p).unwrap_or_default())
                .get(k)
                .map(|t| t.to_string())
        })
        .collect();
    let kept: Vec<&String> = inherited
        .iter()
        .filter(|t| matching.is_some_and(|m| !t.contains(m)))
        .collect();
    let dropped = inherited.len() - kept.len();
    if dropped == 0 {
        return Twin {
            text: own,
            removed,
            from_base: 0,
        };
    }
    // `replace_events = true` among the top-level keys: in place of a `replace_events` line, or
    // after `extends` (neither key can be written inside a table).
    let key = |l: &str, k: &str| l.contains('=') && l.split('=').next().is_some_and(|x| x.trim() == k);
    let has_replace = own.lines().any(|l| key(l, "replace_events"));
    let own: String = own
        .split_inclusive('\n')
        .flat_map(
            |l| match (key(l, "replace_events"), key(l, "extends") && !has_replace) {
                (true, _) => vec!["replace_events = true\n"],
                (false, true) => vec![l, "replace_events = true\n"],
                _ => vec![l],
            },
        )
        .collect();
    let twin = |text: String| Twin {
        text,
        removed: removed + dropped,
        from_base: dropped,
    };
    if kept.is_empty() {
        return twin(own);
    }
    // The base's events that stay, before this file's own (they come after the base's).
    let mut block = String::from(
        "# ---- Events of the scenario extended that the twin keeps (copied: replace_events drops them there)\n\n",
    );
    for t in &kept {
        block.push_str(t.trim_end_matches('\n'));
        block.push_str("\n\n");
    }
    let at = tables(&own)
        .into_iter()
        .find(|(_, event)| *event)
        .map_or(own.len(), |(r, _)| r.start);
    let mut out = own[..at].to_string();
    if !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
    out.push_str(&block);
    if at == own.len() {
        out.truncate(out.trim_end_matches('\n').len() + 1);
    }
    out.push_str(&own[at..]);
    twin(out)
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

/// The tables of a scenario file's text: each one's bytes, from the comment lines directly above
/// its header to the next table, and whether it is an `[[event]]` table.
fn tables(text: &str) -> Vec<(std::ops::Range<usize>, bool)> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offsets = vec![0];
    for l in &lines {
        offsets.push(offsets[offsets.len() - 1] + l.len());
    }
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
    starts
        .iter()
        .enumerate()
        .map(|(n, &(start, event))| {
            let end = starts.get(n + 1).map_or(lines.len(), |&(s, _)| s);
            (offsets[start]..offsets[end], event)
        })
        .collect()
}

/// The `[[event]]` tables of a scenario file's text, in order (see [`tables`]).
fn event_tables(text: &str) -> Vec<&str> {
    tables(text)
        .into_iter()
        .filter(|(_, event)| *event)
        .map(|(r, _)| &text[r])
        .collect()
}

/// A scenario file's text without its `[[event]]` tables (with `matching`, only those whose text
/// contains it), and how many were removed. An event table runs from the comment lines directly
/// above its header to the next table; the rest of the file is kept byte for byte. All of the
/// bundled scenarios' events have probability 1, so the kept events draw the same random
/// numbers and the copy is a counterfactual twin for `comity compare`.
pub fn without_events(text: &str, matching: Option<&str>) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let (mut at, mut removed) = (0, 0);
    for (r, event) in tables(text) {
        if event && matching.is_none_or(|m| text[r.clone()].contains(m)) {
            out.push_str(&text[at..r.start]);
            at = r.end;
            removed += 1;
        }
    }
    out.push_str(&text[at..]);
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
