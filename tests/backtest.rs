//! `comity backtest` on the committed excerpt tables (tests/fixtures/ir) and a nine-state world
//! of 1985-1989 (tests/fixtures/backtest): observed figures counted by hand from the excerpt,
//! simulated figures recounted here from `disputes.csv`, the errors of bad inputs; and, when
//! ../shared/data is present, the 1960 world's targets as calibrate.py printed them.

mod common;
use common::{repo, run, shared_data, text};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn world() -> String {
    repo("tests/fixtures/backtest/scenario.toml").display().to_string()
}

fn data() -> String {
    repo("tests/fixtures/ir").display().to_string()
}

/// A run of the fixture world with --disputes into `dir`.
fn simulate(dir: &Path, runs: &str) {
    let o = run(&[
        "run",
        &world(),
        "--runs",
        runs,
        "--disputes",
        "-q",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

fn backtest_json(dir: &Path, extra: &[&str]) -> Value {
    let data = data();
    let mut args = vec!["backtest", dir.to_str().unwrap(), "--data", &data, "--json", "--force"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn find<'a>(b: &'a Value, f: &dyn Fn(&Value) -> bool) -> &'a Value {
    b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| f(r))
        .unwrap_or_else(|| panic!("no such row"))
}

fn row<'a>(b: &'a Value, section: &str, scope: &str, category: &str, source: &str, lens: &str) -> &'a Value {
    let period = format!(
        "{}-{}",
        b["compared_years"][0].as_i64().unwrap(),
        b["compared_years"][1].as_i64().unwrap()
    );
    let observed = format!(
        "{}-{}",
        b["observed_years"][0].as_i64().unwrap(),
        b["observed_years"][1].as_i64().unwrap()
    );
    find(b, &|r| {
        r["section"] == section
            && r["scope"] == scope
            && r["category"] == category
            && r["source"] == source
            && r["lens"] == lens
            && (r["period"] == period.as_str() || r["period"] == observed.as_str())
    })
}

fn counts(r: &Value) -> (f64, f64) {
    (r["events"].as_f64().unwrap(), r["exposure"].as_f64().unwrap())
}

