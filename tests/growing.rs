//! A growing state system (issue 10, item 3): `enter` and `exit` events. A state that enters is
//! absent until its entry, a state that exits is absent after it; absent states trade with no
//! one, have no disputes, and count in no metric.

mod common;
use comity::params::Params;
use comity::scenario::{self, Scenario};
use comity::sim::Prepared;
use comity::sim::metrics::{METRICS, Metric, PAIR_METRICS};
use common::*;
use std::fs;
use std::path::Path;
use std::sync::Arc;

const FIXTURE: &str = "tests/fixtures/growing.toml";
const OLD: usize = 3;
const NEW: usize = 4;
/// NEW enters in 2005 (tick 5), OLD exits in 2006 (tick 6).
const ENTRY: u32 = 5;
const EXIT: u32 = 6;

fn growing() -> Scenario {
    scenario::load(&repo(FIXTURE)).unwrap()
}

fn lenses() -> Vec<Params> {
    comity::params::LENSES
        .iter()
        .map(|l| comity::params::lens(l).unwrap())
        .collect()
}

#[test]
fn the_entering_state_is_absent_until_its_entry_and_the_leaver_after_its_exit() {
    let s = growing();
    assert_eq!(s.present_at_start(), vec![true, true, true, true, false]);
    let all = vec![true; 5];
    assert_eq!(s.present_at(ENTRY - 1), [true, true, true, true, false]);
    assert_eq!(s.present_at(ENTRY), all);
    assert_eq!(s.present_at(EXIT), [true, true, true, false, true]);
    assert_eq!(s.present_at(12), [true, true, true, false, true]);
    let p = Prepared::new(Arc::new(s));
    let ticks = p.scenario.calendar.n_ticks() as usize;
    let (mut new_after, mut old_before, mut others) = (0, 0, 0);
    for params in lenses() {
        for run in 0..60 {
            let r = p.run(&params, 11, run, true);
            for d in &r.disputes {
                let involves = |s: usize| d.a == s || d.b == s || d.joiners.contains(&s);
                assert!(
                    !involves(NEW) || d.tick >= ENTRY,
                    "NEW in a dispute before its entry: {d:?}"
                );
                assert!(
                    !involves(OLD) || d.tick < EXIT,
                    "OLD in a dispute after its exit: {d:?}"
                );
                new_after += usize::from(involves(NEW));
                old_before += usize::from(involves(OLD));
                others += 1;
            }
            // Pairs of interest: AAA-NEW undefined before the entry, AAA-OLD after the exit.
            let width = PAIR_METRICS.len();
            let trade = PAIR_METRICS.iter().position(|&m| m == "trade").unwrap();
            for tick in 0..ticks {
                let new_row = &r.pairs[(tick * 2) * width..(tick * 2 + 1) * width];
                let old_row = &r.pairs[(tick * 2 + 1) * width..(tick * 2 + 2) * width];
                if (tick as u32) < ENTRY {
                    assert!(new_row.iter().all(|x| x.is_nan()), "tick {tick}: {new_row:?}");
                } else {
                    assert!(new_row[trade] > 0.0, "NEW trades after its entry: {new_row:?}");
                }
                if (tick as u32) < EXIT {
                    assert!(old_row.iter().all(|x| x.is_finite()), "tick {tick}: {old_row:?}");
                } else {
                    assert!(old_row.iter().all(|x| x.is_nan()), "tick {tick}: {old_row:?}");
                }
            }
        }
    }
    assert!(new_after > 0, "NEW can have disputes after its entry");
    assert!(old_before > 0, "OLD had disputes before its exit");
    assert!(others > new_after + old_before);
}

