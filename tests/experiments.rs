//! Experiments: `--set`, `comity sweep` and `comity sensitivity`, through the built binary.

mod common;
use common::*;
use std::fs;
use std::path::Path;

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

fn sweep(args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    run(&all)
}

fn tiny() -> String {
    repo("tests/fixtures/tiny.toml").to_str().unwrap().to_string()
}

/// Rows of a CSV as strings, without the header.
fn rows(path: &Path) -> Vec<Vec<String>> {
    read_csv(path).1
}

#[test]
fn sweeps_are_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (out, threads) in [(&a, "1"), (&b, "2")] {
        ok(&sweep(&[
            &tiny(),
            "--vary",
            "identity_decay=0.01..0.05",
            "--vary",
            "security_dilemma_weight=0..2",
            "--design",
            "lhs",
            "--samples",
            "7",
            "--runs",
            "9",
            "--lens",
            "realist,constructivist",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "--at-years",
            "2005",
            "--disputes",
            "-q",
        ]));
    }
    for f in [
        "points.csv",
        "runs.csv",
        "timeseries.csv",
        "runs_at.csv",
        "disputes.csv",
    ] {
        assert!(
            bytes(&a.join(f)) == bytes(&b.join(f)),
            "{f} differs between 1 and 2 threads"
        );
    }
    // 7 points x 2 lenses x 9 runs, ordered by lens, point, run
    let r = rows(&a.join("runs.csv"));
    assert_eq!(r.len(), 7 * 2 * 9);
    assert_eq!(
        (r[0][0].as_str(), r[0][1].as_str(), r[0][2].as_str()),
        ("0", "realist", "0")
    );
    assert_eq!((r[9][0].as_str(), r[9][2].as_str()), ("1", "0"));
    assert_eq!(r[63][1], "constructivist");
    let m: serde_json::Value = serde_json::from_slice(&bytes(&a.join("manifest.json"))).unwrap();
    assert_eq!(m["kind"], "sweep");
    assert_eq!(m["design"]["kind"], "lhs");
    assert_eq!(m["design"]["points"], 7);
    assert_eq!(m["design"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn a_point_at_the_base_parameters_reproduces_run_with_common_random_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let design = dir.path().join("design.csv");
    // The constructivist identity_decay is 0.02: point 1 is the base parameter set.
    fs::write(
        &design,
        "identity_decay,security_dilemma_weight\n0.05,2\n0.02,1\n0.01,0\n",
    )
    .unwrap();
    let (s, r) = (dir.path().join("s"), dir.path().join("r"));
    ok(&sweep(&[
        &tiny(),
        "--design-file",
        design.to_str().unwrap(),
        "--runs",
        "12",
        "--lens",
        "constructivist",
        "--out",
        s.to_str().unwrap(),
        "-q",
    ]));
    ok(&run(&[
        "run",
        &tiny(),
        "--runs",
        "12",
        "--lens",
        "constructivist",
        "--out",
        r.to_str().unwrap(),
        "-q",
    ]));
    let strip = |rows: Vec<Vec<String>>, point: &str| -> Vec<Vec<String>> {
        rows.into_iter()
            .filter(|x| x[0] == point)
            .map(|x| x[1..].to_vec())
            .collect()
    };
    let base_runs = strip(rows(&s.join("runs.csv")), "1");
    assert_eq!(base_runs.len(), 12);
    assert_eq!(base_runs, rows(&r.join("runs.csv")), "point 1's runs equal run's rows");
    assert_eq!(
        strip(rows(&s.join("timeseries.csv")), "1"),
        rows(&r.join("timeseries.csv")),
        "point 1's timeseries equals run's"
    );
    // Another point differs (the parameters matter) but shares the streams: same run count.
    assert_ne!(strip(rows(&s.join("runs.csv")), "0"), base_runs);
    let m: serde_json::Value = serde_json::from_slice(&bytes(&s.join("manifest.json"))).unwrap();
    assert_eq!(m["design"]["kind"], "file");
    let p = rows(&s.join("points.csv"));
    assert_eq!(p[1], ["1", "constructivist", "0.02", "1"]);
}

#[test]
fn every_design_has_its_sample_count_and_stays_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], usize)] = &[
        (
            &[
                "--design",
                "grid",
                "--vary",
                "identity_decay=0.01..0.05:5",
                "--vary",
                "onset_base=-9..-6:4",
            ],
            20,
        ),
        (
            &[
                "--design",
                "grid",
                "--levels",
                "3",
                "--vary",
                "identity_decay=0.01..0.05",
                "--vary",
                "onset_base=-9..-6",
            ],
            9,
        ),
        (
            &[
                "--design",
                "lhs",
                "--samples",
                "11",
                "--vary",
                "identity_decay=0.01..0.05",
                "--vary",
                "onset_base=-9..-6",
            ],
            11,
        ),
        (
            &[
                "--design",
                "sobol",
                "--samples",
                "8",
                "--vary",
                "identity_decay=0.01..0.05",
                "--vary",
                "onset_base=-9..-6",
            ],
            8 * 4,
        ),
        (
            &[
                "--design",
                "morris",
                "--samples",
                "5",
                "--vary",
                "identity_decay=0.01..0.05",
                "--vary",
                "onset_base=-9..-6",
            ],
            5 * 3,
        ),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("d{i}"));
        let mut all: Vec<&str> = vec![];
        let t = tiny();
        all.push(&t);
        all.extend_from_slice(args);
        let o = out.to_str().unwrap().to_string();
        all.extend(["--runs", "2", "--out", &o, "-q"]);
        ok(&sweep(&all));
        let p = rows(&out.join("points.csv"));
        assert_eq!(p.len(), *expected, "{args:?}");
        for row in &p {
            let decay: f64 = row[2].parse().unwrap();
            let base: f64 = row[3].parse().unwrap();
            assert!(
                (0.01..=0.05).contains(&decay) && (-9.0..=-6.0).contains(&base),
                "{args:?}: {row:?}"
            );
        }
        assert_eq!(rows(&out.join("runs.csv")).len(), expected * 2, "{args:?}");
        if i == 0 {
            // grid: every level combination once, the last parameter fastest
            let levels: std::collections::BTreeSet<&str> = p.iter().map(|r| r[2].as_str()).collect();
            assert_eq!(levels.len(), 5);
            assert_eq!(
                (p[0][3].as_str(), p[1][3].as_str(), p[3][3].as_str()),
                ("-9", "-8", "-6")
            );
        }
    }
}