#[test]
fn observed_figures_are_the_hand_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    simulate(&out, "20");
    let b = backtest_json(&out, &["--baseline-years", "10", "--group", "usa_rus=USA,365"]);
    assert_eq!(b["compared_years"], serde_json::json!([1985, 1989]));
    assert_eq!(b["persistence_years"], serde_json::json!([1975, 1984]));
    // 1985-1989: nine COW members of the excerpt (Germany only from 1990), 36 pairs x 5 years.
    // Onsets: 1985 USA-GDR, USA-RUS, UKG-GDR, UKG-RUS; 1986 USA-RUS, RUS-CHN; 1987 CAN-FRN;
    // 1988 CAN-FRN; 1989 USA-CAN.
    let sys = |c: &str| counts(row(&b, "rate", "system", c, "observed", ""));
    assert_eq!(sys("all"), (9.0, 180.0));
    // contiguous (types 1-4): USA-CAN, USA-RUS, UKG-FRN, FRN-GFR, GFR-GDR, RUS-CHN, RUS-JPN
    assert_eq!(sys("contiguous"), (4.0, 35.0));
    // majors USA, UKG, FRN, RUS, CHN: 36 - 6 pairs among CAN, GFR, GDR, JPN
    assert_eq!(sys("major"), (9.0, 150.0));
    assert_eq!(sys("prd"), (9.0, 155.0));
    assert_eq!(sys("nonprd"), (0.0, 25.0));
    let all = row(&b, "rate", "system", "all", "observed", "");
    assert!((all["value"].as_f64().unwrap() - 0.05).abs() < 1e-12);
    // exact Poisson interval of 9 counts: 4.1150-17.0848 (R: poisson.test(9))
    assert!((all["lo"].as_f64().unwrap() * 180.0 - 4.115_13).abs() < 1e-3, "{all}");
    assert!((all["hi"].as_f64().unwrap() * 180.0 - 17.084_8).abs() < 1e-3, "{all}");
    // Like for like: the world has no Japan, and ATL has no COW code: 28 pairs x 5 years.
    assert_eq!(counts(row(&b, "rate", "world", "all", "observed", "")), (9.0, 140.0));
    // Persistence 1975-1984: 36 pairs x 10 years, 22 onsets.
    let p = row(&b, "rate", "system", "all", "persistence", "");
    assert!((p["value"].as_f64().unwrap() - 22.0 / 360.0).abs() < 1e-12);
    // Hostility of the disputes that began 1985-1989: 2232 (4), 3637 (3), 2718 (4), 2737 (2),
    // 2773 (4), 3900 (4).
    let h = |c: &str| counts(row(&b, "hostility", "system", c, "observed", ""));
    assert_eq!(h("threat"), (1.0, 6.0));
    assert_eq!(h("display"), (1.0, 6.0));
    assert_eq!(h("use_of_force"), (4.0, 6.0));
    assert_eq!(h("war"), (0.0, 6.0));
    // The community `west` (USA, CAN, UKG, FRN, GFR): CAN-FRN 1987, 1988 and USA-CAN 1989.
    assert_eq!(
        counts(row(&b, "group", "west", "onset_rate", "observed", "")),
        (3.0, 50.0)
    );
    let pair = find(&b, &|r| {
        r["section"] == "pair" && r["category"] == "CAN-FRN" && r["source"] == "observed"
    });
    assert_eq!(pair["value"], 2.0);
    // --group by id and COW code: USA-RUS quarrelled in 1985 and 1986.
    assert_eq!(
        counts(row(&b, "group", "usa_rus", "onset_rate", "observed", "")),
        (2.0, 5.0)
    );
    // Ranking: history = past onsets 1975-1984 + 0.5 if contiguous over the 28 pairs, 7 with a
    // real onset: AUC 0.7177 (counted pair by pair); the top decile (2.8 places) holds USA-RUS
    // (8.5: 2 onsets), RUS-CHN (4.5: 1) and 0.8 of GFR-RUS (2.0: 0) = 3 of 9.
    let auc = row(&b, "ranking", "world", "auc", "history", "");
    assert!(
        (auc["value"].as_f64().unwrap() - 0.717_687_074_829_932).abs() < 1e-12,
        "{auc}"
    );
    let top = row(&b, "ranking", "world", "top_decile_share", "history", "");
    assert!((top["value"].as_f64().unwrap() - 3.0 / 9.0).abs() < 1e-12, "{top}");
}

#[test]
fn simulated_figures_are_recounted_from_disputes_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    simulate(&out, "40");
    let b = backtest_json(&out, &[]);
    let lens = b["lenses"][0].as_str().unwrap().to_string();
    let (_, rows) = common::read_csv(&out.join("disputes.csv"));
    // unique (run, year, pair) of initiator-target pairs
    let onsets: BTreeSet<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            let (a, b) = if r[6] < r[7] { (&r[6], &r[7]) } else { (&r[7], &r[6]) };
            (r[1].clone(), r[5].clone(), a.clone(), b.clone())
        })
        .collect();
    let sim = row(&b, "rate", "world", "all", "simulated", &lens);
    // 9 states: 36 pairs x 5 years x 40 runs
    assert_eq!(counts(sim), (onsets.len() as f64, 36.0 * 5.0 * 40.0));
    let contiguous = [
        ("USA", "CAN"),
        ("USA", "RUS"),
        ("UKG", "FRN"),
        ("FRN", "GFR"),
        ("GFR", "GDR"),
        ("RUS", "CHN"),
    ];
    let n_cont = onsets
        .iter()
        .filter(|(_, _, a, b)| {
            contiguous
                .iter()
                .any(|&(x, y)| (a == x && b == y) || (a == y && b == x))
        })
        .count();
    assert_eq!(
        counts(row(&b, "rate", "world", "contiguous", "simulated", &lens)),
        (n_cont as f64, 6.0 * 5.0 * 40.0)
    );
    // the hostility mix counts dispute rows
    let wars = rows.iter().filter(|r| r[11] == "5").count();
    assert_eq!(
        counts(row(&b, "hostility", "system", "war", "simulated", &lens)),
        (wars as f64, rows.len() as f64)
    );
    // the same bytes again
    let first = fs::read(out.join("backtest.csv")).unwrap();
    backtest_json(&out, &[]);
    assert_eq!(first, fs::read(out.join("backtest.csv")).unwrap());
    // the report draws it
    let o = run(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("id=\"backtest\"") && page.contains("onset rate among west"),
        "no backtest section"
    );
    // and refuses an edited one by line
    fs::write(
        out.join("backtest.csv"),
        String::from_utf8(first)
            .unwrap()
            .replacen(",observed,", ",observed,x", 1),
    )
    .unwrap();
    let o = run(&["report", out.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(65), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("backtest.csv line 2"), "{}", text(&o.stderr));
}

