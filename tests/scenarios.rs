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
