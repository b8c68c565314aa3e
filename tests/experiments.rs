//! Experiments: `--set`, `comity sweep` and `comity sensitivity`, through the built binary.

mod common;
use common::*;
use std::fs;
use std::path::Path;

const WESTERN: &str = "scenarios/western_community.toml";

fn ok(o: &std::process::Output) {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

fn bytes(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn set_equals_the_same_value_in_the_parameters_table() {
    let dir = tempfile::tempdir().unwrap();
    let with_table = dir.path().join("tiny_decay.toml");
    let text_in = fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap();
    fs::write(&with_table, format!("{text_in}\n[parameters]\nidentity_decay = 0.05\n")).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let tiny = repo("tests/fixtures/tiny.toml");
    ok(&run(&[
        "run",
        tiny.to_str().unwrap(),
        "--set",
        "identity_decay=0.05",
        "--lens",
        "realist,liberal",
        "--out",
        a.to_str().unwrap(),
        "-q",
    ]));
    ok(&run(&[
        "run",
        with_table.to_str().unwrap(),
        "--lens",
        "realist,liberal",
        "--out",
        b.to_str().unwrap(),
        "-q",
    ]));
    for f in ["timeseries.csv", "runs.csv"] {
        assert!(bytes(&a.join(f)) == bytes(&b.join(f)), "{f} differs");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&bytes(&a.join("manifest.json"))).unwrap();
    assert_eq!(manifest["overrides"][0]["name"], "identity_decay");
    assert_eq!(manifest["parameters"]["realist"]["identity_decay"], 0.05);
    assert_eq!(manifest["parameters"]["liberal"]["identity_decay"], 0.05);

    // A lens-prefixed value changes that lens only.
    let c = dir.path().join("c");
    ok(&run(&[
        "run",
        tiny.to_str().unwrap(),
        "--set",
        "liberal.identity_decay=0.05",
        "--lens",
        "realist,liberal",
        "--out",
        c.to_str().unwrap(),
        "-q",
    ]));
    let manifest: serde_json::Value = serde_json::from_slice(&bytes(&c.join("manifest.json"))).unwrap();
    assert_eq!(manifest["parameters"]["liberal"]["identity_decay"], 0.05);
    assert_eq!(manifest["parameters"]["realist"]["identity_decay"], 0.02);
}

#[test]
fn bad_set_values_get_clear_errors() {
    let tiny = repo("tests/fixtures/tiny.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let cases: &[(&str, &str)] = &[
        ("identity_decy=0.05", "did you mean `identity_decay`"),
        ("identity_decay=3", "outside its range 0..1"),
        ("identity_decay", "NAME=VALUE"),
        ("realist.identity_decay=0.05", "lens `realist` is not part of this run"),
    ];
    for (arg, expected) in cases {
        let o = run(&[
            "run",
            tiny.to_str().unwrap(),
            "--set",
            arg,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(2), "{arg}");
        assert!(text(&o.stderr).contains(expected), "{arg}: {}", text(&o.stderr));
        assert!(!out.exists(), "{arg}: nothing written");
    }
}
