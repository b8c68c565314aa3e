//! Each theory's signature, through the library (model brief section 4; issue 3).

use comity::params::Params;
use comity::scenario::{self, EventKind, Scenario};
use comity::sim::metrics::METRICS;
use comity::sim::world::Relations;
use comity::sim::{Prepared, RunResult, tick_schedule};
use std::path::Path;
use std::sync::Arc;

fn load(text: &str) -> Scenario {
    scenario::load_str(text, "lens-test.toml", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

fn m(name: &str) -> usize {
    METRICS.iter().position(|x| *x == name).unwrap()
}

fn at(p: &Prepared, r: &RunResult, tick: usize, slot: usize, metric: &str) -> f64 {
    r.metrics[(tick * p.slots() + slot) * METRICS.len() + m(metric)]
}

fn lens(s: &Scenario, name: &str) -> Params {
    s.params_for(name).unwrap()
}

/// Relations after `ticks` ticks of run `run`.
fn relations_after(s: &Scenario, params: &Params, run: u64, ticks: usize) -> Relations {
    let p = Prepared::new(Arc::new(s.clone()));
    let mut world = p.world(params, 1, run, false);
    let mut schedule = tick_schedule();
    for _ in 0..ticks {
        schedule.run(&mut world);
    }
    world.resource::<Relations>().clone()
}

const FOUR_DEMOCRACIES: &str = r#"
[scenario]
name = "four"
start = 2000
end = 2011
[[state]]
id = "A"
power = 0.2
gdp = 5.0
democracy = 0.9
orientation = 0.8
[[state]]
id = "B"
power = 0.05
gdp = 2.0
democracy = 0.9
orientation = 0.8
[[state]]
id = "C"
power = 0.05
gdp = 2.0
democracy = 0.9
orientation = 0.8
[[state]]
id = "D"
power = 0.05
gdp = 2.0
democracy = 0.9
orientation = 0.8
[[treaty]]
id = "Climate"
kind = "regime"
members = ["A", "B", "C", "D"]
salience = 0.8
[[treaty]]
id = "Union"
kind = "community"
members = ["A", "B", "C", "D"]
salience = 0.9
[[community]]
id = "union"
members = ["A", "B", "C", "D"]
[defaults]
trust = 0.85
identity = 0.85
trade = 100.0
contiguous = true
distance = 0.0
"#;

#[test]
fn realist_leaving_a_regime_changes_nothing_beyond_its_material_terms() {
    let without = load(FOUR_DEMOCRACIES);
    let with = load(&format!(
        "{FOUR_DEMOCRACIES}\n[[event]]\nat = 2003\nkind = \"withdraw\"\nstate = \"A\"\ntreaty = \"Climate\"\n"
    ));
    for run in 0..10 {
        let (a, b) = (
            relations_after(&without, &lens(&without, "realist"), run, 12),
            relations_after(&with, &lens(&with, "realist"), run, 12),
        );
        assert_eq!(
            a.trust, b.trust,
            "realist trust must not react to a regime exit (run {run})"
        );
        assert_eq!(a.identity, b.identity);
        assert_eq!(a.peace_years, b.peace_years, "nor do disputes");
        assert_ne!(
            a.trade, b.trade,
            "the material term (institutions in the trade target) does change"
        );
        // the liberal members, by contrast, trust the leaver less
        let (la, lb) = (
            relations_after(&without, &lens(&without, "liberal"), run, 4),
            relations_after(&with, &lens(&with, "liberal"), run, 4),
        );
        let toward_leaver = |r: &Relations| (1..4).map(|i| r.trust[i * 4]).sum::<f64>();
        assert!(
            toward_leaver(&lb) < toward_leaver(&la) - 0.1,
            "liberal: a withdrawal is a defection the members see"
        );
        // and the constructivist members identify with it less
        let (ca, cb) = (
            relations_after(&without, &lens(&without, "constructivist"), run, 4),
            relations_after(&with, &lens(&with, "constructivist"), run, 4),
        );
        let identity_toward = |r: &Relations| (1..4).map(|i| r.identity[i * 4]).sum::<f64>();
        assert!(
            identity_toward(&cb) < identity_toward(&ca) - 0.05,
            "constructivist: a norm violation lowers we-feeling"
        );
    }
}

#[test]
fn realist_trust_follows_relative_power_exactly_in_log_odds() {
    let text = r#"
        [scenario]
        name = "shift"
        start = 2000
        end = 2003
        [[state]]
        id = "R"
        power = 0.1
        [[state]]
        id = "S"
        power = 0.1
        [defaults]
        trust = 0.6
        identity = 0.1
        [parameters]
        power_volatility = 0.0
        onset_base = -20.0
        alliance_search = 0.0
        [[event]]
        at = 2001
        kind = "shock"
        state = "R"
        power_factor = 2.0
    "#;
    let s = load(text);
    let r = relations_after(&s, &lens(&s, "realist"), 0, 2);
    let logit = |t: f64| (t / (1.0 - t)).ln();
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    // S sees R double: log-odds fall by ln 2; R sees S halve relative to itself: rise by ln 2.
    assert!(
        (r.trust[2] - logistic(logit(0.6) - 2f64.ln())).abs() < 1e-12,
        "S -> R {}",
        r.trust[2]
    );
    assert!(
        (r.trust[1] - logistic(logit(0.6) + 2f64.ln())).abs() < 1e-12,
        "R -> S {}",
        r.trust[1]
    );
}

#[test]
fn realist_a_rising_power_draws_balancing_alliances() {
    let mut text = String::from(
        "[scenario]\nname = \"rise\"\nstart = 2000\nend = 2014\n\
         [[state]]\nid = \"R\"\npower = 0.01\n\
         [[state]]\nid = \"A\"\npower = 0.05\n[[state]]\nid = \"B\"\npower = 0.05\n[[state]]\nid = \"C\"\npower = 0.05\n\
         [[community]]\nid = \"small\"\nmembers = [\"A\", \"B\", \"C\"]\n\
         [defaults]\ntrust = 0.8\nidentity = 0.1\ncontiguous = true\ndistance = 0.0\n\
         [[dyad]]\nstates = [\"R\", \"A\"]\ntrust = 0.2\n[[dyad]]\nstates = [\"R\", \"B\"]\ntrust = 0.2\n[[dyad]]\nstates = [\"R\", \"C\"]\ntrust = 0.2\n\
         [parameters]\nalliance_search = 0.5\nonset_base = -20.0\npower_volatility = 0.0\n",
    );
    let still = load(&text);
    // R rises eightfold: a threat that two small states together can still balance.
    for year in 2001..2004 {
        text += &format!("[[event]]\nat = {year}\nkind = \"shock\"\nstate = \"R\"\npower_factor = 2.0\n");
    }
    let rising = load(&text);
    let allied = |s: &Scenario| {
        let p = Prepared::new(Arc::new(s.clone()));
        let params = lens(s, "realist");
        (0..40)
            .map(|run| at(&p, &p.run(&params, 3, run, false), 14, 1, "allied_share"))
            .sum::<f64>()
            / 40.0
    };
    let (quiet, threatened) = (allied(&still), allied(&rising));
    assert_eq!(quiet, 0.0, "a weak neighbour is no threat worth an alliance");
    assert!(
        threatened > 0.5,
        "the small states balance against the riser: allied share {threatened}"
    );
}

fn pair_world(extra: &str) -> Scenario {
    // Two separate neighbour pairs, identical but for democracy and trade.
    load(&format!(
        "[scenario]\nname = \"pairs\"\nstart = 2000\nend = 2039\n\
         [[state]]\nid = \"H1\"\npower = 0.05\ngdp = 1.0\ndemocracy = 0.95\n[[state]]\nid = \"H2\"\npower = 0.05\ngdp = 1.0\ndemocracy = 0.95\n\
         [[state]]\nid = \"L1\"\npower = 0.05\ngdp = 1.0\ndemocracy = 0.1\n[[state]]\nid = \"L2\"\npower = 0.05\ngdp = 1.0\ndemocracy = 0.1\n\
         [[community]]\nid = \"high\"\nmembers = [\"H1\", \"H2\"]\n[[community]]\nid = \"low\"\nmembers = [\"L1\", \"L2\"]\n\
         [defaults]\ntrust = 0.4\nidentity = 0.2\ndistance = 20000.0\n\
         [[dyad]]\nstates = [\"H1\", \"H2\"]\ncontiguous = true\ndistance = 0.0\ntrade = 100.0\n\
         [[dyad]]\nstates = [\"L1\", \"L2\"]\ncontiguous = true\ndistance = 0.0\ntrade = 0.0\n\
         [parameters]\nonset_base = -4.0\nalliance_search = 0.0\n{extra}"
    ))
}

#[test]
fn liberal_trade_and_joint_democracy_pacify() {
    let s = pair_world("");
    let p = Prepared::new(Arc::new(s.clone()));
    let count = |lens_name: &str| {
        let params = lens(&s, lens_name);
        let (mut high, mut low) = (0.0, 0.0);
        for run in 0..150 {
            let r = p.run(&params, 8, run, false);
            for t in 0..40 {
                high += at(&p, &r, t, 1, "disputes");
                low += at(&p, &r, t, 2, "disputes");
            }
        }
        (high, low)
    };
    let (high, low) = count("liberal");
    assert!(low > 100.0, "the low pair has disputes: {low}");
    assert!(
        high < 0.5 * low,
        "liberal: interdependent democracies dispute far less ({high} vs {low})"
    );
    let (high_r, low_r) = count("realist");
    let ratio = high_r / low_r;
    assert!(
        (0.75..1.33).contains(&ratio),
        "realist: trade and democracy do not matter ({high_r} vs {low_r})"
    );
}

#[test]
fn constructivist_a_high_identity_community_settles_below_force() {
    // The identity channel alone: the zone gate (which would prevent most of these disputes)
    // and the rivalry feedback (which makes repeated disputes escalate) are switched off.
    let s = load(&format!(
        "{FOUR_DEMOCRACIES}\n[parameters]\nonset_base = -4.0\nidentity_decay = 0.0\nzone_peace = 0.0\nonset_rivalry = 0.0\nescalate_rivalry = 0.0\n"
    ));
    let p = Prepared::new(Arc::new(s.clone()));
    let levels = |lens_name: &str| {
        let params = lens(&s, lens_name);
        let mut counts = [0usize; 6];
        for run in 0..60 {
            for d in p.run(&params, 5, run, true).disputes {
                counts[usize::from(d.highest.level())] += 1;
            }
        }
        counts
    };
    let c = levels("constructivist");
    let total: usize = c.iter().sum();
    assert!(total > 50, "disputes happen: {c:?}");
    assert_eq!(c[5], 0, "no dispute among members reaches war: {c:?}");
    assert!(c[2] + c[3] > total / 2, "most end below use of force: {c:?}");
    let r = levels("realist");
    assert!(
        r[4] + r[5] > r[2] + r[3],
        "without the identity channel the same world fights: {r:?}"
    );
}

#[test]
fn the_zone_gate_keeps_a_security_community_from_quarrelling() {
    // The same high-identity democracies with the gate on (the built-in lenses) and off:
    // the constructivist (Kantian) and liberal (democracy, trade, IGOs) gates cut the
    // dispute hazard; the realist lens has no gate, so switching it off changes nothing.
    let base = format!("{FOUR_DEMOCRACIES}\n[parameters]\nonset_base = -5.0\nidentity_decay = 0.0\n");
    let s_on = load(&base);
    let s_off = load(&format!("{base}zone_peace = 0.0\n"));
    let count = |s: &Scenario, lens_name: &str| -> usize {
        let p = Prepared::new(Arc::new(s.clone()));
        let params = lens(s, lens_name);
        (0..40).map(|run| p.run(&params, 5, run, true).disputes.len()).sum()
    };
    let (on, off) = (count(&s_on, "constructivist"), count(&s_off, "constructivist"));
    assert!(off > 50, "without the gate the community quarrels: {off}");
    assert!(
        on * 5 < off,
        "constructivist: the Kantian gate removes most disputes ({on} vs {off})"
    );
    let (on_r, off_r) = (count(&s_on, "realist"), count(&s_off, "realist"));
    assert_eq!(on_r, off_r, "realist: no zone of peace");
}

#[test]
fn constructivist_norms_converge_among_states_that_interact() {
    let text = r#"
        [scenario]
        name = "norms"
        start = 2000
        end = 2029
        [[state]]
        id = "A"
        power = 0.1
        norms = [0.9, 0.9, 0.9, 0.9]
        [[state]]
        id = "B"
        power = 0.1
        norms = [0.1, 0.2, 0.1, 0.2]
        [[state]]
        id = "C"
        power = 0.1
        norms = [0.5, 0.1, 0.8, 0.3]
        [defaults]
        trust = 0.5
        identity = 0.3
        trade = 50.0
        contiguous = true
        distance = 0.0
        [parameters]
        onset_base = -20.0
    "#;
    let s = load(text);
    let p = Prepared::new(Arc::new(s.clone()));
    let similarity = |lens_name: &str, tick: usize| {
        let params = lens(&s, lens_name);
        (0..30)
            .map(|run| at(&p, &p.run(&params, 2, run, false), tick, 0, "norm_similarity"))
            .sum::<f64>()
            / 30.0
    };
    let (start, end) = (similarity("constructivist", 0), similarity("constructivist", 29));
    assert!(end > start + 0.15, "norms converge: similarity {start} -> {end}");
    let (rs, re) = (similarity("realist", 0), similarity("realist", 29));
    assert!((re - rs).abs() < 1e-12, "realists do not diffuse norms: {rs} -> {re}");
}

#[test]
fn constructivist_a_core_withdrawal_lowers_cohesion_and_the_phase() {
    let base = load(&format!("{FOUR_DEMOCRACIES}\n[parameters]\nidentity_decay = 0.0\n"));
    let mut with = base.clone();
    let union = with.treaties.iter().position(|t| t.id == "Union").unwrap();
    with.events.push(comity::scenario::EventSpec {
        at: comity::time::Month::from_ym(2002, 1),
        tick: 2,
        order: 0,
        probability: 1.0,
        kind: EventKind::Withdraw {
            state: 0,
            treaty: union,
        },
    });
    let (pb, pw) = (Prepared::new(Arc::new(base.clone())), Prepared::new(Arc::new(with)));
    let params = lens(&base, "constructivist");
    let (mut cohesion_drop, mut phase_base, mut phase_with) = (0.0, 0.0, 0.0);
    for run in 0..40 {
        let (rb, rw) = (pb.run(&params, 6, run, false), pw.run(&params, 6, run, false));
        cohesion_drop += at(&pb, &rb, 11, 1, "cohesion") - at(&pw, &rw, 11, 1, "cohesion");
        phase_base += at(&pb, &rb, 3, 1, "phase");
        phase_with += at(&pw, &rw, 3, 1, "phase");
    }
    assert!(
        cohesion_drop / 40.0 > 0.02,
        "the core's exit lowers cohesion: {}",
        cohesion_drop / 40.0
    );
    assert!(
        phase_with < phase_base,
        "and can drop the Adler-Barnett phase: {phase_with} vs {phase_base}"
    );
}

#[test]
fn a_dispute_leaves_a_rivalry_that_fades_with_its_half_life() {
    // One scripted crisis in 2001 (tick 1) and no random onsets: the pair's rivalry stock
    // is 1 after that tick's clock advance halves it by 0.5^(1/H), then decays by 0.5^(1/H) a year.
    let text = format!(
        "{FOUR_DEMOCRACIES}\n[parameters]\nonset_base = -20.0\n[[event]]\nat = 2001\nkind = \"crisis\"\naggressor = \"A\"\ntarget = \"B\"\nlevel = 2\n"
    );
    let s = load(&text);
    for name in ["realist", "liberal", "constructivist"] {
        let params = lens(&s, name);
        let keep = 0.5f64.powf(1.0 / params.rivalry_half_life);
        let n = s.n_states();
        let after = |ticks| relations_after(&s, &params, 0, ticks).rivalry[1];
        assert_eq!(after(1), 0.0, "{name}: no rivalry before the crisis");
        let one = after(2);
        assert!((one - keep).abs() < 1e-12, "{name}: {one} after the crisis year");
        let six = after(7);
        assert!((six - keep.powi(6)).abs() < 1e-12, "{name}: {six} five years on");
        assert_eq!(relations_after(&s, &params, 0, 7).rivalry[n], six, "{name}: symmetric");
    }
}

#[test]
fn trust_returns_to_its_anchor_after_a_summit() {
    // A summit raises trust among all four; with no other events and an unchanged structure,
    // trust returns toward where it was, halving the gap every trust_half_life years.
    let quiet = load(&format!(
        "{FOUR_DEMOCRACIES}\n[parameters]\nonset_base = -20.0\npower_volatility = 0.0\n"
    ));
    let summit = load(&format!(
        "{FOUR_DEMOCRACIES}\n[parameters]\nonset_base = -20.0\npower_volatility = 0.0\n[[event]]\nat = 2001\nkind = \"summit\"\nstates = [\"A\", \"B\", \"C\", \"D\"]\ntrust = 0.2\n"
    ));
    for name in ["realist", "liberal"] {
        let params = lens(&quiet, name);
        let gap = |ticks| {
            let (a, b) = (
                relations_after(&quiet, &params, 0, ticks),
                relations_after(&summit, &params, 0, ticks),
            );
            b.trust[1] - a.trust[1]
        };
        let (start, later) = (gap(2), gap(2 + params.trust_half_life as usize));
        assert!(start > 0.05, "{name}: the summit raised trust by {start}");
        assert!(
            (later / start - 0.5).abs() < 0.05,
            "{name}: after one half-life the gap is {later} of {start}"
        );
        // and without any event, trust does not drift
        let (t0, t10) = (
            relations_after(&quiet, &params, 0, 1).trust[1],
            relations_after(&quiet, &params, 0, 11).trust[1],
        );
        assert!((t10 - t0).abs() < 1e-9, "{name}: quiet trust moved from {t0} to {t10}");
    }
}
