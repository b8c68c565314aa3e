//! Re-checks the calibration (docs/calibration.md) on a reduced run count: each
//! built-in lens, run on the committed 1960 world, must land near the 1946-1989
//! targets computed from the MID data. The tolerance is wide enough to be stable
//! at 25 runs and tight enough to fail when a mechanism breaks. A second test
//! checks that the fitted values recorded in `calibrated_lenses.toml` are the
//! built-in lenses.

use comity::params::{self, Params};
use comity::scenario::{self, Scenario};
use comity::sim::Prepared;
use comity::sim::mechanisms::Hostility;
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
/// Zones of peace (issue 9): EC-6 (1958-1989, 0 MIDs in 480 dyad-years) and Nordic pairs
/// (1 MID in 440) may have at most this onset rate under the liberal and constructivist lenses.
const ZONE_MAX: f64 = 0.0025;
/// COW codes of the EC-6 founders and of the Nordic states.
const EC6: &[i64] = &[210, 211, 212, 220, 260, 325];
const NORDIC: &[i64] = &[375, 380, 385, 390, 395];

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
    /// Onset rate among EC-6 and among Nordic pairs.
    ec6: f64,
    nordic: f64,
    /// Share of runs without a war among EC-6 pairs and among Nordic pairs.
    ec6_no_war: f64,
    nordic_no_war: f64,
    /// Greece-Turkey's share of the onsets among NATO pairs.
    greece_turkey: f64,
    /// Mean NATO cohesion (trust among members) in the first and the last year.
    nato_trust: (f64, f64),
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
    let group = |codes: &[i64]| -> Vec<usize> {
        (0..n)
            .filter(|&i| s.states[i].ccode.is_some_and(|c| codes.contains(&c)))
            .collect()
    };
    let (ec6, nordic) = (group(EC6), group(NORDIC));
    let pairs = |g: &[usize]| (g.len() * (g.len() - 1) / 2) as f64;
    let id = |name: &str| s.states.iter().position(|x| x.id == name).expect("state in the world");
    let (grc, tur) = (id("GRC"), id("TUR"));
    let slot = 1 + s.communities.iter().position(|c| c.id == "nato").unwrap();
    let stride = p.slots() * comity::sim::metrics::METRICS.len();
    let (mut c, mut m, mut pr, mut np, mut na, mut gt) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut on_ec6, mut on_nordic, mut war_ec6, mut war_nordic) = (0.0, 0.0, 0.0, 0.0);
    let (mut trust_first, mut trust_last) = (0.0, 0.0);
    let mut levels = [0.0; 4];
    for run in 0..runs {
        let result = p.run(params, s.seed, run, true);
        let cohesion = |tick: usize| result.metrics[tick * stride + slot * comity::sim::metrics::METRICS.len()];
        trust_first += cohesion(0) / runs as f64;
        trust_last += cohesion(years as usize - 1) / runs as f64;
        let (mut ec6_war, mut nordic_war) = (false, false);
        for d in result.disputes {
            let k = d.a.min(d.b) * n + d.a.max(d.b);
            let in_nato = nato.contains(&d.a) && nato.contains(&d.b);
            na += f64::from(u8::from(in_nato));
            gt += f64::from(u8::from(
                in_nato && d.a.min(d.b) == grc.min(tur) && d.a.max(d.b) == grc.max(tur),
            ));
            if ec6.contains(&d.a) && ec6.contains(&d.b) {
                on_ec6 += 1.0;
                ec6_war |= d.highest == Hostility::War;
            }
            if nordic.contains(&d.a) && nordic.contains(&d.b) {
                on_nordic += 1.0;
                nordic_war |= d.highest == Hostility::War;
            }
            c += f64::from(u8::from(contig[k]));
            m += f64::from(u8::from(major[k]));
            if prd[k] {
                pr += 1.0
            } else {
                np += 1.0
            }
            levels[usize::from(d.highest.level()) - 2] += 1.0;
        }
        war_ec6 += f64::from(u8::from(ec6_war));
        war_nordic += f64::from(u8::from(nordic_war));
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
        ec6: on_ec6 / dyad_years(pairs(&ec6)),
        nordic: on_nordic / dyad_years(pairs(&nordic)),
        ec6_no_war: 1.0 - war_ec6 / runs as f64,
        nordic_no_war: 1.0 - war_nordic / runs as f64,
        greece_turkey: gt / na,
        nato_trust: (trust_first, trust_last),
    }
}

#[test]
fn each_builtin_lens_lands_near_the_1946_1989_targets() {
    // At 200 runs every rate is within 25% (docs/calibration.md); 40 runs add a few
    // percent of noise, NATO (105 pairs) the most.
    let s = world();
    for lens in params::THEORY_LENSES {
        let r = measure(&s, &s.params_for(lens).unwrap(), 40);
        for (what, got, target, tolerance) in [
            ("all-dyads", r.all, ALL, 0.30),
            ("PRD", r.prd, PRD, 0.30),
            ("non-PRD", r.non_prd, NON_PRD, 0.30),
            ("contiguous", r.contiguous, CONTIGUOUS, 0.30),
            ("major", r.major, MAJOR, 0.30),
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
        // NATO within 35%: fitted for the realist lens (onset_alliance); for the liberal and
        // constructivist lenses the outcome of their zone gates and the shared event dependence
        // (docs/calibration.md, section 4).
        let nato_err = r.nato / NATO - 1.0;
        assert!(
            nato_err.abs() < 0.35,
            "{lens}: NATO onset rate {:.5} ({:+.0}%)",
            r.nato,
            nato_err * 100.0
        );
        if *lens == "realist" {
            // The realist lens keeps no zone of peace: its EC-6, Nordic and Greece-Turkey
            // figures are stated in docs/calibration.md, not bounded here.
            continue;
        }
        // Greece-Turkey: about half of the NATO-pair onsets in the data (11 of 23).
        assert!(
            r.greece_turkey >= 0.25,
            "{lens}: Greece-Turkey has {:.0}% of the NATO-pair onsets, want at least 25%",
            r.greece_turkey * 100.0
        );
        // Zones of peace: EC-6 and Nordic pairs almost never quarrel, and never fight a war.
        for (what, rate, no_war) in [("EC-6", r.ec6, r.ec6_no_war), ("Nordic", r.nordic, r.nordic_no_war)] {
            assert!(
                rate <= ZONE_MAX,
                "{lens}: {what} onset rate {:.3}% is above {:.2}%",
                rate * 100.0,
                ZONE_MAX * 100.0
            );
            assert!(
                no_war >= 0.99,
                "{lens}: a war among {what} pairs in {:.0}% of runs",
                (1.0 - no_war) * 100.0
            );
        }
        // Trust does not drain without cause: NATO trust in 1989 within 0.05 of 1960.
        let (first, last) = r.nato_trust;
        assert!(
            (last - first).abs() <= 0.05,
            "{lens}: NATO trust {first:.3} in the first year, {last:.3} in the last"
        );
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
fn without_the_zone_gate_the_ec6_is_no_zone_of_peace() {
    // The zones-of-peace rows can fail: with the gate off, the constructivist EC-6 and
    // Nordic pairs quarrel more than the zone bound allows (docs/calibration.md, section 6).
    let s = world();
    let mut broken = s.params_for("constructivist").unwrap();
    broken.zone_peace = 0.0;
    let r = measure(&s, &broken, 10);
    assert!(r.ec6.max(r.nordic) > ZONE_MAX, "EC-6 {} Nordic {}", r.ec6, r.nordic);
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
