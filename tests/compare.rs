//! `comity compare`: paired and Welch comparisons, corrections, mismatches.

mod common;
use comity::compare::{self, Method, Options, OutputSet};
use common::*;
use std::collections::BTreeMap;
use std::fs;

/// A deterministic normal generator (LCG + Box-Muller), so the tests cannot flake.
struct Normal(u64);
impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn set(label: &str, seed: Option<u64>, values: Vec<Vec<f64>>) -> OutputSet {
    let columns: Vec<String> = (0..values[0].len()).map(|k| format!("system.m{k}")).collect();
    let runs: BTreeMap<u64, Vec<Option<f64>>> = values
        .into_iter()
        .enumerate()
        .map(|(r, v)| (r as u64, v.into_iter().map(Some).collect()))
        .collect();
    OutputSet {
        label: label.into(),
        dir: ".".into(),
        seed,
        period: None,
        columns,
        runs: BTreeMap::from([("default".to_string(), runs)]),
        timeseries: None,
        at: None,
        pairs: Vec::new(),
    }
}

fn opts() -> Options {
    Options {
        lens_a: None,
        lens_b: None,
        at: Vec::new(),
        at_only: false,
        alpha: 0.05,
        metrics: Vec::new(),
        communities: Vec::new(),
    }
}

/// Runs the tiny fixture without (A) and with (B) its 2004 withdrawal, same seed, with
/// `extra` flags; returns the temp dir and the two output folders.
fn withdrawal_twins(runs: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let with = fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap();
    let cut = with.find("[[event]]\nat = \"2004-06\"").expect("the withdrawal event");
    let without_path = dir.path().join("tiny_without.toml");
    fs::write(&without_path, &with[..cut]).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    simulate(without_path.to_str().unwrap(), runs, &a, extra);
    simulate("tests/fixtures/tiny.toml", runs, &b, extra);
    (dir, a, b)
}

/// `comity run SCENARIO --runs RUNS --quiet --out OUT EXTRA...`, which must succeed.
fn simulate(scenario: &str, runs: &str, out: &std::path::Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        scenario,
        "--runs",
        runs,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn a_known_shift_is_found_and_only_there() {
    let mut g = Normal(11);
    let a: Vec<Vec<f64>> = (0..100).map(|_| (0..10).map(|_| g.next()).collect()).collect();
    // B: the same runs (common random numbers) plus run-level noise, and a shift of 0.5 on m3.
    let b: Vec<Vec<f64>> = a
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(k, x)| x + 0.3 * g.next() + if k == 3 { 0.5 } else { 0.0 })
                .collect()
        })
        .collect();
    let cmp = compare::compare(&set("A", Some(1), a), Some(&set("B", Some(1), b)), &opts()).unwrap();
    assert!(cmp.rows.iter().all(|r| r.method == Method::Paired));
    let sig: Vec<&str> = cmp
        .rows
        .iter()
        .filter(|r| r.significant)
        .map(|r| r.metric.as_str())
        .collect();
    assert_eq!(sig, ["system.m3"]);
    let m3 = &cmp.rows[3];
    let se = (m3.ci_high - m3.ci_low) / (2.0 * 1.984);
    assert!(
        (m3.diff - 0.5).abs() < 4.0 * se,
        "the estimate is near the true shift: {m3:?}"
    );
}

#[test]
fn without_a_shift_false_alarms_stay_at_the_stated_rate() {
    // 200 comparisons of independent samples with no true difference, 10 metrics each:
    // Holm keeps P(any false positive) <= 5%, so about 10 of 200 at most.
    let mut g = Normal(5);
    let mut alarms = 0;
    for k in 0..200 {
        let a: Vec<Vec<f64>> = (0..50).map(|_| (0..10).map(|_| g.next()).collect()).collect();
        let b: Vec<Vec<f64>> = (0..50).map(|_| (0..10).map(|_| g.next()).collect()).collect();
        let cmp = compare::compare(&set("A", Some(k), a), Some(&set("B", Some(k + 1000), b)), &opts()).unwrap();
        assert!(cmp.rows.iter().all(|r| r.method == Method::Welch));
        alarms += usize::from(cmp.rows.iter().any(|r| r.significant));
    }
    assert!(alarms <= 16, "{alarms} of 200 null comparisons raised an alarm");
    assert!(alarms >= 1, "a test that never fires is not testing: {alarms}");
}

