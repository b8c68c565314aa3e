//! `comity run --dyad-years`: `dyad_years.csv`, the peace-science dyad-years of the first runs
//! (docs/outputs.md). Shards, merge and resume of the file are in `tests/shards.rs`; `--force`
//! in `tests/reliability.rs`; the R and Python logit snippets in `tests/docs.rs`.

mod common;
use comity::params::Params;
use comity::results::DYAD_YEARS_COLUMNS;
use comity::sim::{Prepared, Record};
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::Arc;

const SCENARIO: &str = "scenarios/western_community.toml";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "exit {:?}\n{}", o.status.code(), text(&o.stderr));
}

/// The western scenario, two lenses, 12 runs, dyad-years of the first 5.
fn western(out: &Path, threads: &str, dyad_years: bool) {
    let mut args = vec![
        "run",
        SCENARIO,
        "--runs",
        "12",
        "--lens",
        "realist,constructivist",
        "--disputes",
        "--threads",
        threads,
        "-q",
        "--out",
        s(out),
    ];
    if dyad_years {
        args.extend(["--dyad-years", "--dyad-years-runs", "5"]);
    }
    ok(&run(&args));
}

#[test]
fn dyad_years_have_the_columns_and_a_row_per_lens_run_year_and_pair() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dy");
    western(&out, "2", true);
    let (header, rows) = read_csv(&out.join("dyad_years.csv"));
    assert_eq!(header, DYAD_YEARS_COLUMNS);
    // 2 lenses x 5 runs x 15 years (2016-2030) x 120 pairs of 16 states.
    assert_eq!(rows.len(), 2 * 5 * 15 * 120);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (lens, run, year) = (col("lens"), col("run"), col("year"));
    let (c1, c2) = (col("ccode1"), col("ccode2"));
    // (lens, run, year) blocks in order, each the same 120 pairs in ccode order.
    let mut blocks: Vec<(String, u64, i64)> = Vec::new();
    let mut pairs_of_first: Vec<(i64, i64)> = Vec::new();
    for r in &rows {
        let key = (r[lens].clone(), r[run].parse().unwrap(), r[year].parse().unwrap());
        if blocks.last() != Some(&key) {
            blocks.push(key.clone());
        }
        let codes = (r[c1].parse::<i64>().unwrap(), r[c2].parse::<i64>().unwrap());
        assert!(codes.0 < codes.1, "ccode1 < ccode2: {r:?}");
        if blocks.len() == 1 {
            pairs_of_first.push(codes);
        }
    }
    assert_eq!(blocks.len(), 2 * 5 * 15);
    let expected: Vec<(String, u64, i64)> = ["realist", "constructivist"]
        .iter()
        .flat_map(|l| (0..5u64).flat_map(move |r| (2016..=2030).map(move |y| (l.to_string(), r, y))))
        .collect();
    assert_eq!(blocks, expected);
    let mut sorted = pairs_of_first.clone();
    sorted.sort();
    assert_eq!(pairs_of_first, sorted, "pairs sorted by ccode1, ccode2");
    assert_eq!(pairs_of_first.len(), 120);
    // Every cell is defined: 0/1 flags, levels 0-5, finite numbers.
    for r in &rows {
        for name in [
            "midonset",
            "midonset_naive",
            "contiguous",
            "major",
            "ally",
            "scripted",
            "kantian",
            "shared_community",
        ] {
            assert!(r[col(name)] == "0" || r[col(name)] == "1", "{name}: {r:?}");
        }
        for name in ["hostlev", "hostlev_naive"] {
            assert!(
                matches!(r[col(name)].as_str(), "0" | "2" | "3" | "4" | "5"),
                "{name}: {r:?}"
            );
        }
        for name in &DYAD_YEARS_COLUMNS[12..19] {
            assert!(r[col(name)].parse::<f64>().unwrap().is_finite(), "{name}: {r:?}");
        }
    }
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["dyad_year_runs"], 5);
    assert!(m["files"].as_array().unwrap().iter().any(|f| f == "dyad_years.csv"));
}

