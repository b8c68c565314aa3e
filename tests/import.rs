//! `comity import` on a committed excerpt of the peace-science tables, and (when
//! `../shared/data/ir` is present) on the full tables, checked against the
//! committed `scenarios/world_1990/`.

mod common;
use comity::scenario::EventKind;
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
    let Some(data) = shared_data() else {
        eprintln!("skipping: ../shared/data/ir is not present (a fresh clone has no shared data)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w1990");
    let o = import("1990", data.to_str().unwrap(), &out, &["--end", "2014"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("161 states"), "{}", text(&o.stdout));
    // The state system grows: the successor states of the Soviet Union, Yugoslavia and
    // Czechoslovakia, the Baltic states back in 1991, East Timor, Montenegro, Kosovo, South Sudan, ...
    assert!(
        text(&o.stdout).contains("state system: 35 entries and 1 exits 1991-2014"),
        "{}",
        text(&o.stdout)
    );
    for f in ["scenario.toml", "states.csv", "dyads.csv"] {
        let made = fs::read_to_string(out.join(f)).unwrap();
        let committed = fs::read_to_string(repo("scenarios/world_1990").join(f)).unwrap();
        assert!(
            made == committed,
            "scenarios/world_1990/{f} is not what comity import makes today: regenerate it"
        );
    }
    let s = comity::scenario::load(&repo("scenarios/world_1990/scenario.toml")).unwrap();
    let present = s.present_at_start();
    assert_eq!((present.len(), present.iter().filter(|p| **p).count()), (196, 161));
    let czechoslovakia = s.states.iter().position(|x| x.id == "CZE").unwrap();
    assert!(
        s.events
            .iter()
            .any(|e| e.kind == EventKind::Exit { state: czechoslovakia } && e.at.year() == 1993)
    );
}

#[test]
fn the_full_tables_rebuild_the_calibration_world_with_fixed_states() {
    let Some(data) = shared_data() else {
        eprintln!("skipping: ../shared/data/ir is not present (a fresh clone has no shared data)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w1960");
    let o = import(
        "1960",
        data.to_str().unwrap(),
        &out,
        &["--end", "1989", "--fixed-states"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    for f in ["scenario.toml", "states.csv", "dyads.csv"] {
        let made = fs::read_to_string(out.join(f)).unwrap();
        let committed = fs::read_to_string(repo("scenarios/history/world_1960").join(f)).unwrap();
        assert!(
            made == committed,
            "scenarios/history/world_1960/{f} is not what comity import --fixed-states makes today"
        );
    }
    let s = comity::scenario::load(&repo("scenarios/history/world_1960/scenario.toml")).unwrap();
    assert!(
        !s.has_entries_or_exits(),
        "the calibration world keeps the state set of 1960"
    );
}

/// The `states.csv` row of `id`.
fn state_row(dir: &std::path::Path, id: &str) -> String {
    fs::read_to_string(dir.join("states.csv"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap_or_else(|| panic!("no state {id}"))
        .to_string()
}

/// The GDR and West Germany exit in 1990 and united Germany enters (cow_states_v2016: GFR and
/// GDR end on 2 October 1990, GMY starts on 3 October): with the attributes and dyads of the
/// world of 1990, the institutions it belongs to then, and no presence before.
#[test]
fn germany_unites_in_1990_by_exits_and_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w");
    let o = import("1989", "tests/fixtures/ir", &out, &["--end", "1992"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let summary = text(&o.stdout);
    assert!(
        summary
            .contains("state system: 1 entries and 2 exits 1990-1992; 1 states enter after 1989 (GMY), with 7 dyads"),
        "{summary}"
    );
    let s = comity::scenario::load(&out.join("scenario.toml")).unwrap();
    let ids: Vec<&str> = s.states.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        ids,
        ["USA", "CAN", "UKG", "FRN", "GFR", "GDR", "RUS", "CHN", "JPN", "GMY"]
    );
    let present: Vec<&str> = ids
        .iter()
        .zip(s.present_at_start())
        .filter(|(_, p)| *p)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(present, ["USA", "CAN", "UKG", "FRN", "GFR", "GDR", "RUS", "CHN", "JPN"]);
    let changes: Vec<(i64, String)> = s
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Enter { .. } | EventKind::Exit { .. }))
        .map(|e| (e.at.year(), s.event_label(e)))
        .collect();
    assert_eq!(
        changes,
        [
            (1990, "GFR exits".to_string()),
            (1990, "GDR exits".to_string()),
            (1990, "GMY enters".to_string())
        ]
    );
    let joined = s
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Enter { treaties, .. } => {
                Some(treaties.iter().map(|&t| s.treaties[t].id.clone()).collect::<Vec<_>>())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        joined,
        ["ec", "coe", "csce"],
        "united Germany's seats on 31 December 1990"
    );
    for t in &s.treaties {
        assert!(!t.members.contains(&9), "GMY is in no treaty at the start: {}", t.id);
    }
    // Its row and its dyads are those of the world of 1990, made by the same rules.
    let y1990 = dir.path().join("y1990");
    assert!(
        import("1990", "tests/fixtures/ir", &y1990, &["--end", "1992"])
            .status
            .success()
    );
    assert_eq!(state_row(&out, "GMY"), state_row(&y1990, "GMY"));
    for other in ["USA", "CAN", "UKG", "FRN", "RUS", "CHN", "JPN"] {
        assert_eq!(
            dyad_row(&out, other, "GMY"),
            dyad_row(&y1990, other, "GMY"),
            "{other}-GMY"
        );
    }
    let toml = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(toml.contains("A run is a forecast conditional on which states come to exist"));
    assert!(!toml.contains("--fixed-states (comity"), "the command in the header");
    // The run: no dispute of GMY in 1989, none of GFR or GDR from 1990 on.
    let run_dir = dir.path().join("o");
    let o = run(&[
        "run",
        out.join("scenario.toml").to_str().unwrap(),
        "--runs",
        "20",
        "--lens",
        "all",
        "--disputes",
        "--quiet",
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (header, rows) = read_csv(&run_dir.join("disputes.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &rows {
        let y: i64 = row[col("year")].parse().unwrap();
        for side in [&row[col("state_a")], &row[col("state_b")]] {
            assert!(side != "GMY" || y >= 1990, "{row:?}");
            assert!(!(side == "GFR" || side == "GDR") || y < 1990, "{row:?}");
        }
    }
}

#[test]
fn fixed_states_keep_the_state_set_of_the_year() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w");
    let o = import("1989", "tests/fixtures/ir", &out, &["--end", "1992", "--fixed-states"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("state system:"));
    let s = comity::scenario::load(&out.join("scenario.toml")).unwrap();
    assert!(!s.has_entries_or_exits());
    assert!(!s.states.iter().any(|x| x.id == "GMY"));
    let toml = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(toml.contains("--fixed-states (comity"), "the header names the flag");
}

/// The row of `a`-`b` in an imported dyads.csv, as a map from column to cell.
fn dyad_row(dir: &std::path::Path, a: &str, b: &str) -> std::collections::BTreeMap<String, String> {
    let (header, rows) = read_csv(&dir.join("dyads.csv"));
    let row = rows
        .into_iter()
        .find(|r| (r[0] == a && r[1] == b) || (r[0] == b && r[1] == a))
        .unwrap_or_else(|| panic!("no dyad {a}-{b}"));
    header.into_iter().zip(row).collect()
}

/// (year, kind, state, treaty) of every join and withdraw event.
fn membership_events(s: &comity::scenario::Scenario) -> Vec<(i64, &'static str, String, String)> {
    use comity::scenario::EventKind;
    s.events
        .iter()
        .filter_map(|e| {
            let (kind, state, treaty) = match e.kind {
                EventKind::Join { state, treaty } => ("join", state, treaty),
                EventKind::Withdraw { state, treaty } => ("withdraw", state, treaty),
                _ => return None,
            };
            Some((
                e.at.year(),
                kind,
                s.states[state].id.clone(),
                s.treaties[treaty].id.clone(),
            ))
        })
        .collect()
}

fn treaty_members(s: &comity::scenario::Scenario, id: &str) -> Vec<String> {
    let t = s
        .treaties
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no treaty {id}"));
    t.members.iter().map(|&m| s.states[m].id.clone()).collect()
}

#[test]
fn institutions_become_treaties_with_their_accessions_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w");
    let o = import("1987", "tests/fixtures/ir", &out, &["--end", "2021"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let summary = text(&o.stdout);
    assert!(
        summary.contains(
            "4 institutions as treaties (members in 1987: ec 3, coe 3, csce 7, oas 1), 2 join and 1 withdraw events"
        ),
        "{summary}"
    );
    let s = comity::scenario::load(&out.join("scenario.toml")).unwrap();
    // members on 31 December 1987, from the committed scenarios/data/institutions.csv
    assert_eq!(treaty_members(&s, "ec"), ["UKG", "FRN", "GFR"]);
    assert_eq!(treaty_members(&s, "coe"), ["UKG", "FRN", "GFR"]);
    assert_eq!(
        treaty_members(&s, "csce"),
        ["USA", "CAN", "UKG", "FRN", "GFR", "GDR", "RUS"]
    );
    assert_eq!(treaty_members(&s, "oas"), ["USA"]);
    let ec = s.treaties.iter().find(|t| t.id == "ec").unwrap();
    assert_eq!(ec.kind, comity::scenario::TreatyKind::Community);
    assert_eq!(ec.salience, 0.9);
    // Canada joins the OAS in 1990, Russia the Council of Europe in 1996, the UK leaves
    // the EU in 2020; West Germany's memberships end by unification, not by withdrawal,
    // and united Germany is not in the world of 1987.
    assert_eq!(
        membership_events(&s),
        [
            (1990, "join", "CAN".into(), "oas".into()),
            (1996, "join", "RUS".into(), "coe".into()),
            (2020, "withdraw", "UKG".into(), "ec".into()),
        ]
    );
    let toml = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(
        toml.contains("note = \"oas.org: member states (Canada 8 Jan 1990)\""),
        "the source is the note"
    );
    assert!(toml.contains("membership end(s) by state succession"), "{toml}");
    assert!(toml.contains("join/withdraw event(s) of states outside the world of 1987 skipped"));
    // NATO still comes from ATOP only
    assert!(!s.treaties.iter().any(|t| t.id.eq_ignore_ascii_case("nato")));
}

#[test]
fn an_institution_founded_later_starts_empty_and_fills_by_events() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("inst.csv");
    fs::write(
        &table,
        "institution,kind,salience,ccode,state,joined,left,source\n\
         club,trade,0.4,2,USA,1989,,\"Club treaty 1988, in force 1989\"\n\
         club,trade,0.4,20,CAN,1989,1992,Club treaty 1988\n\
         club,trade,0.4,20,CAN,1995,,Club accession 1995\n\
         club,trade,0.4,255,GMY,1991,,united Germany is not in the world of 1987\n\
         old,regime,0.2,200,UKG,1950,1980,gone before the world's year\n",
    )
    .unwrap();
    let out = dir.path().join("w");
    // With the state set of 1987 (united Germany never enters): `--fixed-states`.
    let o = import(
        "1987",
        "tests/fixtures/ir",
        &out,
        &["--institutions", table.to_str().unwrap(), "--fixed-states"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = comity::scenario::load(&out.join("scenario.toml")).unwrap();
    assert!(treaty_members(&s, "club").is_empty(), "no member in 1987");
    assert!(!s.treaties.iter().any(|t| t.id == "old"), "no member and no event");
    assert_eq!(
        membership_events(&s),
        [
            (1989, "join", "USA".into(), "club".into()),
            (1989, "join", "CAN".into(), "club".into()),
            (1992, "withdraw", "CAN".into(), "club".into()),
            (1995, "join", "CAN".into(), "club".into()),
        ]
    );
    let toml = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(
        toml.contains("--institutions FILE"),
        "the header says the table was overridden"
    );
    assert!(toml.contains("note = \"Club treaty 1988, in force 1989\""));
    assert!(toml.contains("institutions: 1 join/withdraw event(s) of states outside the world of 1987 skipped"));
}

#[test]
fn a_malformed_institutions_row_names_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let header = "institution,kind,salience,ccode,state,joined,left,source\n";
    let good = "ec,community,0.9,220,FRN,1958,,Treaty of Rome 1957\n";
    for (bad, says) in [
        (
            "ec,defence,0.9,200,UKG,1973,,Act of Accession 1972\n",
            "kind \"defence\" is not one of community, trade, regime",
        ),
        (
            "ec,community,0.9,200,UKG,1973,Act of Accession 1972\n",
            "7 fields where the header has 8",
        ),
        (
            "ec,community,0.9,200,UKG,73x,,Act of Accession 1972\n",
            "joined \"73x\" is not a year",
        ),
        (
            "ec,community,0.9,200,UKG,1973,1973,Act of Accession 1972\n",
            "left 1973 is not after joined 1973",
        ),
        ("ec,community,0.9,200,UKG,1973,,\n", "source is empty"),
        (
            "ec,community,0.8,200,UKG,1973,,Act of Accession 1972\n",
            "give every row of an institution the same kind and salience",
        ),
        (
            "ec,community,0.9,260,GMY,1958,,Treaty of Rome 1957\n",
            "ccode 260 is GFR in cow_states_v2016, not GMY",
        ),
        (
            "ec,community,0.9,220,FRN,1960,,again\n",
            "already a member of ec in these years (line 2)",
        ),
    ] {
        let table = dir.path().join("inst.csv");
        fs::write(&table, format!("{header}{good}{bad}")).unwrap();
        let out = dir.path().join("w");
        let o = import(
            "1987",
            "tests/fixtures/ir",
            &out,
            &["--institutions", table.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(65), "{bad}");
        let err = text(&o.stderr);
        assert!(err.contains(&format!("{} line 3: ", table.display())), "{bad} -> {err}");
        assert!(err.contains(says), "{bad} -> {err}");
        assert!(!out.exists(), "nothing is written");
    }
    let o = import(
        "1987",
        "tests/fixtures/ir",
        &dir.path().join("w"),
        &["--institutions", "no/such/table.csv"],
    );
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("cannot read the institutions table no/such/table.csv"));
}

#[test]
fn rivalry_and_shared_igos_are_written_per_dyad() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w");
    let o = import("1990", "tests/fixtures/ir", &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (header, _) = read_csv(&out.join("dyads.csv"));
    assert_eq!(header[header.len() - 2..], ["rivalry", "shared_igos"]);
    // USA-Canada: MID onsets in 1979 and 1989 (both directions, counted once each), so
    // rivalry = 0.5^(11/H) + 0.5^(1/H); with H = 10: 0.466516 + 0.933033 = 1.399549 -> 1.3995.
    // COW IGO v3: 67 shared IGOs in 1990.
    let h = comity::params::Params::default().rivalry_half_life;
    let expected = format!("{:.4}", 0.5f64.powf(11.0 / h) + 0.5f64.powf(1.0 / h));
    if h == 10.0 {
        assert_eq!(expected, "1.3995");
    }
    let usa_can = dyad_row(&out, "USA", "CAN");
    assert_eq!(usa_can["rivalry"], expected);
    assert_eq!(usa_can["shared_igos"], "67");
    // UK-France: no MID in the excerpt, 90 shared IGOs
    let ukg_frn = dyad_row(&out, "UKG", "FRN");
    assert_eq!(ukg_frn["rivalry"], "0");
    assert_eq!(ukg_frn["shared_igos"], "90");
    // the loader reads both columns
    let s = comity::scenario::load(&out.join("scenario.toml")).unwrap();
    let ids: Vec<&str> = s.states.iter().map(|x| x.id.as_str()).collect();
    let (usa, can) = (
        ids.iter().position(|x| *x == "USA").unwrap(),
        ids.iter().position(|x| *x == "CAN").unwrap(),
    );
    let n = s.n_states();
    assert_eq!(s.dyads.rivalry[usa * n + can], expected.parse::<f64>().unwrap());
    assert_eq!(s.dyads.shared_igos[can * n + usa], 67.0);
}

/// The (trust, identity) of `a`-`b` in an imported dyads.csv.
fn trust_identity(dir: &std::path::Path, a: &str, b: &str) -> (f64, f64) {
    let row = dyad_row(dir, a, b);
    (row["trust"].parse().unwrap(), row["identity"].parse().unwrap())
}

#[test]
fn a_shared_community_institution_raises_initial_trust_and_identity() {
    let dir = tempfile::tempdir().unwrap();
    // The same memberships, once as a regime and once as a community; `old` (a community
    // that USA and Canada left in 1985) counts in neither world of 1990.
    let table = |club_kind: &str| {
        format!(
            "institution,kind,salience,ccode,state,joined,left,source\n\
             club,{club_kind},0.5,20,CAN,1980,,Club treaty 1979\n\
             club,{club_kind},0.5,740,JPN,1980,,Club treaty 1979\n\
             old,community,0.5,2,USA,1970,1985,Old treaty 1969\n\
             old,community,0.5,20,CAN,1970,1985,Old treaty 1969\n"
        )
    };
    let mut worlds = Vec::new();
    for kind in ["regime", "community"] {
        let path = dir.path().join(format!("{kind}.csv"));
        fs::write(&path, table(kind)).unwrap();
        let out = dir.path().join(kind);
        let o = import(
            "1990",
            "tests/fixtures/ir",
            &out,
            &["--institutions", path.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        worlds.push((out, text(&o.stdout)));
    }
    let ((regime, regime_summary), (community, summary)) = (&worlds[0], &worlds[1]);
    assert!(
        !regime_summary.contains("share a community institution"),
        "{regime_summary}"
    );
    assert!(
        summary.contains("community: 1 dyads share a community institution in 1990 (+0.20 trust and identity)"),
        "{summary}"
    );
    // Canada-Japan: not allied, no MID; +0.20 on both (3-decimal rounding aside), below the clamps
    let (t0, i0) = trust_identity(regime, "CAN", "JPN");
    let (t1, i1) = trust_identity(community, "CAN", "JPN");
    assert!((t1 - t0 - 0.20).abs() < 0.0015 && t1 < 0.95, "trust {t0} -> {t1}");
    assert!((i1 - i0 - 0.20).abs() < 0.0015 && i1 < 0.95, "identity {i0} -> {i1}");
    // every other pair is unchanged, including USA-Canada (their community ended in 1985)
    let (_, a) = read_csv(&regime.join("dyads.csv"));
    let (_, b) = read_csv(&community.join("dyads.csv"));
    let changed: Vec<String> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| format!("{}-{}", x[0], x[1]))
        .collect();
    assert_eq!(changed, ["CAN-JPN"]);
    let header = fs::read_to_string(community.join("scenario.toml")).unwrap();
    assert!(header.contains("+ 0.20 community - 0.20 recent, 0, 0.95)"), "{header}");
    assert!(
        header.contains("+ 0.20 community - 0.30 recent, 0.02, 0.95)"),
        "{header}"
    );
    assert!(
        header.contains("an institution of kind community in the table (club, old)"),
        "{header}"
    );
    assert!(
        header.contains("Deutsch et al. (1957) and Adler & Barnett (1998)"),
        "{header}"
    );
    // the committed table: the EC members of 1987 in the excerpt (UKG, FRN, GFR) are 3 pairs
    let out = dir.path().join("w1987");
    let o = import("1987", "tests/fixtures/ir", &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("community: 3 dyads share a community institution in 1987"),
        "{}",
        text(&o.stdout)
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn trade_holes_use_the_latest_earlier_record_and_gdp_the_dyadic_sum() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ir");
    copy_dir(&repo("tests/fixtures/ir"), &data);
    // Dyadic trade with holes: France-Japan (220-740) loses 1989 and 1990, so 1988 is its
    // latest record (7388 + 4312 = 11700 million); UK-China (200-710) keeps only a 1984
    // record, more than 5 years before 1990.
    let mut dyadic = String::new();
    flate2::read::GzDecoder::new(fs::File::open(data.join("cow_trade_v4_dyadic_ndy.csv.gz")).unwrap())
        .read_to_string(&mut dyadic)
        .unwrap();
    let mut kept: Vec<&str> = dyadic
        .lines()
        .filter(|l| !(l.starts_with("220,740,1989,") || l.starts_with("220,740,1990,") || l.starts_with("200,710,")))
        .collect();
    kept.push("200,710,1984,396,754,396,754");
    fs::remove_file(data.join("cow_trade_v4_dyadic_ndy.csv.gz")).unwrap();
    fs::write(data.join("cow_trade_v4_dyadic_ndy.csv"), kept.join("\n") + "\n").unwrap();
    // National trade: no 1990 row for Japan, an empty one for China (as West Germany's 1960s rows).
    let national = fs::read_to_string(data.join("cow_trade_v4_national.csv")).unwrap();
    let national: Vec<String> = national
        .lines()
        .filter(|l| !l.starts_with("740,1990,"))
        .map(|l| {
            if l.starts_with("710,1990,") {
                "710,1990,,".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(data.join("cow_trade_v4_national.csv"), national.join("\n") + "\n").unwrap();

    let out = dir.path().join("w");
    let o = import("1990", data.to_str().unwrap(), &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let summary = text(&o.stdout);
    for line in [
        "filled: trade: 1 of 28 dyads without a COW trade record for 1990 use their latest record of the 5 years before (1985-1989)",
        "filled: trade: 1 of 28 dyads have no COW trade record for 1990 or the 5 years before and get 0",
        "filled: gdp: 2 state(s) without national trade data use the sum of their dyadic trade (flow1 + flow2 over their dyads)",
    ] {
        assert!(summary.contains(line), "{line}\n{summary}");
    }
    assert!(!summary.contains("with neither national nor dyadic"), "{summary}");
    assert_eq!(dyad_row(&out, "FRN", "JPN")["trade"], "11.700");
    assert_eq!(dyad_row(&out, "UKG", "CHN")["trade"], "0.000");
    assert_eq!(dyad_row(&out, "USA", "JPN")["trade"], "145.912", "1990's own record");
    // gdp = (sum of flow1 + flow2 over the state's dyads, million USD) / 1e6 / 0.4:
    // Japan 145912 + 17539 + 17322 + 11700 (1988) + 32108 + 6189 + 19713 = 250483 -> 0.6262;
    // China (no UK record) 61597 -> 0.1540.
    let (header, rows) = read_csv(&out.join("states.csv"));
    let gdp = |id: &str| {
        let row = rows.iter().find(|r| r[0] == id).unwrap();
        row[header.iter().position(|h| h == "gdp").unwrap()].clone()
    };
    assert_eq!(gdp("JPN"), "0.6262");
    assert_eq!(gdp("CHN"), "0.1540");
    assert_eq!(gdp("USA"), "2.2753", "national (517018.6 + 393100.7) / 1e6 / 0.4");
    let toml = fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(toml.contains("else its latest record of the 5 years before"), "{toml}");
    assert!(toml.contains("uses the sum of its"), "{toml}");

    // West Germany in the excerpt's 1987: empty national rows and no dyadic record at all
    let o = import("1987", "tests/fixtures/ir", &dir.path().join("w1987"), &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains(
            "filled: gdp: 1 state(s) with neither national nor dyadic trade data get 0 (unknown: trade dependence 0)"
        ),
        "{}",
        text(&o.stdout)
    );
}