#[test]
fn an_output_compared_with_itself_shows_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("self");
    simulate("tests/fixtures/tiny.toml", "30", &out, &[]);
    let o = run(&[
        "compare",
        out.to_str().unwrap(),
        out.to_str().unwrap(),
        "--json",
        "--at",
        "2005",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert!(rows.len() > 40);
    for r in rows {
        assert_eq!(r["diff"], 0.0, "{r}");
        assert_eq!(r["significant"], false);
    }
    assert!(json["notes"][0].as_str().unwrap().starts_with("paired"));
    // and two lenses of one output (here the same lens twice) pair too
    let o = run(&[
        "compare",
        out.to_str().unwrap(),
        "--lens",
        "constructivist",
        "--vs",
        "constructivist",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("0 of"), "{}", text(&o.stdout));
}

#[test]
fn common_random_numbers_isolate_a_withdrawal() {
    let (dir, a, b) = withdrawal_twins("40", &[]);
    let csv_path = dir.path().join("cmp.csv");
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let table = text(&o.stdout);
    assert!(table.contains("paired run-by-run differences"), "{table}");
    let (header, rows) = read_csv(&csv_path);
    assert_eq!(
        header,
        [
            "community",
            "metric",
            "year",
            "lens_a",
            "lens_b",
            "a_dir",
            "b_dir",
            "seed_a",
            "seed_b",
            "n_a",
            "n_b",
            "mean_a",
            "mean_b",
            "diff",
            "ci_low",
            "ci_high",
            "effect",
            "effect_kind",
            "test",
            "p",
            "p_holm",
            "significant",
            "note"
        ]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cohesion = rows
        .iter()
        .find(|r| r[0] == "core" && r[1] == "cohesion" && r[2].is_empty())
        .unwrap();
    let diff: f64 = cohesion[col("diff")].parse().unwrap();
    assert!(
        diff < 0.0,
        "leaving the accord lowers the core's cohesion: {cohesion:?}"
    );
    assert_eq!(
        cohesion[col("significant")],
        "1",
        "and the paired test sees it: {cohesion:?}"
    );
    assert_eq!(
        (cohesion[col("effect_kind")].as_str(), cohesion[col("test")].as_str()),
        ("d_z", "paired")
    );
    assert_eq!(cohesion[col("a_dir")], a.to_str().unwrap());
    // Non-computable values are explicit: NA with a note, infinite effects as Inf/-Inf.
    for r in &rows {
        for c in ["mean_a", "mean_b", "diff", "ci_low", "ci_high", "effect", "p", "p_holm"] {
            let v = &r[col(c)];
            assert!(
                v == "NA" || v == "Inf" || v == "-Inf" || v.parse::<f64>().is_ok_and(f64::is_finite),
                "{c} = {v:?} in {r:?}"
            );
        }
        if r[col("effect")].ends_with("Inf") {
            assert!(!r[col("note")].is_empty(), "{r:?}");
        }
    }
    // the CSV is not overwritten without --force
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"));
}

#[test]
fn mismatched_inputs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("tiny"), dir.path().join("csvw"));
    simulate("tests/fixtures/tiny.toml", "5", &a, &[]);
    let odd = dir.path().join("odd.toml");
    let text_tiny = fs::read_to_string(repo("tests/fixtures/tiny.toml"))
        .unwrap()
        .replace("id = \"core\"", "id = \"inner\"");
    fs::write(&odd, text_tiny).unwrap();
    simulate(odd.to_str().unwrap(), "5", &b, &[]);
    let o = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65));
    let err = text(&o.stderr);
    assert!(
        err.contains("do not match") && err.contains("core.cohesion") && err.contains("inner.cohesion"),
        "{err}"
    );
    let o = run(&["compare", a.to_str().unwrap(), a.to_str().unwrap(), "--at", "1999"]);
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("covers 2000..2010"), "{}", text(&o.stderr));
    let o = run(&["compare", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "compare",
        dir.path().join("nothing").to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("has no runs.csv"));
}

#[test]
fn different_periods_compare_only_at_chosen_years() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("short.toml");
    fs::write(
        &short,
        fs::read_to_string(repo("tests/fixtures/tiny.toml"))
            .unwrap()
            .replace("end = 2010", "end = 2008"),
    )
    .unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    simulate("tests/fixtures/tiny.toml", "10", &a, &[]);
    simulate(short.to_str().unwrap(), "10", &b, &[]);
    let o = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65));
    let err = text(&o.stderr);
    assert!(
        err.contains("the simulated periods do not match") && err.contains("--at-only"),
        "{err}"
    );
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--at",
        "2005",
        "--at-only",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("core.cohesion@2005"));
    assert!(!text(&o.stdout).lines().any(|l| l.starts_with("core.cohesion ")));
}