/// Every (lens, run, year, pair) of `disputes.csv` (runs below 5) has `midonset` 1 with the
/// highest `hostlev` of its disputes, and no other row has; `midonset_naive` adds the joiners'
/// pairs with the initiator.
#[test]
fn midonset_is_disputes_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dy");
    western(&out, "2", true);
    let (dh, disputes) = read_csv(&out.join("disputes.csv"));
    let dc = |name: &str| dh.iter().position(|h| h == name).unwrap();
    let key = |lens: &str, run: &str, year: &str, a: &str, b: &str| {
        let (x, y) = if a < b { (a, b) } else { (b, a) };
        (
            lens.to_string(),
            run.parse::<u64>().unwrap(),
            year.parse::<i64>().unwrap(),
            x.to_string(),
            y.to_string(),
        )
    };
    let mut direct: BTreeMap<_, u8> = BTreeMap::new();
    let mut naive: BTreeMap<_, u8> = BTreeMap::new();
    let mut scripted = BTreeSet::new();
    for d in disputes.iter().filter(|d| d[dc("run")].parse::<u64>().unwrap() < 5) {
        let level: u8 = d[dc("hostlev")].parse().unwrap();
        let (lens, run, year, a) = (&d[dc("lens")], &d[dc("run")], &d[dc("year")], &d[dc("state_a")]);
        let k = key(lens, run, year, a, &d[dc("state_b")]);
        let e = direct.entry(k.clone()).or_default();
        *e = (*e).max(level);
        let e = naive.entry(k.clone()).or_default();
        *e = (*e).max(level);
        if d[dc("scripted")] == "1" {
            scripted.insert(k);
        }
        for j in d[dc("joiners")].split(';').filter(|j| !j.is_empty()) {
            let e = naive.entry(key(lens, run, year, a, j)).or_default();
            *e = (*e).max(level);
        }
    }
    assert!(direct.len() > 50, "the test needs disputes: {}", direct.len());
    assert!(naive.len() > direct.len(), "and joiners");
    let (yh, rows) = read_csv(&out.join("dyad_years.csv"));
    let yc = |name: &str| yh.iter().position(|h| h == name).unwrap();
    let (mut seen, mut seen_naive) = (0, 0);
    for r in &rows {
        let k = key(
            &r[yc("lens")],
            &r[yc("run")],
            &r[yc("year")],
            &r[yc("state_a")],
            &r[yc("state_b")],
        );
        let want = direct.get(&k).copied().unwrap_or(0);
        assert_eq!(r[yc("midonset")], u8::from(want > 0).to_string(), "{r:?}");
        assert_eq!(r[yc("hostlev")], want.to_string(), "{r:?}");
        let want_naive = naive.get(&k).copied().unwrap_or(0);
        assert_eq!(r[yc("midonset_naive")], u8::from(want_naive > 0).to_string(), "{r:?}");
        assert_eq!(r[yc("hostlev_naive")], want_naive.to_string(), "{r:?}");
        assert_eq!(r[yc("scripted")], u8::from(scripted.contains(&k)).to_string(), "{r:?}");
        seen += usize::from(want > 0);
        seen_naive += usize::from(want_naive > 0);
    }
    assert_eq!(
        (seen, seen_naive),
        (direct.len(), naive.len()),
        "every dispute's pair has a row"
    );
}

#[test]
fn dyad_years_are_the_same_bytes_at_every_thread_count_and_change_no_other_file() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, none) = (dir.path().join("one"), dir.path().join("two"), dir.path().join("none"));
    western(&one, "1", true);
    western(&two, "2", true);
    western(&none, "2", false);
    let read = |d: &Path, f: &str| fs::read(d.join(f)).unwrap();
    assert!(
        read(&one, "dyad_years.csv") == read(&two, "dyad_years.csv"),
        "dyad_years.csv differs across threads"
    );
    for f in ["timeseries.csv", "runs.csv", "disputes.csv", "pairs.csv"] {
        assert!(read(&one, f) == read(&two, f), "{f} differs across threads");
        assert!(read(&none, f) == read(&two, f), "{f} differs with --dyad-years");
    }
    assert!(!none.join("dyad_years.csv").exists());
}

/// Recording draws nothing: a run's metrics and disputes are the same bits with or without it.
#[test]
fn recording_dyad_years_leaves_a_run_unchanged() {
    let scenario = Arc::new(comity::scenario::load(&repo(SCENARIO)).unwrap());
    let p = Prepared::new(scenario);
    let params = Params::default();
    for run in 0..3 {
        let plain = p.run_with(
            &params,
            7,
            run,
            Record {
                disputes: true,
                dyad_years: false,
            },
        );
        let with = p.run_with(
            &params,
            7,
            run,
            Record {
                disputes: true,
                dyad_years: true,
            },
        );
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&plain.metrics), bits(&with.metrics));
        assert_eq!(bits(&plain.pairs), bits(&with.pairs));
        assert_eq!(plain.disputes, with.disputes);
        assert!(plain.dyad_years.is_empty());
        assert_eq!(with.dyad_years.len(), 15);
        assert!(with.dyad_years.iter().all(|y| y.pairs.len() == 120));
    }
}