#[test]
fn metrics_count_present_states_only() {
    let p = Prepared::new(Arc::new(growing()));
    let slots = p.slots();
    let o = Metric::Orientation.index();
    for params in lenses() {
        let r = p.run(&params, 11, 0, true);
        for tick in 0..p.scenario.calendar.n_ticks() {
            // Orientations never change here: AAA, BBB, CCC 0.5, OLD 0, NEW 1.
            let want = match tick {
                t if t < ENTRY => 1.5 / 4.0,
                t if t < EXIT => 2.5 / 5.0,
                _ => 2.5 / 4.0,
            };
            for slot in 0..slots {
                let got = r.metrics[(tick as usize * slots + slot) * METRICS.len() + o];
                assert_eq!(got, want, "tick {tick}, slot {slot}");
            }
            // The system's disputes are those of this tick (all between present states).
            let counted = r.metrics[(tick as usize * slots) * METRICS.len() + Metric::Disputes.index()];
            let listed = r.disputes.iter().filter(|d| d.tick == tick).count();
            assert_eq!(counted, listed as f64, "tick {tick}");
        }
    }
}

#[test]
fn a_state_may_exit_and_enter_again() {
    let text = fs::read_to_string(repo(FIXTURE)).unwrap()
        + "\n[[event]]\nat = 2009\nkind = \"enter\"\nstate = \"OLD\"\ntreaties = [\"Pact\"]\n";
    let s = scenario::load_str(&text, "again.toml", &repo("tests/fixtures")).unwrap();
    assert_eq!(s.present_at_start(), vec![true, true, true, true, false]);
    let p = Prepared::new(Arc::new(s));
    let width = PAIR_METRICS.len();
    let allied = PAIR_METRICS.iter().position(|&m| m == "allied").unwrap();
    let mut back_in_pact = 0;
    for run in 0..20 {
        let r = p.run(&Params::default(), 11, run, true);
        for tick in 0..p.scenario.calendar.n_ticks() as usize {
            let old_row = &r.pairs[(tick * 2 + 1) * width..(tick * 2 + 2) * width];
            match tick {
                6..=8 => assert!(old_row.iter().all(|x| x.is_nan()), "tick {tick}"),
                _ => assert!(old_row.iter().all(|x| x.is_finite()), "tick {tick}"),
            }
            // Back in the pact with AAA on its return (unless AAA has left it meanwhile).
            back_in_pact += usize::from(tick == 9 && old_row[allied] == 1.0);
        }
        assert!(
            r.disputes
                .iter()
                .all(|d| !(6..9).contains(&d.tick) || (d.a != OLD && d.b != OLD))
        );
    }
    assert!(back_in_pact > 0);
}

