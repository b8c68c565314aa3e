//! Re-checks the calibration (docs/calibration.md) on a reduced run count: each
//! calibrated lens, run on the committed 1950 world, must land near the 1946-1989
//! targets computed from the MID data. The tolerance is wide enough to be stable
//! at 25 runs and tight enough to fail when a mechanism breaks.

use comity::scenario::{self, Scenario};
use comity::sim::Prepared;
use std::path::Path;
use std::sync::Arc;

/// Targets from `python3 scenarios/history/calibrate.py targets` (COW MID 5.0, 1946-1989).
const PRD: f64 = 0.03007;
const NON_PRD: f64 = 0.00070;
const CONTIGUOUS: f64 = 0.06736;
const MAJOR: f64 = 0.01830;
/// Highest hostility of disputes: threat, display, use of force, war.
const LEVELS: [f64; 4] = [0.022, 0.200, 0.756, 0.023];

fn world() -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/history");
    let text = std::fs::read_to_string(dir.join("world_1950/scenario.toml")).unwrap()
        + "\n"
        + &std::fs::read_to_string(dir.join("calibrated_lenses.toml")).unwrap();
    scenario::load_str(&text, "world_1950 + calibrated_lenses", &dir.join("world_1950"))
        .unwrap_or_else(|e| panic!("{e}"))
}

struct Rates {
    prd: f64,
    non_prd: f64,
    contiguous: f64,
    major: f64,
    levels: [f64; 4],
}

/// Onset rates of initiator-target pairs per dyad-year, and the shares of highest levels.
fn measure(s: &Scenario, params: &comity::params::Params, runs: u64) -> Rates {
    let p = Prepared::new(Arc::new(s.clone()));
    let n = s.n_states();
    let years = s.calendar.n_ticks() as f64;
    let (mut contig, mut major, mut prd) = (vec![false; n * n], vec![false; n * n], vec![false; n * n]);
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
    let (mut c, mut m, mut pr, mut np) = (0.0, 0.0, 0.0, 0.0);
    let mut levels = [0.0; 4];
    for run in 0..runs {
        for d in p.run(params, 1950, run, true).disputes {
            let k = d.a.min(d.b) * n + d.a.max(d.b);
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
        prd: pr / dyad_years(n_prd),
        non_prd: np / dyad_years(n_all - n_prd),
        contiguous: c / dyad_years(n_contig),
        major: m / dyad_years(n_major),
        levels: levels.map(|x| x / total),
    }
}

#[test]
fn each_calibrated_lens_lands_near_the_1946_1989_targets() {
    let s = world();
    for lens in ["realist_cal", "liberal_cal", "constructivist_cal"] {
        let r = measure(&s, &s.params_for(lens).unwrap(), 25);
        for (what, got, target) in [
            ("PRD", r.prd, PRD),
            ("non-PRD", r.non_prd, NON_PRD),
            ("contiguous", r.contiguous, CONTIGUOUS),
            ("major", r.major, MAJOR),
        ] {
            let err = got / target - 1.0;
            assert!(
                err.abs() < 0.35,
                "{lens}: {what} onset rate {got:.5} vs target {target:.5} ({:+.0}%)",
                err * 100.0
            );
        }
        for (k, (got, target)) in r.levels.iter().zip(LEVELS).enumerate() {
            assert!(
                (got - target).abs() < 0.05,
                "{lens}: share of highest level {} is {got:.3}, target {target}",
                k + 2
            );
        }
    }
}

#[test]
fn a_broken_mechanism_fails_this_check() {
    // A contiguity effect 30% larger pushes the contiguous onset rate out of the band:
    // the check above can fail.
    let s = world();
    let mut broken = s.params_for("liberal_cal").unwrap();
    broken.onset_contiguous *= 1.3;
    let r = measure(&s, &broken, 10);
    assert!(
        r.contiguous / CONTIGUOUS - 1.0 > 0.35,
        "contiguous rate {} did not move",
        r.contiguous
    );
}
