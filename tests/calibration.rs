//! Re-checks the calibration (docs/calibration.md) on a reduced run count: each
//! built-in lens, run on the committed 1960 world, must land near the 1946-1989
//! targets computed from the MID data. The tolerance is wide enough to be stable
//! at 25 runs and tight enough to fail when a mechanism breaks. A second test
//! checks that the fitted values recorded in `calibrated_lenses.toml` are the
//! built-in lenses.

use comity::params::{self, Params};
use comity::scenario::{self, Scenario};
use comity::sim::Prepared;
use std::path::Path;
use std::sync::Arc;

/// Targets from `python3 scenarios/history/calibrate.py targets` (COW MID 5.0, 1946-1989).
const ALL: f64 = 0.00366;
const PRD: f64 = 0.03007;
const NON_PRD: f64 = 0.00070;
const CONTIGUOUS: f64 = 0.06736;
const MAJOR: f64 = 0.01830;
/// The world's 15 NATO members, 1960-1989 (23 onsets in 3,150 dyad-years).
const NATO: f64 = 0.00730;
/// Highest hostility of disputes: threat, display, use of force, war.
const LEVELS: [f64; 4] = [0.022, 0.200, 0.756, 0.023];

fn history() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/history")
}

fn world() -> Scenario {
    scenario::load(&history().join("world_1960/scenario.toml")).unwrap_or_else(|e| panic!("{e}"))
}

struct Rates {
    all: f64,
    prd: f64,
    non_prd: f64,
    contiguous: f64,
    major: f64,
    nato: f64,
    levels: [f64; 4],
}

/// Onset rates of initiator-target pairs per dyad-year, and the shares of highest levels.
fn measure(s: &Scenario, params: &Params, runs: u64) -> Rates {
    let p = Prepared::new(Arc::new(s.clone()));
    let n = s.n_states();
    let years = s.calendar.n_ticks() as f64;
    let (mut contig, mut major, mut prd) = (vec![false; n * n], vec![false; n * n], vec![false; n * n]);
    let nato = &s
        .communities
        .iter()
        .find(|c| c.id == "nato")
        .expect("the world has a nato community")
        .members;
    let n_nato = (nato.len() * (nato.len() - 1) / 2) as f64;
    let (mut n_contig, mut n_major, mut n_prd, mut n_all) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        for j in i + 1..n {
            let k = i * n + j;
            contig[k] = s.dyads.contiguous[k];
            major[k] = s.states[i].major || s.states[j].major;
            prd[k] = contig[k] || major[k];
            n_contig += f64::from(u8::from(contig[k]));
            n_major += f64::from(u8::from(major[k]));
            n_prd += f64::from(u8::from(prd[k]));
            n_all += 1.0;
        }
    }
    let (mut c, mut m, mut pr, mut np, mut na) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut levels = [0.0; 4];
    for run in 0..runs {
        for d in p.run(params, s.seed, run, true).disputes {
            let k = d.a.min(d.b) * n + d.a.max(d.b);
            na += f64::from(u8::from(nato.contains(&d.a) && nato.contains(&d.b)));
            c += f64::from(u8::from(contig[k]));
            m += f64::from(u8::from(major[k]));
            if prd[k] {
                pr += 1.0
            } else {
                np += 1.0
            }
            levels[usize::from(d.highest) - 2] += 1.0;
        }
    }
    let dyad_years = |count: f64| count * years * runs as f64;
    let total: f64 = levels.iter().sum();
    Rates {
        all: (pr + np) / dyad_years(n_all),
        prd: pr / dyad_years(n_prd),
        non_prd: np / dyad_years(n_all - n_prd),
        contiguous: c / dyad_years(n_contig),
        major: m / dyad_years(n_major),
        nato: na / dyad_years(n_nato),
        levels: levels.map(|x| x / total),
    }
}

#[test]
fn each_builtin_lens_lands_near_the_1946_1989_targets() {
    // At 200 runs every rate is within 25% (docs/calibration.md); 25 runs add a few
    // percent of noise, NATO (105 pairs) the most.
    let s = world();
    for lens in params::THEORY_LENSES {
        let r = measure(&s, &s.params_for(lens).unwrap(), 25);
        for (what, got, target, tolerance) in [
            ("all-dyads", r.all, ALL, 0.30),
            ("PRD", r.prd, PRD, 0.30),
            ("non-PRD", r.non_prd, NON_PRD, 0.30),
            ("contiguous", r.contiguous, CONTIGUOUS, 0.30),
            ("major", r.major, MAJOR, 0.30),
            ("NATO", r.nato, NATO, 0.35),
        ] {
            let err = got / target - 1.0;
            assert!(
                err.abs() < tolerance,
                "{lens}: {what} onset rate {got:.5} vs target {target:.5} ({:+.0}%)",
                err * 100.0
            );
        }
        for (k, (got, target)) in r.levels.iter().zip(LEVELS).enumerate() {
            assert!(
                (got - target).abs() < 0.04,
                "{lens}: share of highest level {} is {got:.3}, target {target}",
                k + 2
            );
        }
    }
}

#[test]
fn the_recorded_fit_is_the_builtin_lenses() {
    // calibrated_lenses.toml records what calibrate.py fit found; appended to the
    // world, each `<lens>_cal` must resolve to exactly the built-in lens.
    let dir = history();
    let text = std::fs::read_to_string(dir.join("world_1960/scenario.toml")).unwrap()
        + "\n"
        + &std::fs::read_to_string(dir.join("calibrated_lenses.toml")).unwrap();
    let s = scenario::load_str(&text, "world_1960 + calibrated_lenses", &dir.join("world_1960"))
        .unwrap_or_else(|e| panic!("{e}"));
    for lens in params::THEORY_LENSES {
        let fitted = s.params_for(&format!("{lens}_cal")).unwrap();
        assert_eq!(
            fitted,
            params::lens(lens).unwrap(),
            "{lens}_cal differs from the built-in {lens}"
        );
    }
}

#[test]
fn a_broken_mechanism_fails_this_check() {
    // A contiguity effect 30% larger pushes the contiguous onset rate out of the band:
    // the check above can fail.
    let s = world();
    let mut broken = s.params_for("liberal").unwrap();
    broken.onset_contiguous *= 1.3;
    let r = measure(&s, &broken, 10);
    assert!(
        r.contiguous / CONTIGUOUS - 1.0 > 0.35,
        "contiguous rate {} did not move",
        r.contiguous
    );
}
