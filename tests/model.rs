//! Model behaviour through the library: determinism, common random numbers and
//! the signature of each mechanism.

use comity::params::Params;
use comity::scenario::{self, EventKind, Scenario};
use comity::sim::mechanisms::Hostility;
use comity::sim::metrics::{M_COHESION, M_DISPUTES, METRICS};
use comity::sim::{Prepared, RunResult};
use std::path::Path;
use std::sync::Arc;

fn tiny() -> Scenario {
    scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tiny.toml"
    )))
    .unwrap()
}

/// Bit patterns, so that NaN (an undefined metric) compares equal to itself.
fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn metric(p: &Prepared, r: &RunResult, tick: usize, slot: usize, m: usize) -> f64 {
    r.metrics[(tick * p.slots() + slot) * METRICS.len() + m]
}

#[test]
fn a_run_is_a_pure_function_of_its_inputs() {
    let p = Prepared::new(Arc::new(tiny()));
    let params = Params::default();
    let a = p.run(&params, 5, 3, true);
    let b = p.run(&params, 5, 3, true);
    assert_eq!(bits(&a.metrics), bits(&b.metrics));
    assert_eq!(a.disputes, b.disputes);
    assert_ne!(bits(&a.metrics), bits(&p.run(&params, 5, 4, true).metrics));
}

#[test]
fn the_scripted_crisis_happens_in_every_run() {
    let p = Prepared::new(Arc::new(tiny()));
    for run in 0..20 {
        let r = p.run(&Params::default(), 1, run, true);
        let crisis = r
            .disputes
            .iter()
            .find(|d| d.scripted)
            .expect("scripted crisis recorded");
        assert_eq!((crisis.a, crisis.b, crisis.entry.level(), crisis.tick), (3, 1, 4, 2));
    }
}

/// Two scenarios that differ in one event share their random numbers elsewhere:
/// before the event their runs are identical, after it the members' trust in
/// the leaver is lower in every run.
#[test]
fn common_random_numbers_isolate_an_event() {
    let with = tiny();
    let mut without = with.clone();
    without.events.retain(|e| !matches!(e.kind, EventKind::Withdraw { .. }));
    let (pw, po) = (Prepared::new(Arc::new(with)), Prepared::new(Arc::new(without)));
    let params = Params::default();
    let per_tick = pw.slots() * METRICS.len();
    for run in 0..30 {
        let (a, b) = (pw.run(&params, 9, run, false), po.run(&params, 9, run, false));
        // tick 4 (2004) holds the withdrawal: ticks 0..4 are identical.
        assert_eq!(
            bits(&a.metrics[..4 * per_tick]),
            bits(&b.metrics[..4 * per_tick]),
            "run {run}"
        );
        assert_ne!(
            bits(&a.metrics[4 * per_tick..]),
            bits(&b.metrics[4 * per_tick..]),
            "run {run}"
        );
    }
}

#[test]
fn withdrawal_lowers_the_members_trust_in_the_leaver() {
    let with = tiny();
    let mut without = with.clone();
    without.events.retain(|e| !matches!(e.kind, EventKind::Withdraw { .. }));
    let params = Params::default();
    let trust_toward_leaver = |s: &Scenario, run: u64| {
        let p = Prepared::new(Arc::new(s.clone()));
        let mut world = p.world(&params, 2, run, false);
        let mut schedule = comity::sim::tick_schedule();
        for _ in 0..5 {
            schedule.run(&mut world);
        }
        let rel = world.resource::<comity::sim::world::Relations>();
        // how BBB (1) and CCC (2) see AAA (0), and how AAA sees them
        (
            (rel.trust[4] + rel.trust[2 * 4]) / 2.0,
            (rel.trust[1] + rel.trust[2]) / 2.0,
        )
    };
    for run in 0..10 {
        let (members_with, leaver_with) = trust_toward_leaver(&with, run);
        let (members_without, leaver_without) = trust_toward_leaver(&without, run);
        let members_drop = members_without - members_with;
        let leaver_drop = leaver_without - leaver_with;
        assert!(
            members_drop > 0.01,
            "run {run}: members' trust in the leaver fell by {members_drop}"
        );
        assert!(
            members_drop > leaver_drop,
            "run {run}: the members' view drops more than the leaver's ({members_drop} vs {leaver_drop})"
        );
    }
}

#[test]
fn kantian_dyads_settle_below_use_of_force() {
    // A world of one deeply integrated pair and nothing else, with an onset
    // base rate high enough to produce many disputes.
    let text = r#"
        [scenario]
        name = "Kantian pair"
        start = 2000
        end = 2019
        [[state]]
        id = "A"
        power = 0.1
        democracy = 0.9
        [[state]]
        id = "B"
        power = 0.1
        democracy = 0.9
        [[dyad]]
        states = ["A", "B"]
        trust = 0.95
        identity = 0.95
        contiguous = true
        distance = 0.0
        [parameters]
        onset_base = -1.0
        identity_decay = 0.0
        dispute_signal = 0.0
        dispute_identity_loss = 0.0
        zone_peace = 0.0
        zone_cap = 0.0
    "#;
    let s = scenario::load_str(text, "kantian.toml", Path::new(".")).unwrap();
    let p = Prepared::new(Arc::new(s));
    let mut on = p.scenario.params_for("default").unwrap();
    let (mut disputes_on, mut above_display_on) = (0, 0);
    for run in 0..40 {
        let r = p.run(&on, 1, run, true);
        disputes_on += r.disputes.len();
        above_display_on += r.disputes.iter().filter(|d| d.highest > Hostility::Display).count();
    }
    assert!(disputes_on > 50, "the high base rate makes disputes: {disputes_on}");
    assert_eq!(above_display_on, 0, "a Kantian dyad never goes beyond display of force");
    on.kantian_cap = 0.0;
    let above_display_off: usize = (0..40)
        .map(|run| {
            p.run(&on, 1, run, true)
                .disputes
                .iter()
                .filter(|d| d.highest > Hostility::Display)
                .count()
        })
        .sum();
    assert!(
        above_display_off > 0,
        "without the cap some disputes reach use of force"
    );
}

