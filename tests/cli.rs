//! The command line, through the built binary.

mod common;
use common::*;
use std::fs;

const SCENARIO: &str = "scenarios/western_community.toml";

#[test]
fn shipped_scenario_runs_and_writes_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wc");
    let o = run(&[
        "run",
        SCENARIO,
        "--runs",
        "24",
        "--out",
        out.to_str().unwrap(),
        "--disputes",
        "--threads",
        "2",
    ]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("24 runs"), "{stdout}");
    assert!(stdout.contains("west"), "{stdout}");

    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    assert_eq!(
        header,
        [
            "lens",
            "tick",
            "date",
            "year",
            "community",
            "metric",
            "n",
            "mean",
            "sd",
            "p05",
            "p50",
            "p95"
        ]
    );
    // 15 yearly ticks x (system, west, nato) x every metric
    assert_eq!(rows.len(), 15 * 3 * comity::sim::metrics::METRICS.len());
    for metric in [
        "cohesion",
        "identity",
        "peaceful_change_share",
        "intra_trade_share",
        "phase",
        "disputes_threat",
        "disputes_display",
        "disputes_force",
        "disputes_war",
        "escalation_rate",
        "alliance_calls",
        "alliance_calls_honoured",
    ] {
        assert!(rows.iter().any(|r| r[5] == metric), "metric {metric} missing");
    }
    for r in rows.iter().filter(|r| r[5] == "cohesion") {
        assert_eq!(r[6], "24");
        let mean: f64 = r[7].parse().unwrap();
        let (p05, p95): (f64, f64) = (r[9].parse().unwrap(), r[11].parse().unwrap());
        // Exact percentiles (R type 7) at 24 runs; a skewed cell can put the mean outside
        // [p05, p95], so only the order and the range are checked here (tests/quantiles.rs
        // checks the values).
        assert!(
            (0.0..=1.0).contains(&mean) && p05 <= p95 && (0.0..=1.0).contains(&p05) && (0.0..=1.0).contains(&p95),
            "{r:?}"
        );
    }
    assert!(rows.iter().any(|r| r[4] == "west" && r[2] == "2030"));

    let (header, rows) = read_csv(&out.join("runs.csv"));
    assert_eq!(&header[..2], ["lens", "run"]);
    for col in [
        "system.cohesion",
        "west.cohesion",
        "nato.peaceful_change_share",
        "west.disputes_war",
        "system.first_war_year",
        "west.escalation_rate",
    ] {
        assert!(header.iter().any(|h| h == col), "column {col} missing");
    }
    assert_eq!(rows.len(), 24);
    assert_eq!(
        rows.iter().map(|r| r[1].parse::<u64>().unwrap()).collect::<Vec<_>>(),
        (0..24).collect::<Vec<_>>()
    );

    let (header, rows) = read_csv(&out.join("disputes.csv"));
    assert_eq!(
        header,
        [
            "lens",
            "run",
            "dispnum",
            "tick",
            "date",
            "year",
            "state_a",
            "state_b",
            "ccode1",
            "ccode2",
            "entry_level",
            "hostlev",
            "recip",
            "joiners",
            "joiner_ccodes",
            "outcome",
            "outcome_code",
            "settle",
            "scripted"
        ]
    );
    assert!(
        !rows.is_empty(),
        "24 runs of 16 states over 15 years produce some dispute"
    );
    let mut last: Option<(&str, &str, u32)> = None;
    for r in &rows {
        let (entry, high): (u8, u8) = (r[10].parse().unwrap(), r[11].parse().unwrap());
        assert!((2..=5).contains(&entry) && entry <= high && high <= 5, "{r:?}");
        // MID codes beside the text: outcome 1-6, settlement 1-3, consistent with each other.
        let (code, settle): (u8, u8) = (r[16].parse().unwrap(), r[17].parse().unwrap());
        let expected = match r[15].as_str() {
            "victory_a" => (1, 2),
            "victory_b" => (2, 2),
            "yield_a" => (3, 3),
            "yield_b" => (4, 3),
            "stalemate" => (5, 3),
            "compromise" | "settled_by_talks" => (6, 1),
            other => panic!("outcome {other}"),
        };
        assert_eq!((code, settle), expected, "{r:?}");
        // dispnum counts the disputes of a run from 1; joiners and their ccodes pair up
        let n: u32 = r[2].parse().unwrap();
        match last {
            Some((lens, run, k)) if lens == r[0] && run == r[1] => assert_eq!(n, k + 1, "{r:?}"),
            _ => assert_eq!(n, 1, "{r:?}"),
        }
        last = Some((r[0].as_str(), r[1].as_str(), n));
        assert_eq!(r[13].split(';').count(), r[14].split(';').count(), "{r:?}");
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["runs"], 24);
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["threads"], 2);
    assert_eq!(manifest["scenario"]["sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["parameters"]["constructivist"]["honour_base"].is_number());
    // no temporary files left behind (the folder's lock file stays: docs/reliability.md)
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.file_name() != comity::output::LOCK_FILE)
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn outputs_are_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = run(&[
            "run",
            SCENARIO,
            "--runs",
            "40",
            "--threads",
            threads,
            "--disputes",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        outputs.push(out);
    }
    for file in ["timeseries.csv", "runs.csv", "disputes.csv"] {
        let a = fs::read(outputs[0].join(file)).unwrap();
        let b = fs::read(outputs[1].join(file)).unwrap();
        assert!(a == b, "{file} differs between --threads 1 and --threads 2");
    }
}

#[test]
fn seed_changes_results_and_reproduces_them() {
    let dir = tempfile::tempdir().unwrap();
    let go = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let o = run(&[
            "run",
            "tests/fixtures/tiny.toml",
            "--runs",
            "30",
            "--seed",
            seed,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        fs::read(out.join("runs.csv")).unwrap()
    };
    let a = go("a", "1");
    assert_eq!(a, go("b", "1"));
    assert_ne!(a, go("c", "2"));
}

#[test]
fn existing_output_is_refused_without_force_and_replaced_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let args = |force: bool, runs: &str| {
        let mut v = vec![
            "run",
            "tests/fixtures/tiny.toml",
            "--runs",
            runs,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        if force {
            v.push("--force");
        }
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let first = bin().args(args(false, "5")).output().unwrap();
    assert!(first.status.success());
    fs::write(out.join("notes.txt"), "my notes").unwrap();
    let before = fs::read(out.join("runs.csv")).unwrap();

    let refused = bin().args(args(false, "7")).output().unwrap();
    assert_eq!(refused.status.code(), Some(73));
    let err = text(&refused.stderr);
    assert!(
        err.contains("already exists and is not empty") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        fs::read(out.join("runs.csv")).unwrap(),
        before,
        "nothing is overwritten without --force"
    );

    let forced = bin().args(args(true, "7")).output().unwrap();
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let (_, rows) = read_csv(&out.join("runs.csv"));
    assert_eq!(rows.len(), 7);
    assert_eq!(
        fs::read_to_string(out.join("notes.txt")).unwrap(),
        "my notes",
        "--force touches only comity's files"
    );
}

#[test]
fn a_forced_rerun_leaves_no_stale_file_of_the_earlier_run() {
    // An --at-years run writes runs_at.csv; a forced rerun without it must not leave the old
    // file beside the new outputs (compare --at would pair new runs with old values), nor the
    // hidden partial file of an interrupted run.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let run = |extra: &[&str]| {
        let mut v = vec![
            "run",
            "tests/fixtures/tiny.toml",
            "--runs",
            "3",
            "--quiet",
            "--force",
            "--out",
        ];
        v.push(out.to_str().unwrap());
        v.extend_from_slice(extra);
        bin().args(&v).output().unwrap()
    };
    assert!(run(&["--at-years", "2001"]).status.success());
    assert!(out.join("runs_at.csv").exists());
    fs::write(out.join(".disputes.csv.partial"), "left by an interrupted run").unwrap();
    let again = run(&[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!out.join("runs_at.csv").exists(), "stale runs_at.csv kept");
    assert!(!out.join(".disputes.csv.partial").exists(), "stale partial file kept");
    assert!(out.join("runs.csv").exists());
}

#[test]
fn bad_scenarios_get_located_messages() {
    let folder = repo("tests/bad_scenarios");
    let mut checked = 0;
    let mut entries: Vec<_> = fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let body = fs::read_to_string(&path).unwrap();
        let expects: Vec<&str> = body.lines().filter_map(|l| l.strip_prefix("# expect: ")).collect();
        assert!(!expects.is_empty(), "{} has no '# expect:' line", path.display());
        let o = run(&["validate", path.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(65), "{}: {err}", path.display());
        for e in &expects {
            assert!(err.contains(e), "{}: expected {e:?} in:\n{err}", path.display());
        }
        // file:line:col of the offending text
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let located = err.lines().any(|l| {
            l.contains(&format!("{name}.")) && l.split(':').filter(|p| p.trim().parse::<u32>().is_ok()).count() >= 2
        });
        assert!(located, "{}: no file:line:col in:\n{err}", path.display());
        assert!(!err.contains("panicked"), "{err}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} bad scenarios");
}

#[test]
fn a_bad_scenario_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = run(&[
        "run",
        "tests/bad_scenarios/trust_out_of_range.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(65));
    assert!(!out.exists());
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&[
        "run",
        "tests/fixtures/tiny.toml",
        "--lens",
        "realst",
        "--out",
        "/nonexistent/never",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown lens `realst`"));
    let o = run(&["run", "tests/fixtures/tiny.toml", "--runs", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["validate", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("cannot read the scenario file"));
}

#[test]
fn validate_summarises_a_csv_backed_scenario() {
    let o = run(&["validate", "tests/fixtures/csv_world/scenario.toml", "--parameters"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = text(&o.stdout);
    assert!(s.contains("states       4 (2 major powers)"), "{s}");
    assert!(s.contains("step quarter, 24 ticks"), "{s}");
    assert!(s.contains("honour_base"), "{s}");
}

#[test]
fn quarterly_dates_label_the_timeseries() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let o = run(&[
        "run",
        "tests/fixtures/csv_world/scenario.toml",
        "--runs",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (_, rows) = read_csv(&out.join("timeseries.csv"));
    assert!(rows.iter().any(|r| r[2] == "2001-Q2" && r[3] == "2001"));
    assert!(rows.iter().any(|r| r[2] == "2005-Q4"));
}

#[test]
fn a_closed_stdout_pipe_is_not_a_crash() {
    use std::process::Stdio;
    let mut child = bin()
        .args(["validate", SCENARIO, "--parameters"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "validate with its reader gone must still exit 0"
    );
}

#[test]
fn manifest_records_every_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let o = run(&[
        "run",
        "tests/fixtures/csv_world/scenario.toml",
        "--runs",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let inputs = manifest["scenario"]["inputs"].as_array().unwrap();
    let paths: Vec<&str> = inputs.iter().map(|i| i["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(paths[0].ends_with("scenario.toml") && paths[1].ends_with("states.csv") && paths[2].ends_with("dyads.csv"));
    let expected = comity::hash::sha256_hex(&fs::read(repo("tests/fixtures/csv_world/states.csv")).unwrap());
    assert_eq!(inputs[1]["sha256"], expected.as_str());
}

#[test]
fn a_scenario_lens_runs_beside_the_built_in_ones_with_common_random_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lensy.toml");
    let body = fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap()
        + "\n[lens.liberal_no_trade]\nbase = \"liberal\"\nonset_trade = 0.0\n";
    fs::write(&file, body).unwrap();
    let out = dir.path().join("o");
    let o = run(&[
        "run",
        file.to_str().unwrap(),
        "--lens",
        "all",
        "--runs",
        "6",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (_, rows) = read_csv(&out.join("runs.csv"));
    let lenses: Vec<&str> = rows
        .iter()
        .map(|r| r[0].as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(lenses, ["constructivist", "liberal", "liberal_no_trade", "realist"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["parameters"]["liberal_no_trade"]["onset_trade"], 0.0);
    assert_eq!(
        manifest["parameters"]["liberal_no_trade"]["bayes_weight"],
        manifest["parameters"]["liberal"]["bayes_weight"]
    );
    // the two lenses differ only in one parameter and share their random numbers: compare pairs them
    let o = run(&[
        "compare",
        out.to_str().unwrap(),
        "--lens",
        "liberal",
        "--vs",
        "liberal_no_trade",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("paired run-by-run"));
}

#[test]
fn explain_lists_every_mechanism_under_every_lens() {
    let o = run(&["explain", "--format", "markdown"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let md = text(&o.stdout);
    for m in comity::explain::MECHANISMS {
        assert!(md.contains(m.title), "{} missing", m.title);
    }
    assert!(md.contains("| parameter | realist | liberal | constructivist | unit | meaning |"));
    let o = run(&["explain", "--lens", "realist"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("lenses: realist)"));
    let o = run(&["explain", "--lens", "marxist"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn synth_writes_a_world_of_any_size_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w60");
    let o = run(&[
        "synth",
        "--states",
        "60",
        "--years",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1770 undirected dyads"), "{}", text(&o.stdout));
    let scenario = out.join("scenario.toml");
    let o = run(&["validate", scenario.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("states       60 (5 major powers)"),
        "{}",
        text(&o.stdout)
    );
    let o = run(&[
        "run",
        scenario.to_str().unwrap(),
        "--runs",
        "2",
        "-q",
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Nothing is replaced without --force; the same seed writes the same bytes.
    let before = fs::read(out.join("dyads.csv")).unwrap();
    let o = run(&[
        "synth",
        "--states",
        "60",
        "--years",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "synth",
        "--states",
        "60",
        "--years",
        "4",
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(fs::read(out.join("dyads.csv")).unwrap() == before);
    assert_eq!(
        run(&["synth", "--states", "1", "--out", out.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

/// `benches/two_threads.sh` (docs/performance.md, Commands): a small measurement prints its
/// pairs and the summary line; a failing run stops it with comity's own error.
#[test]
fn the_two_thread_script_measures_pairs_and_reports_failures() {
    let script = repo("benches/two_threads.sh");
    let measure = |args: &[&str]| {
        std::process::Command::new("bash")
            .arg(&script)
            .args(args)
            .current_dir(repo("."))
            .env("COMITY", env!("CARGO_BIN_EXE_comity"))
            .output()
            .expect("bash runs")
    };
    let o = measure(&[SCENARIO, "2", "2"]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "a header, two pairs and the summary: {stdout}");
    for pair in &lines[1..3] {
        let speedup: f64 = pair.split_whitespace().last().unwrap().parse().unwrap();
        assert!(speedup.is_finite() && speedup > 0.0, "{pair}");
    }
    assert!(
        lines[3].starts_with("median ") && lines[3].contains("pooled "),
        "{stdout}"
    );
    assert!(lines[3].contains("8 runs on two threads"), "{stdout}");

    let o = measure(&["tests/no_such_scenario.toml", "1", "1"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("cannot read the scenario file"),
        "{}",
        text(&o.stderr)
    );
    let o = measure(&[SCENARIO, "two"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("whole numbers"), "{}", text(&o.stderr));
}