#[test]
fn the_scenarios_sweep_table_gives_the_defaults_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("tiny_sweep.toml");
    let body = fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap();
    fs::write(
        &scenario,
        format!("{body}\n[sweep]\ndesign = \"grid\"\nvary = [\"identity_decay=0.01..0.05:3\"]\nruns = 4\nlens = \"realist\"\n"),
    )
    .unwrap();
    let a = dir.path().join("a");
    ok(&sweep(&[
        scenario.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "-q",
    ]));
    assert_eq!(rows(&a.join("points.csv")).len(), 3);
    assert_eq!(rows(&a.join("runs.csv")).len(), 3 * 4);
    assert!(rows(&a.join("runs.csv")).iter().all(|r| r[1] == "realist"));
    let b = dir.path().join("b");
    ok(&sweep(&[
        scenario.to_str().unwrap(),
        "--vary",
        "onset_base=-9..-6:2",
        "--runs",
        "3",
        "--out",
        b.to_str().unwrap(),
        "-q",
    ]));
    let (header, p) = read_csv(&b.join("points.csv"));
    assert_eq!(header, ["point", "lens", "onset_base"]);
    assert_eq!((p.len(), rows(&b.join("runs.csv")).len()), (2, 6));
}

#[test]
fn bad_sweep_specifications_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = out.to_str().unwrap().to_string();
    let t = tiny();
    let cases: &[(&[&str], &str)] = &[
        (&["--vary", "identity_decy=0.01..0.05"], "did you mean `identity_decay`"),
        (&["--vary", "identity_decay=0.05..0.01"], "is empty"),
        (&["--vary", "identity_decay=0.01..0.05:0"], "at least 2"),
        (&["--vary", "identity_decay=0.01..5"], "within its range 0..1"),
        (&[], "nothing to vary"),
        (
            &["--vary", "identity_decay=0.01..0.05", "--vary", "identity_decay=0..0.1"],
            "varied twice",
        ),
        (
            &["--vary", "identity_decay=0.01..0.05", "--set", "identity_decay=0.03"],
            "both set (--set) and varied",
        ),
        (
            &["--vary", "identity_decay=0.01..0.05", "--samples", "10"],
            "--samples does not apply to a grid",
        ),
        (
            &["--vary", "identity_decay=0.01..0.05:4", "--design", "lhs"],
            "gives grid levels",
        ),
        (
            &[
                "--vary",
                "identity_decay=0.01..0.05",
                "--design",
                "morris",
                "--levels",
                "5",
            ],
            "even",
        ),
        (
            &[
                "--vary",
                "identity_decay=0.01..0.05",
                "--design",
                "sobol",
                "--samples",
                "1",
            ],
            "sobol",
        ),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&str> = vec![&t];
        all.extend_from_slice(args);
        all.extend(["--out", &o, "-q"]);
        let r = sweep(&all);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: expected {expected:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{args:?}: nothing written");
    }
    // A design file outside a parameter's range, and one that is not numbers.
    let design = dir.path().join("d.csv");
    fs::write(&design, "identity_decay\n0.5\n3\n").unwrap();
    let r = sweep(&[&t, "--design-file", design.to_str().unwrap(), "--out", &o, "-q"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("point 1: identity_decay = 3 is outside its range"),
        "{}",
        text(&r.stderr)
    );
    fs::write(&design, "identity_decay\n0.5\nabc\n").unwrap();
    let r = sweep(&[&t, "--design-file", design.to_str().unwrap(), "--out", &o, "-q"]);
    assert!(
        text(&r.stderr).contains("line 3, column `identity_decay`: `abc` is not a number"),
        "{}",
        text(&r.stderr)
    );
}

/// Replaces the `system.cohesion` column of a sweep's runs.csv with `f(point's unit values)`,
/// so that `comity sensitivity` analyses a function with known indices through its own path.
fn rewrite_outcome(dir: &Path, ranges: &[(f64, f64)], f: impl Fn(&[f64]) -> f64) {
    let (_, points) = read_csv(&dir.join("points.csv"));
    let unit: Vec<Vec<f64>> = points
        .iter()
        .map(|r| {
            r[2..]
                .iter()
                .zip(ranges)
                .map(|(v, (lo, hi))| (v.parse::<f64>().unwrap() - lo) / (hi - lo))
                .collect()
        })
        .collect();
    let (header, rows) = read_csv(&dir.join("runs.csv"));
    let col = header.iter().position(|h| h == "system.cohesion").unwrap();
    let mut w = csv::Writer::from_path(dir.join("runs.csv")).unwrap();
    w.write_record(&header).unwrap();
    for mut r in rows {
        let p: usize = r[0].parse().unwrap();
        r[col] = format!("{}", f(&unit[p]));
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn sensitivity_recovers_the_ishigami_indices_through_the_command() {
    use comity::sensitivity::{ISHIGAMI_FIRST, ISHIGAMI_TOTAL, ishigami};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ish");
    let names = ["identity_decay", "identity_growth", "norm_copy_share"];
    ok(&sweep(&[
        &tiny(),
        "--vary",
        "identity_decay=0..1",
        "--vary",
        "identity_growth=0..1",
        "--vary",
        "norm_copy_share=0..1",
        "--design",
        "sobol",
        "--samples",
        "2048",
        "--runs",
        "1",
        "--lens",
        "realist",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]));
    let pi = std::f64::consts::PI;
    rewrite_outcome(&out, &[(0.0, 1.0); 3], |u| {
        ishigami(&u.iter().map(|x| -pi + 2.0 * pi * x).collect::<Vec<_>>())
    });
    let csv = dir.path().join("s.csv");
    let o = run(&[
        "sensitivity",
        out.to_str().unwrap(),
        "--metric",
        "system.cohesion",
        "--csv",
        csv.to_str().unwrap(),
        "--bootstrap",
        "200",
    ]);
    ok(&o);
    assert!(text(&o.stdout).contains("Sobol indices"), "{}", text(&o.stdout));
    let (header, rows) = read_csv(&csv);
    assert_eq!(
        header,
        [
            "lens",
            "metric",
            "method",
            "factor",
            "statistic",
            "estimate",
            "ci_low",
            "ci_high"
        ]
    );
    for (i, name) in names.iter().enumerate() {
        for (stat, analytic) in [("S1", ISHIGAMI_FIRST[i]), ("ST", ISHIGAMI_TOTAL[i])] {
            let r = rows.iter().find(|r| r[3] == *name && r[4] == stat).unwrap();
            let (est, lo, hi): (f64, f64, f64) = (r[5].parse().unwrap(), r[6].parse().unwrap(), r[7].parse().unwrap());
            assert!(
                (est - analytic).abs() < 0.05,
                "{name} {stat}: {est} vs analytic {analytic}"
            );
            assert!(lo <= est && est <= hi, "{name} {stat}: {est} outside [{lo}, {hi}]");
        }
    }

    // Scenario discovery through the same command: the box where x1 > 0.7 and x2 < 0.4.
    rewrite_outcome(&out, &[(0.0, 1.0); 3], |u| {
        f64::from(u8::from(u[0] > 0.7 && u[1] < 0.4))
    });
    let o = run(&[
        "sensitivity",
        out.to_str().unwrap(),
        "--where",
        "system.cohesion > 0.5",
        "--json",
    ]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let w = &v["lenses"][0]["where"];
    let chosen = &w["trajectory"][w["chosen"].as_u64().unwrap() as usize];
    assert!(chosen["density"].as_f64().unwrap() > 0.9, "{chosen}");
    let bounds = chosen["bounds"].as_array().unwrap();
    let bound = |name: &str| {
        bounds
            .iter()
            .find(|b| b[0] == name)
            .map(|b| (b[1].as_f64().unwrap(), b[2].as_f64().unwrap()))
    };
    let (lo, _) = bound("identity_decay").expect("x1 restricted");
    let (_, hi) = bound("identity_growth").expect("x2 restricted");
    assert!((lo - 0.7).abs() < 0.05 && (hi - 0.4).abs() < 0.05, "{bounds:?}");
}

#[test]
fn sensitivity_refuses_what_it_cannot_analyse() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("s"), dir.path().join("r"));
    ok(&sweep(&[
        &tiny(),
        "--vary",
        "identity_decay=0.01..0.05:3",
        "--runs",
        "3",
        "--out",
        s.to_str().unwrap(),
        "-q",
    ]));
    ok(&run(&[
        "run",
        &tiny(),
        "--runs",
        "3",
        "--out",
        r.to_str().unwrap(),
        "-q",
    ]));
    let cases: &[(&str, &[&str], i32, &str)] = &[
        (
            r.to_str().unwrap(),
            &["--metric", "system.cohesion"],
            65,
            "not of `comity sweep`",
        ),
        (
            s.to_str().unwrap(),
            &["--metric", "system.cohesin"],
            65,
            "did you mean `system.cohesion`",
        ),
        (
            s.to_str().unwrap(),
            &["--metric", "sytem.cohesion@2005"],
            65,
            "did you mean `system`",
        ),
        (
            s.to_str().unwrap(),
            &["--metric", "system.cohesion@1990"],
            65,
            "no year 1990",
        ),
        (
            s.to_str().unwrap(),
            &["--metric", "system.cohesion", "--lens", "liberal"],
            2,
            "did not run lens `liberal`",
        ),
        (s.to_str().unwrap(), &[], 2, "nothing to analyse"),
        (
            s.to_str().unwrap(),
            &["--where", "system.cohesion = 3"],
            2,
            "no comparison",
        ),
        (
            s.to_str().unwrap(),
            &["--where", "system.cohesion < -5"],
            65,
            "holds in none of the 9 runs",
        ),
    ];
    for (folder, args, code, expected) in cases {
        let mut all = vec!["sensitivity", folder];
        all.extend_from_slice(args);
        let o = run(&all);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(*code), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: expected {expected:?} in {err}");
    }
    // compare is for run folders: a sweep gets a pointer to the right commands.
    let o = run(&["compare", s.to_str().unwrap(), r.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("belongs to a sweep"), "{}", text(&o.stderr));
    // The grid's analysis is regression; a year's value works too.
    let o = run(&["sensitivity", s.to_str().unwrap(), "--metric", "system.cohesion@2005"]);
    ok(&o);
    assert!(
        text(&o.stdout).contains("Standardised regression coefficients"),
        "{}",
        text(&o.stdout)
    );
}