#[test]
fn tariffs_cut_trade_toward_the_lower_target() {
    let csv = scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/csv_world/scenario.toml"
    )))
    .unwrap();
    let mut free = csv.clone();
    free.events.clear();
    let params = Params::default();
    let trade_ab = |s: &Scenario| {
        let p = Prepared::new(Arc::new(s.clone()));
        let mut world = p.world(&params, 0, 0, false);
        let mut schedule = comity::sim::tick_schedule();
        for _ in 0..24 {
            schedule.run(&mut world);
        }
        world.resource::<comity::sim::world::Relations>().trade[1]
    };
    let (taxed, untaxed) = (trade_ab(&csv), trade_ab(&free));
    // A 10% tariff one way is 5% on the pair; with elasticity 5 the target falls by
    // 1 - 0.95^5 = 22.6%; from 2001-Q2 to 2005-Q4 partial adjustment at 0.3/yr closes
    // 1 - 0.7^4.75 = 82% of the gap: trade ends about 18.5% lower.
    let ratio = taxed / untaxed;
    assert!((0.77..0.86).contains(&ratio), "trade ratio {ratio}");
}

#[test]
fn allies_honour_about_three_quarters_of_calls() {
    // Five small democratic allies of a target that is attacked every year.
    let mut text = String::from("[scenario]\nname = \"calls\"\nstart = 2000\nend = 2009\n");
    for id in ["T", "X", "A1", "A2", "A3", "A4", "A5"] {
        text += &format!("[[state]]\nid = \"{id}\"\npower = 0.05\ndemocracy = 1.0\norientation = 0.5\n");
    }
    text += "[[treaty]]\nid = \"P\"\nkind = \"defense\"\nmembers = [\"T\", \"A1\", \"A2\", \"A3\", \"A4\", \"A5\"]\nsalience = 1.0\n";
    for year in 2000..2010 {
        text += &format!("[[event]]\nat = {year}\nkind = \"crisis\"\naggressor = \"X\"\ntarget = \"T\"\nlevel = 4\n");
    }
    text += "[parameters]\npact_exit_hazard = 0.0\nalliance_search = 0.0\npower_volatility = 0.0\nonset_base = -20.0\ncall_at_force = 1.0\n";
    let s = scenario::load_str(&text, "calls.toml", Path::new(".")).unwrap();
    let p = Prepared::new(Arc::new(s));
    let params = p.scenario.params_for("default").unwrap();
    let calls_slot = METRICS.iter().position(|m| *m == "alliance_calls").unwrap();
    let (mut calls, mut honoured) = (0.0, 0.0);
    for run in 0..200 {
        let r = p.run(&params, 4, run, false);
        for tick in 0..10 {
            calls += metric(&p, &r, tick, 0, calls_slot);
            honoured += metric(&p, &r, tick, 0, calls_slot + 1);
        }
    }
    assert_eq!(calls, 200.0 * 10.0 * 5.0, "every ally is called once per crisis");
    let rate = honoured / calls;
    // Leeds (2003): 0.745; 10,000 calls give a standard error of about 0.0045.
    assert!((0.72..0.78).contains(&rate), "honour rate {rate}");
}

#[test]
fn cohesion_and_dispute_metrics_are_consistent() {
    let p = Prepared::new(Arc::new(tiny()));
    let r = p.run(&Params::default(), 0, 0, true);
    let ticks = p.scenario.calendar.n_ticks() as usize;
    assert_eq!(r.metrics.len(), ticks * p.slots() * METRICS.len());
    let total: f64 = (0..ticks).map(|t| metric(&p, &r, t, 0, M_DISPUTES)).sum();
    assert_eq!(total as usize, r.disputes.len());
    for t in 0..ticks {
        let c = metric(&p, &r, t, 1, M_COHESION);
        assert!((0.0..=1.0).contains(&c));
    }
}

#[test]
fn a_certain_join_after_an_uncertain_withdrawal_is_accepted() {
    let text = r#"
        [scenario]
        name = "maybe"
        start = 2000
        end = 2005
        [[state]]
        id = "A"
        power = 0.1
        [[state]]
        id = "B"
        power = 0.1
        [[treaty]]
        id = "T"
        kind = "trade"
        members = ["A", "B"]
        [[event]]
        at = 2001
        kind = "withdraw"
        state = "A"
        treaty = "T"
        probability = 0.5
        [[event]]
        at = 2003
        kind = "join"
        state = "A"
        treaty = "T"
    "#;
    let s = scenario::load_str(text, "maybe.toml", Path::new(".")).unwrap();
    assert_eq!(s.events.len(), 2);
    // and the runs go either way without error
    let p = Prepared::new(Arc::new(s));
    for run in 0..10 {
        p.run(&Params::default(), 0, run, false);
    }
}

#[test]
fn system_intra_trade_share_is_undefined() {
    let p = Prepared::new(Arc::new(tiny()));
    let r = p.run(&Params::default(), 0, 0, false);
    let m = METRICS.iter().position(|m| *m == "intra_trade_share").unwrap();
    assert!(metric(&p, &r, 0, 0, m).is_nan());
    assert!(metric(&p, &r, 0, 1, m) > 0.0 && metric(&p, &r, 0, 1, m) < 1.0);
}