#[test]
fn bad_inputs_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    simulate(&out, "3");
    let o_str = out.to_str().unwrap();
    let fail = |args: &[&str], code: i32, needle: &str| {
        let o = run(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    };
    // no such --data folder
    fail(&["backtest", o_str, "--data", "/nonexistent/ir"], 65, "no such folder");
    // a folder without the tables
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    fail(
        &["backtest", o_str, "--data", empty.to_str().unwrap()],
        65,
        "cow_states_v2016",
    );
    // a table without a column
    let broken = tmp.path().join("broken");
    fs::create_dir(&broken).unwrap();
    for f in fs::read_dir(repo("tests/fixtures/ir")).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            fs::copy(f.path(), broken.join(f.file_name())).unwrap();
        }
    }
    let d = fs::read_to_string(broken.join("cow_mid5_disputes.csv")).unwrap();
    fs::write(
        broken.join("cow_mid5_disputes.csv"),
        d.replacen("hostlev", "hostility", 1),
    )
    .unwrap();
    fail(
        &["backtest", o_str, "--data", broken.to_str().unwrap()],
        65,
        "no column `hostlev`",
    );
    // a bad cell names its file and line
    fs::write(
        broken.join("cow_mid5_disputes.csv"),
        d.replacen("2232,1985", "2232,19x5", 1),
    )
    .unwrap();
    fail(
        &["backtest", o_str, "--data", broken.to_str().unwrap()],
        65,
        "cow_mid5_disputes.csv line",
    );
    // an output without disputes.csv names the command that makes one
    let plain = tmp.path().join("plain");
    let o = run(&["run", &world(), "--runs", "2", "-q", "--out", plain.to_str().unwrap()]);
    assert!(o.status.success());
    fail(
        &["backtest", plain.to_str().unwrap(), "--data", &data()],
        65,
        "--disputes",
    );
    // years the record does not cover
    let late = tmp.path().join("late");
    let o = run(&[
        "run",
        repo("tests/fixtures/tiny.toml").to_str().unwrap(),
        "--runs",
        "2",
        "--disputes",
        "-q",
        "--out",
        late.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    fail(
        &["backtest", late.to_str().unwrap(), "--data", &data()],
        65,
        "no year to compare",
    );
    // a group naming an unknown state; a malformed one
    fail(
        &["backtest", o_str, "--data", &data(), "--group", "x=USA,XYZ", "--force"],
        65,
        "`XYZ`",
    );
    fail(&["backtest", o_str, "--data", &data(), "--group", "x"], 2, "NAME=ID");
    // backtest.csv is not replaced without --force
    let o = run(&["backtest", o_str, "--data", &data(), "--force"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    fail(&["backtest", o_str, "--data", &data()], 2, "already exists");
    // a scenario changed since the run
    let copy = tmp.path().join("w.toml");
    fs::write(&copy, fs::read_to_string(world()).unwrap() + "\n# edited\n").unwrap();
    fail(
        &[
            "backtest",
            o_str,
            "--data",
            &data(),
            "--scenario",
            copy.to_str().unwrap(),
            "--force",
        ],
        65,
        "has changed since the run",
    );
}

/// The 1960 calibration world: the targets of docs/calibration.md section 2 (calibrate.py's
/// figures before it called `comity backtest`), and the like-for-like reference of the world.
#[test]
fn world_1960_targets_are_calibrate_py_figures() {
    let Some(data) = shared_data() else {
        eprintln!("SKIPPED: ../shared/data/ir is absent (the full COW tables are needed for the 1960 targets)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let o = run(&[
        "run",
        repo("scenarios/history/world_1960/scenario.toml").to_str().unwrap(),
        "--runs",
        "2",
        "--disputes",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&[
        "backtest",
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--from",
        "1946",
        "--to",
        "1989",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let b: Value = serde_json::from_slice(&o.stdout).unwrap();
    let sys = |c: &str| counts(row(&b, "rate", "system", c, "observed", ""));
    assert_eq!(sys("all"), (1289.0, 352_135.0));
    assert_eq!(sys("prd"), (1067.0, 35_485.0));
    assert_eq!(sys("nonprd"), (222.0, 316_650.0));
    assert_eq!(sys("contiguous"), (749.0, 11_119.0));
    assert_eq!(sys("major"), (477.0, 26_059.0));
    // the contiguity x major cells: 0.070%, 6.259%, 1.305%, 9.392%
    for (cell, rate) in [
        ("noncontig_minor", 0.000_70),
        ("contig_minor", 0.062_59),
        ("noncontig_major", 0.013_05),
        ("contig_major", 0.093_92),
    ] {
        let (k, n) = sys(cell);
        assert!((k / n - rate).abs() < 5e-6, "{cell}: {k}/{n}");
    }
    let h = |c: &str| counts(row(&b, "hostility", "system", c, "observed", ""));
    assert_eq!(h("threat"), (22.0, 1015.0));
    assert_eq!(h("display"), (203.0, 1015.0));
    assert_eq!(h("use_of_force"), (767.0, 1015.0));
    assert_eq!(h("war"), (23.0, 1015.0));
    // the world's 15 NATO members, 1960-1989: 23 onsets in 3150 dyad-years
    assert_eq!(
        counts(row(&b, "group", "nato", "onset_rate", "observed", "")),
        (23.0, 3150.0)
    );
    // the real rates among the world's states, with its fixed categories: 0.453%, 2.987%, 6.68%, 2.00%
    for (c, rate, tol) in [
        ("all", 0.004_53, 5e-6),
        ("prd", 0.029_87, 5e-6),
        ("contiguous", 0.066_8, 5e-5),
        ("major", 0.020_0, 5e-5),
    ] {
        let (k, n) = counts(row(&b, "rate", "world", c, "observed", ""));
        assert!((k / n - rate).abs() < tol, "{c}: {k}/{n}");
    }
}

/// A growing state system: the GDR exits in 1988, so its 8 pairs count 3 dyad-years each
/// (1985-1987), not 5, and no simulated onset names it after.
#[test]
fn a_growing_world_counts_the_dyad_years_of_present_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let body = fs::read_to_string(world()).unwrap() + "\n[[event]]\nat = 1988\nkind = \"exit\"\nstate = \"GDR\"\n";
    let scenario = tmp.path().join("scenario.toml");
    fs::write(&scenario, body).unwrap();
    let out = tmp.path().join("o");
    let o = run(&[
        "run",
        scenario.to_str().unwrap(),
        "--runs",
        "20",
        "--disputes",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let b = backtest_json(&out, &[]);
    let lens = b["lenses"][0].as_str().unwrap().to_string();
    let (_, rows) = common::read_csv(&out.join("disputes.csv"));
    assert!(
        rows.iter()
            .all(|r| r[5].parse::<i64>().unwrap() < 1988 || (r[6] != "GDR" && r[7] != "GDR"))
    );
    let onsets: BTreeSet<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            let (a, b) = if r[6] < r[7] { (&r[6], &r[7]) } else { (&r[7], &r[6]) };
            (r[1].clone(), r[5].clone(), a.clone(), b.clone())
        })
        .collect();
    let sim = row(&b, "rate", "world", "all", "simulated", &lens);
    assert_eq!(counts(sim), (onsets.len() as f64, (36.0 * 5.0 - 8.0 * 2.0) * 20.0));
    // Like for like, the GDR's 7 pairs with a COW code lose 1988-1989 (the record keeps it to
    // 1990); its two onsets (1985) stay: 9 onsets in 140 - 14 dyad-years.
    assert_eq!(counts(row(&b, "rate", "world", "all", "observed", "")), (9.0, 126.0));
    // The baselines' years lie before the simulation: only the record counts there.
    assert!(row(&b, "group", "west", "onset_rate", "persistence", "")["value"].is_number());
    // GFR-GDR is one of the 6 contiguous pairs
    assert_eq!(
        counts(row(&b, "rate", "world", "contiguous", "simulated", &lens)).1,
        (6.0 * 5.0 - 2.0) * 20.0
    );
}