#[test]
fn per_run_values_at_chosen_years_pair_the_at_rows() {
    let (dir, a, b) = withdrawal_twins("30", &["--at-years", "2005,2010"]);
    let (header, rows) = read_csv(&b.join("runs_at.csv"));
    assert_eq!(&header[..4], ["lens", "run", "year", "system.cohesion"]);
    assert_eq!(rows.len(), 30 * 2);
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--at",
        "2010",
        "--at-only",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    let row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "core.cohesion@2010")
        .unwrap()
        .clone();
    assert_eq!(row["method"], "paired");
    assert!(
        row["diff"].as_f64().unwrap() < 0.0 && row["significant"] == true,
        "{row}"
    );
    assert!(
        json["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("pair runs_at.csv"))
    );
    // without runs_at.csv for a year, that year falls back to Welch on the summaries
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--at",
        "2008",
        "--at-only",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&text(&o.stdout)).unwrap();
    assert!(json["rows"].as_array().unwrap().iter().all(|r| r["method"] == "welch"));
    // a year outside the scenario is a usage error
    let o = run(&[
        "run",
        "tests/fixtures/tiny.toml",
        "--at-years",
        "1990",
        "--out",
        dir.path().join("c").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn filters_shared_lenses_and_a_reader_that_is_not_comitys() {
    let (dir, a, b) = withdrawal_twins("30", &["--lens", "realist,constructivist", "--at-years", "2005,2010"]);
    let csv_path = dir.path().join("f.csv");
    // Without --lens, every lens both sets hold is compared; filters keep cohesion of core only;
    // --at at the last year (2010) does not repeat the end-of-run cohesion.
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--metric",
        "cohesion",
        "--community",
        "core",
        "--at",
        "2005,2010",
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (header, rows) = read_csv(&csv_path);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let keys: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[col("lens_a")].clone(),
                r[col("metric")].clone(),
                r[col("year")].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("constructivist".into(), "cohesion".into(), "".into()),
            ("constructivist".into(), "cohesion".into(), "2005".into()),
            ("realist".into(), "cohesion".into(), "".into()),
            ("realist".into(), "cohesion".into(), "2005".into()),
        ]
    );
    assert!(rows.iter().all(|r| r[col("community")] == "core"));
    // Unknown filter values get a did-you-mean.
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--metric",
        "cohesin",
    ]);
    assert_eq!(o.status.code(), Some(65));
    assert!(
        text(&o.stderr).contains("did you mean `cohesion`"),
        "{}",
        text(&o.stderr)
    );

    // Python's csv and float() read every number back exactly as comity holds it (tiny p-values
    // in exponent form; NA and Inf as words). Skips, saying so, without python3.
    let all = dir.path().join("all.csv");
    let o = run(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--csv",
        all.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let script = "import csv,sys,math\n\
rows=list(csv.DictReader(open(sys.argv[1])))\n\
bad=[(r['metric'],c,r[c]) for r in rows for c in ('mean_a','mean_b','diff','effect','p','p_holm') if r[c] not in ('NA','Inf','-Inf') and not math.isfinite(float(r[c]))]\n\
tiny=[float(r['p']) for r in rows if r['p'] not in ('NA',) and 0<float(r['p'])<1e-15]\n\
print(len(rows), len(bad), len(tiny), min(tiny) if tiny else 1)\n";
    match std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&all)
        .output()
    {
        Ok(py) if py.status.success() => {
            let out = text(&py.stdout);
            let v: Vec<&str> = out.split_whitespace().collect();
            assert_eq!(v[1], "0", "python read non-finite numbers: {out}");
            let (_, rows) = read_csv(&all);
            assert_eq!(v[0], rows.len().to_string());
            // every p-value comity wrote reads back to the same double in Python
            let ours: Vec<f64> = rows
                .iter()
                .filter_map(|r| r[col("p")].parse::<f64>().ok())
                .filter(|p| *p > 0.0 && *p < 1e-15)
                .collect();
            assert_eq!(v[2], ours.len().to_string());
            if let Some(min) = ours.iter().copied().reduce(f64::min) {
                assert_eq!(v[3].parse::<f64>().unwrap(), min, "{out}");
            }
        }
        _ => eprintln!("SKIPPED part of filters_shared_lenses_and_a_reader_that_is_not_comitys: python3 not available"),
    }
}

#[test]
fn non_finite_cells_are_refused_by_name() {
    let (dir, a, b) = withdrawal_twins("10", &[]);
    let _keep = &dir;
    let runs = a.join("runs.csv");
    let text_in = fs::read_to_string(&runs).unwrap();
    let mut lines: Vec<String> = text_in.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "core.cohesion").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[col] = "NaN".into();
    lines[3] = cells.join(",");
    fs::write(&runs, lines.join("\n") + "\n").unwrap();
    let o = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65));
    let err = text(&o.stderr);
    assert!(
        err.contains("line 4, column core.cohesion") && err.contains("not a finite number"),
        "{err}"
    );
}
