//! `comity import` on a committed excerpt of the peace-science tables, and (when
//! `../shared/data/ir` is present) on the full tables, checked against the
//! committed `scenarios/world_1990/`.

mod common;
use common::*;
use std::fs;

fn import(year: &str, data: &str, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["import", "--year", year, "--data", data, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn the_excerpt_imports_to_a_valid_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w");
    let o = import("1990", "tests/fixtures/ir", &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let summary = text(&o.stdout);
    assert!(summary.contains("8 states (5 major), 28 dyads"), "{summary}");
    assert!(summary.contains("left out"), "GFR and GDR ended in 1990: {summary}");
    let s = comity::scenario::load(&out.join("scenario.toml")).unwrap();
    let ids: Vec<&str> = s.states.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["USA", "CAN", "UKG", "FRN", "GMY", "RUS", "CHN", "JPN"]);
    assert_eq!(s.calendar.start.year(), 1990);
    assert_eq!(s.calendar.end.year(), 2000);
    let nato = s
        .communities
        .iter()
        .find(|c| c.id == "nato")
        .expect("nato from the derived table");
    let nato_ids: Vec<&str> = nato.members.iter().map(|&m| ids[m]).collect();
    assert_eq!(nato_ids, ["USA", "CAN", "UKG", "FRN", "GMY"]);
    // every pact is a clique of allies, and NATO's members share one
    assert!(s.treaties.iter().any(|t| {
        ["USA", "CAN", "UKG", "FRN", "GMY"]
            .iter()
            .all(|m| t.members.contains(&ids.iter().position(|x| x == m).unwrap()))
    }));
    let n = s.n_states();
    let at =
        |a: &str, b: &str| ids.iter().position(|x| *x == a).unwrap() * n + ids.iter().position(|x| *x == b).unwrap();
    assert!(s.dyads.trust[at("USA", "CAN")] > s.dyads.trust[at("USA", "RUS")]);
    assert!(s.dyads.contiguous[at("USA", "CAN")]);
    assert!(s.dyads.trade[at("USA", "CAN")] > 100.0, "US-Canada trade in bn USD");
    assert!(
        s.dyads.peace_years[at("USA", "RUS")] < 20.0,
        "US-Soviet MIDs in the 1980s"
    );
    assert!(
        s.dyads.peace_years[at("CAN", "FRN")] < 20.0,
        "the 1988-89 St Pierre and Miquelon fishing dispute"
    );
    assert_eq!(s.dyads.peace_years[at("UKG", "FRN")], 20.0);
    // the header says what was filled
    let header = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(header.contains("Filled or approximated values:") && header.contains("great-circle distance"));
    // and the scenario runs
    let o = run(&[
        "run",
        out.join("scenario.toml").to_str().unwrap(),
        "--runs",
        "5",
        "--quiet",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn imports_are_reproducible_and_never_overwrite_silently() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(import("1987", "tests/fixtures/ir", &a, &[]).status.success());
    assert!(import("1987", "tests/fixtures/ir", &b, &[]).status.success());
    for f in ["scenario.toml", "states.csv", "dyads.csv"] {
        assert_eq!(fs::read(a.join(f)).unwrap(), fs::read(b.join(f)).unwrap(), "{f}");
    }
    let o = import("1988", "tests/fixtures/ir", &a, &[]);
    assert_eq!(o.status.code(), Some(73));
    let o = import("1988", "tests/fixtures/ir", &a, &["--force"]);
    assert!(o.status.success());
    assert!(
        fs::read_to_string(a.join("scenario.toml"))
            .unwrap()
            .contains("World of 1988")
    );
}

#[test]
fn a_year_outside_the_data_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = import("1995", "tests/fixtures/ir", &dir.path().join("x"), &[]);
    assert_eq!(o.status.code(), Some(65));
    let err = text(&o.stderr);
    assert!(
        err.contains("cow_nmc_v7 covers 1985-1990; year 1995 is outside it"),
        "{err}"
    );
    assert!(!dir.path().join("x").exists(), "nothing is written");
    let o = import("1990", "no/such/folder", &dir.path().join("y"), &[]);
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("data folder no/such/folder not found"));
}

#[test]
fn the_full_tables_rebuild_the_committed_world_of_1990() {
    let data = repo("../shared/data/ir");
    if !data.join("cow_states_v2016.csv").exists() {
        eprintln!("skipping: ../shared/data/ir is not present (a fresh clone has no shared data)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w1990");
    let o = import("1990", data.to_str().unwrap(), &out, &["--end", "2014"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("161 states"), "{}", text(&o.stdout));
    for f in ["scenario.toml", "states.csv", "dyads.csv"] {
        let made = fs::read_to_string(out.join(f)).unwrap();
        let committed = fs::read_to_string(repo("scenarios/world_1990").join(f)).unwrap();
        assert!(
            made == committed,
            "scenarios/world_1990/{f} is not what comity import makes today: regenerate it"
        );
    }
}