#[test]
fn outputs_are_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = run(&[
            "run",
            FIXTURE,
            "--lens",
            "all",
            "--runs",
            "30",
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
    for file in ["timeseries.csv", "runs.csv", "disputes.csv", "pairs.csv"] {
        let a = fs::read(outputs[0].join(file)).unwrap();
        let b = fs::read(outputs[1].join(file)).unwrap();
        assert!(a == b, "{file} differs between --threads 1 and --threads 2");
    }
    // disputes.csv names no absent state: NEW before 2005, OLD from 2006 on.
    let (header, rows) = read_csv(&outputs[0].join("disputes.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (year, a, b) = (col("year"), col("state_a"), col("state_b"));
    for row in rows {
        let y: i32 = row[year].parse().unwrap();
        for side in [&row[a], &row[b]] {
            assert!(side != "NEW" || y >= 2005, "{row:?}");
            assert!(side != "OLD" || y < 2006, "{row:?}");
        }
    }
}

#[test]
fn the_manifest_and_validate_name_the_entries_and_exits() {
    let o = run(&["validate", FIXTURE]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("enter 1, exit 1"), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("5 (4 major powers; 1 absent at the start, entering later)"),
        "{}",
        text(&o.stdout)
    );
    let s = growing();
    let labels: Vec<String> = s.events.iter().map(|e| s.event_label(e)).collect();
    assert_eq!(labels, ["NEW enters", "OLD exits"]);
    assert!(Path::new(&repo(FIXTURE)).exists());
}

/// A pair begins at its state's entry as a pair present from the start begins at the start: with
/// no identity pull and no dispute or new pact in the pair, trust at the entry tick is the dyad
/// table's value exactly (the security dilemma reads power changes since the entry, not since the
/// start, although AAA's power has drifted for five years), and trade is the table's value (the
/// gravity target counts GDP growth from the entry).
#[test]
fn pairs_begin_at_the_entry_with_their_baselines() {
    let p = Prepared::new(Arc::new(growing()));
    let mut params = comity::params::lens("realist").unwrap();
    for (name, value) in [
        ("identity_trust_weight", 0.0),
        ("power_volatility", 0.05),
        ("gdp_volatility", 0.0),
        ("gdp_growth", 0.05),
        ("trade_dispute_penalty", 0.0),
    ] {
        params.set(name, value).unwrap();
    }
    assert!(params.security_dilemma_weight * params.security_power_sensitivity > 0.0);
    let width = PAIR_METRICS.len();
    let col = |m: &str| PAIR_METRICS.iter().position(|&x| x == m).unwrap();
    let mut checked = 0;
    for run in 0..40 {
        let r = p.run(&params, 11, run, true);
        let row = &r.pairs[(ENTRY as usize * 2) * width..(ENTRY as usize * 2 + 1) * width];
        let quarrel = r
            .disputes
            .iter()
            .any(|d| d.tick == ENTRY && [d.a, d.b].contains(&0) && [d.a, d.b].contains(&NEW));
        if quarrel || row[col("allied")] == 1.0 {
            continue;
        }
        checked += 1;
        assert_eq!((row[col("trust_ab")], row[col("trust_ba")]), (0.1, 0.1), "run {run}");
        assert!(
            (row[col("trade")] - 80.0).abs() < 1e-9,
            "run {run}: {}",
            row[col("trade")]
        );
    }
    assert!(checked > 10, "{checked}");
}

/// Common random numbers: every pair draws whether its states are present or not, so two
/// scenarios that differ only in the date of an entry give the same runs until the earlier of
/// the two dates.
#[test]
fn an_entry_date_changes_nothing_before_it() {
    let early = growing();
    let text = fs::read_to_string(repo(FIXTURE))
        .unwrap()
        .replace("at = 2005\nkind = \"enter\"", "at = 2008\nkind = \"enter\"");
    let late = scenario::load_str(&text, "late.toml", &repo("tests/fixtures")).unwrap();
    assert_ne!(early, late);
    let (a, b) = (Prepared::new(Arc::new(early)), Prepared::new(Arc::new(late)));
    let row = METRICS.len() * a.slots();
    for params in lenses() {
        for run in 0..10 {
            let (x, y) = (a.run(&params, 11, run, true), b.run(&params, 11, run, true));
            let before = ENTRY as usize * row;
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&x.metrics[..before]), bits(&y.metrics[..before]), "run {run}");
            let early_disputes = |r: &comity::sim::RunResult| {
                r.disputes
                    .iter()
                    .filter(|d| d.tick < ENTRY)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert_eq!(early_disputes(&x), early_disputes(&y), "run {run}");
            assert_ne!(bits(&x.metrics), bits(&y.metrics), "the entry date matters after it");
        }
    }
}

/// `--dyad-years`: a year has the pairs of the states present at its first step only.
#[test]
fn dyad_years_hold_the_pairs_of_present_states() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = run(&[
        "run",
        FIXTURE,
        "--runs",
        "3",
        "--dyad-years",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (header, rows) = read_csv(&out.join("dyad_years.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (run_col, year) = (col("run"), col("year"));
    let (a, b) = (col(&header[3]), col(&header[4]));
    let mut per_year = std::collections::BTreeMap::new();
    for row in &rows {
        let y: i64 = row[year].parse().unwrap();
        for side in [&row[a], &row[b]] {
            assert!(side != "NEW" || y >= 2005, "{row:?}");
            assert!(side != "OLD" || y < 2006, "{row:?}");
        }
        *per_year.entry((row[run_col].clone(), y)).or_insert(0) += 1;
    }
    for ((_, y), count) in per_year {
        // 4 states present before 2005 (6 pairs), 5 in 2005 (10), 4 from 2006 (6).
        let want = if y == 2005 { 10 } else { 6 };
        assert_eq!(count, want, "{y}");
    }
}