/// States without a COW code: empty ccode cells, after the states that have one, in scenario
/// order; a scripted crisis is a `midonset` marked `scripted`.
#[test]
fn states_without_ccodes_come_last_and_crises_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap();
    // AAA and CCC lose their codes; BBB's becomes 50, DDD keeps 4.
    let text = tiny
        .replace("id = \"AAA\"\nccode = 1\n", "id = \"AAA\"\n")
        .replace("id = \"CCC\"\nccode = 3\n", "id = \"CCC\"\n")
        .replace("id = \"BBB\"\nccode = 2\n", "id = \"BBB\"\nccode = 50\n");
    assert_ne!(text, tiny);
    let scenario = dir.path().join("codes.toml");
    fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    ok(&run(&[
        "run",
        s(&scenario),
        "--runs",
        "3",
        "--dyad-years",
        "-q",
        "--out",
        s(&out),
    ]));
    let (h, rows) = read_csv(&out.join("dyad_years.csv"));
    let c = |name: &str| h.iter().position(|x| x == name).unwrap();
    // The defaults: 10 runs asked, clamped to the 3 there are.
    assert_eq!(rows.len(), 3 * 11 * 6);
    let pairs: Vec<(String, String, String, String)> = rows[..6]
        .iter()
        .map(|r| {
            (
                r[c("state_a")].clone(),
                r[c("state_b")].clone(),
                r[c("ccode1")].clone(),
                r[c("ccode2")].clone(),
            )
        })
        .collect();
    let want = [
        ("DDD", "BBB", "4", "50"),
        ("DDD", "AAA", "4", ""),
        ("DDD", "CCC", "4", ""),
        ("BBB", "AAA", "50", ""),
        ("BBB", "CCC", "50", ""),
        ("AAA", "CCC", "", ""),
    ]
    .map(|(a, b, x, y)| (a.to_string(), b.to_string(), x.to_string(), y.to_string()));
    assert_eq!(pairs, want);
    // The crisis: DDD against BBB in 2002, at use of force, in every run.
    let crises: Vec<&Vec<String>> = rows.iter().filter(|r| r[c("scripted")] == "1").collect();
    assert_eq!(crises.len(), 3, "{crises:?}");
    for r in crises {
        assert_eq!(
            (
                r[c("year")].as_str(),
                r[c("state_a")].as_str(),
                r[c("state_b")].as_str()
            ),
            ("2002", "DDD", "BBB")
        );
        assert_eq!(r[c("midonset")], "1");
        assert!(r[c("hostlev")].parse::<u8>().unwrap() >= 4);
    }
    let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["dyad_year_runs"], 3);
}

#[test]
fn dyad_years_runs_is_checked_and_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let base = ["run", SCENARIO, "--runs", "3", "--out", s(&out)];
    // 0 is refused, and so is --dyad-years-runs alone: usage errors that write nothing.
    for extra in [
        &["--dyad-years", "--dyad-years-runs", "0"][..],
        &["--dyad-years-runs", "2"][..],
    ] {
        let o = run(&[&base[..], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", text(&o.stderr));
        assert!(!out.exists());
    }
    // More than --runs: every run, with a note.
    let o = run(&[&base[..], &["--dyad-years", "--dyad-years-runs", "50"][..]].concat());
    ok(&o);
    assert!(
        text(&o.stderr).contains("--dyad-years-runs 50 is more than the 3 runs"),
        "{}",
        text(&o.stderr)
    );
    let (_, rows) = read_csv(&out.join("dyad_years.csv"));
    assert_eq!(rows.len(), 3 * 15 * 120);
    // The help documents both flags.
    let help = text(&run(&["run", "--help"]).stdout);
    assert!(
        help.contains("--dyad-years") && help.contains("--dyad-years-runs <N>"),
        "{help}"
    );
}

/// The covariates are those the onset draw of the year saw: `peace_years` is 1 in the year after
/// a year with a dispute of the pair (joiners' pairs included, whose peace ends too), and one
/// more than the year before otherwise.
#[test]
fn peace_years_count_from_the_last_dispute_as_onset_saw_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dy");
    western(&out, "2", true);
    let (h, rows) = read_csv(&out.join("dyad_years.csv"));
    let c = |name: &str| h.iter().position(|x| x == name).unwrap();
    // (lens, run, state_a, state_b) -> (year, peace_years, midonset) of the pair's last row
    type Key = (String, String, String, String);
    let mut last: BTreeMap<Key, (i64, f64, bool)> = BTreeMap::new();
    let (mut after_dispute, mut checked) = (0, 0);
    for r in &rows {
        let key = (
            r[c("lens")].clone(),
            r[c("run")].clone(),
            r[c("state_a")].clone(),
            r[c("state_b")].clone(),
        );
        let year: i64 = r[c("year")].parse().unwrap();
        let peace: f64 = r[c("peace_years")].parse().unwrap();
        if let Some(&(y, p, disputed)) = last.get(&key) {
            assert_eq!(y + 1, year);
            let want = if disputed { 1.0 } else { p + 1.0 };
            assert_eq!(peace, want, "{r:?}");
            after_dispute += usize::from(disputed);
            checked += 1;
        }
        last.insert(key, (year, peace, r[c("midonset_naive")] == "1"));
    }
    assert_eq!(checked, 2 * 5 * 14 * 120);
    assert!(after_dispute > 50, "{after_dispute}");
}

