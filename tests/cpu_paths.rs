//! Same bytes on every CPU path (issue 13): the vector kernels (`sim::kernels`) are compiled for
//! the portable baseline, AVX2 and AVX-512, and the one taken is chosen at run time. Every path
//! this machine can run must write the same outputs, byte for byte, on a world with defence pacts
//! under all three lenses (the rival-alignment term is on for the realist lens), on a synthetic
//! world, and on a growing world (whose entries take the scalar path for part of the run).

mod common;
use comity::sim::kernels::CpuPath;
use common::*;
use std::fs;
use std::path::Path;

/// Runs `comity run` with `COMITY_CPU_PATH=path` and returns every CSV it wrote, by name.
fn outputs(scenario: &Path, path: CpuPath, out: &Path, runs: &str) -> Vec<(String, Vec<u8>)> {
    let o = bin()
        .env("COMITY_CPU_PATH", path.name())
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--runs",
            runs,
            "--lens",
            "all",
            "--disputes",
        ])
        .args(["--threads", "2", "--quiet", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{} on {}: {}",
        scenario.display(),
        path.name(),
        text(&o.stderr)
    );
    let files = csv_files(out);
    assert!(
        files.iter().any(|(name, _)| name == "disputes.csv"),
        "no disputes.csv in {}",
        out.display()
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["cpu_path"], path.name(), "the manifest records the path taken");
    files
}

#[test]
fn every_cpu_path_writes_the_same_bytes() {
    let paths: Vec<CpuPath> = CpuPath::ALL.into_iter().filter(|p| p.available()).collect();
    eprintln!(
        "CPU paths on this machine: {}",
        paths.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
    );
    let dir = tempfile::tempdir().unwrap();
    let synthetic = dir.path().join("synthetic");
    let o = run(&[
        "synth",
        "--states",
        "40",
        "--years",
        "20",
        "--out",
        synthetic.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let scenarios = [
        (repo("scenarios/western_community.toml"), "16"),
        (synthetic.join("scenario.toml"), "8"),
        (repo("tests/fixtures/growing.toml"), "16"),
    ];
    for (s, (scenario, runs)) in scenarios.iter().enumerate() {
        let first = outputs(
            scenario,
            paths[0],
            &dir.path().join(format!("s{s}-{}", paths[0].name())),
            runs,
        );
        for &path in &paths[1..] {
            let other = outputs(scenario, path, &dir.path().join(format!("s{s}-{}", path.name())), runs);
            assert_eq!(
                first.iter().map(|f| &f.0).collect::<Vec<_>>(),
                other.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            for ((name, a), (_, b)) in first.iter().zip(&other) {
                assert!(
                    a == b,
                    "{name} of {} differs between the {} and {} paths",
                    scenario.display(),
                    paths[0].name(),
                    path.name()
                );
            }
        }
    }
}

#[test]
fn an_unavailable_or_unknown_path_is_refused_by_use_path() {
    assert!(comity::sim::kernels::use_path(CpuPath::Portable).is_ok());
    assert_eq!(comity::sim::kernels::current_path(), CpuPath::Portable);
    for path in CpuPath::ALL {
        assert_eq!(comity::sim::kernels::use_path(path).is_ok(), path.available());
    }
}

#[test]
fn a_misspelt_cpu_path_is_a_usage_error_naming_the_variable() {
    let o = bin()
        .env("COMITY_CPU_PATH", "avx9")
        .args(["validate", "scenarios/western_community.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("COMITY_CPU_PATH") && err.contains("portable"), "{err}");
}
