//! Every bundled scenario validates and runs, and `comity list` shows it.

mod common;
use common::*;

fn bundled() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![repo("scenarios")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "sources") {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml")
                && std::fs::read_to_string(&p)
                    .unwrap()
                    .lines()
                    .any(|l| l.trim() == "[scenario]")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_bundled_scenario_validates_and_runs() {
    let files = bundled();
    assert!(files.len() >= 2, "{files:?}");
    let dir = tempfile::tempdir().unwrap();
    for (k, f) in files.iter().enumerate() {
        let o = run(&["validate", f.to_str().unwrap()]);
        assert!(o.status.success(), "{}: {}", f.display(), text(&o.stderr));
        let out = dir.path().join(format!("s{k}"));
        let o = run(&[
            "run",
            f.to_str().unwrap(),
            "--runs",
            "3",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}: {}", f.display(), text(&o.stderr));
        assert!(out.join("manifest.json").exists());
        // every file starts with a comment block saying what it is
        let head = std::fs::read_to_string(f).unwrap();
        assert!(
            head.starts_with('#'),
            "{} does not start with a comment block",
            f.display()
        );
    }
}

#[test]
fn list_shows_every_bundled_scenario() {
    let o = run(&["list"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let listing = text(&o.stdout);
    for f in bundled() {
        let rel = f.strip_prefix(repo("")).unwrap().display().to_string();
        let line = listing
            .lines()
            .find(|l| l.starts_with(&rel))
            .unwrap_or_else(|| panic!("{rel} not listed:\n{listing}"));
        assert!(!line.contains("INVALID"), "{line}");
        assert!(line.contains(" states "), "{line}");
    }
}

#[test]
fn the_binary_carries_every_bundled_scenario_byte_for_byte() {
    // Every scenario file under scenarios/ (and the CSVs of the folder scenarios) is compiled in,
    // unchanged, so that `comity list` and `comity scenario` work outside the repository.
    for f in bundled() {
        let rel = f
            .strip_prefix(repo("scenarios"))
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let inside = comity::bundled::contents(&rel).unwrap_or_else(|| panic!("{rel} is not bundled (src/bundled.rs)"));
        assert!(
            inside == std::fs::read_to_string(&f).unwrap(),
            "{rel}: the bundled copy differs"
        );
        let b = comity::bundled::find(&rel).unwrap_or_else(|| panic!("{rel}: no bundled scenario"));
        for file in &b.files {
            let disk = std::fs::read_to_string(repo("scenarios").join(file)).unwrap();
            assert!(comity::bundled::contents(file) == Some(disk.as_str()), "{file} differs");
        }
    }
    assert_eq!(comity::bundled::scenarios().len(), bundled().len());
}

#[test]
fn outside_the_repository_list_and_scenario_use_the_bundled_copies() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_comity"));
        c.current_dir(dir.path()).args(args).output().unwrap()
    };
    let o = in_dir(&["list"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let listing = text(&o.stdout);
    for b in comity::bundled::scenarios() {
        let line = listing
            .lines()
            .find(|l| l.starts_with(&format!("{} ", b.name)))
            .unwrap_or_else(|| panic!("{} not listed:\n{listing}", b.name));
        assert!(!line.contains("INVALID") && line.contains(" states "), "{line}");
    }
    assert!(listing.contains("comity scenario NAME"), "{listing}");
    // Write one out and run it there.
    let o = in_dir(&["scenario", "teaching/security_dilemma_spiral"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(dir.path().join("security_dilemma_spiral.toml").exists());
    let o = in_dir(&["run", "security_dilemma_spiral.toml", "--runs", "2", "-q"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(dir.path().join("output/security_dilemma_spiral/runs.csv").exists());
    // A folder scenario keeps its CSVs; nothing is replaced without --force; misspelt names.
    let o = in_dir(&["scenario", "world_1960", "--out", "worlds"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(dir.path().join("worlds/world_1960/dyads.csv").exists());
    let o = in_dir(&["scenario", "world_1960", "--out", "worlds"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"), "{}", text(&o.stderr));
    let o = in_dir(&["scenario", "western_comunity"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean `western_community`"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn scenario_without_events_writes_a_twin_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_comity"));
        c.current_dir(dir.path()).args(args).output().unwrap()
    };
    let events = |text: &str| text.lines().filter(|l| l.trim() == "[[event]]").count();
    let original = comity::bundled::contents("western_community.toml").unwrap();
    let o = in_dir(&[
        "scenario",
        "western_community",
        "--without-events",
        "treaty = \"Paris\"",
        "--out",
        "noparis",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("without the 2 [[event]] table(s)"),
        "{}",
        text(&o.stdout)
    );
    let twin = std::fs::read_to_string(dir.path().join("noparis/western_community.toml")).unwrap();
    assert_eq!(events(&twin), events(original) - 2);
    assert!(!twin.lines().any(|l| l.trim() == "treaty = \"Paris\""));
    // Every line of the twin but its opening note is the original's, in order.
    let mut rest = original.lines();
    for line in twin
        .lines()
        .skip_while(|l| l.starts_with("# Written by") || !l.starts_with("# ===="))
    {
        assert!(rest.any(|o| o == line), "`{line}` is not the original's");
    }
    let o = in_dir(&["run", "noparis/western_community.toml", "--runs", "2", "-q"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Every event out; a TEXT no event contains writes nothing.
    let o = in_dir(&[
        "scenario",
        "teaching/community_erosion_after_defection",
        "--without-events",
        "--out",
        "base",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let base = std::fs::read_to_string(dir.path().join("base/community_erosion_after_defection.toml")).unwrap();
    assert_eq!(events(&base), 0);
    let o = in_dir(&["validate", "base/community_erosion_after_defection.toml"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = in_dir(&[
        "scenario",
        "western_community",
        "--without-events",
        "nowhere",
        "--out",
        "none",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("nothing was written"), "{}", text(&o.stderr));
    assert!(!dir.path().join("none").exists());
}

#[test]
fn shell_completions_are_printed() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", text(&o.stderr));
        let script = text(&o.stdout);
        assert!(script.contains("comity") && script.contains("sensitivity"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}