/// With quarterly steps a year is still one row per pair: `midonset` covers the year's four
/// steps (the disputes of `disputes.csv` in that year), the covariates are the first step's.
#[test]
fn quarterly_steps_give_one_row_per_pair_and_year() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap();
    let text = tiny.replace("end = 2010\n", "end = 2010\nstep = \"quarter\"\n");
    assert_ne!(text, tiny);
    let scenario = dir.path().join("quarters.toml");
    fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    ok(&run(&[
        "run",
        s(&scenario),
        "--runs",
        "4",
        "--dyad-years",
        "--disputes",
        "-q",
        "--out",
        s(&out),
    ]));
    let (h, rows) = read_csv(&out.join("dyad_years.csv"));
    let c = |name: &str| h.iter().position(|x| x == name).unwrap();
    assert_eq!(rows.len(), 4 * 11 * 6);
    let (dh, disputes) = read_csv(&out.join("disputes.csv"));
    let dc = |name: &str| dh.iter().position(|x| x == name).unwrap();
    let pair = |a: &str, b: &str| {
        if a < b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    };
    let mut want: BTreeMap<(String, String, (String, String)), u8> = BTreeMap::new();
    for d in &disputes {
        let e = want
            .entry((
                d[dc("run")].clone(),
                d[dc("year")].clone(),
                pair(&d[dc("state_a")], &d[dc("state_b")]),
            ))
            .or_default();
        *e = (*e).max(d[dc("hostlev")].parse().unwrap());
    }
    assert!(!want.is_empty());
    let mut seen = 0;
    for r in &rows {
        let k = (
            r[c("run")].clone(),
            r[c("year")].clone(),
            pair(&r[c("state_a")], &r[c("state_b")]),
        );
        let level = want.get(&k).copied().unwrap_or(0);
        assert_eq!(r[c("hostlev")], level.to_string(), "{r:?}");
        assert_eq!(r[c("midonset")], u8::from(level > 0).to_string(), "{r:?}");
        seen += usize::from(level > 0);
    }
    assert_eq!(seen, want.len());
}

/// A stopped run resumes only with the `--dyad-years-runs` it was started with (the file's
/// bytes across a resume are checked in `tests/shards.rs`).
#[test]
fn a_run_resumes_only_with_its_own_dyad_years() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run",
            SCENARIO,
            "--runs",
            "40",
            "--threads",
            "1",
            "-q",
            "--out",
            s(&out),
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let o = bin()
        .args(args(&["--dyad-years", "--dyad-years-runs", "12"]))
        .env("COMITY_TEST_STOP_AFTER_RUNS", "8")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    for other in [&["--resume"][..], &["--resume", "--dyad-years"][..]] {
        let o = bin().args(args(other)).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{other:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("`dyad_year_runs` differs"),
            "{}",
            text(&o.stderr)
        );
    }
    let o = bin()
        .args(args(&["--dyad-years", "--dyad-years-runs", "12", "--resume"]))
        .output()
        .unwrap();
    ok(&o);
    let (_, rows) = read_csv(&out.join("dyad_years.csv"));
    assert_eq!(rows.len(), 12 * 15 * 120);
}
