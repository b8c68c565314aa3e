//! The reference kernel (`benches/reference/kernel.rs`) against the engine (issue 13, item 2):
//! on small worlds, every tick of several runs, the engine's trade, trust-and-identity and onset
//! systems and the kernel's plain loops, run from the same state, give the same bits.

#[path = "../benches/reference/kernel.rs"]
mod reference;

use bevy_ecs::prelude::*;
use comity::params::Params;
use comity::scenario::{self, Scenario};
use comity::sim::world::{Outcomes, Relations, StateIndex, TickLog, Ties, Trade, Treaty};
use comity::sim::*;
use reference::Snapshot;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const LENSES: [&str; 3] = ["realist", "liberal", "constructivist"];

/// Where the kernel's step begins (its state is snapshot before this system) and ends.
const FIRST: &str = "systems::update_trade";
const LAST: &str = "disputes::onset_disputes";
/// The system that refreshes the treaty ties, checked against a full rebuild after each tick.
const TIES: &str = "systems::refresh_ties";

/// The first entry at which two arrays differ in their bits, as `name[index]: a vs b`.
fn first_f64_difference(name: &str, a: &[f64], b: &[f64]) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{name}: {} entries vs {}", a.len(), b.len()));
    }
    let k = (0..a.len()).find(|&k| a[k].to_bits() != b[k].to_bits())?;
    Some(format!("{name}[{k}]: reference {:e} vs engine {:e}", a[k], b[k]))
}

/// The first way the kernel's step (its snapshot after the step, and its onsets) differs from
/// the engine's world after the same step, or `None` when every value is the same bits.
fn difference(s: &Snapshot, onsets: &[(usize, usize)], world: &mut World) -> Option<String> {
    let mut totals = vec![f64::NAN; s.n];
    for (index, trade) in world.query::<(&StateIndex, &Trade)>().iter(world) {
        totals[index.0] = trade.total;
    }
    let rel = world.resource::<Relations>();
    first_f64_difference("trade", &s.trade, &rel.trade)
        .or_else(|| first_f64_difference("trade total", &s.totals, &totals))
        .or_else(|| first_f64_difference("trust", &s.trust, &rel.trust))
        .or_else(|| first_f64_difference("identity", &s.identity, &rel.identity))
        .or_else(|| first_f64_difference("anchor", &s.anchor, &rel.anchor))
        .or_else(|| {
            (s.kantian != rel.kantian).then(|| {
                let k = (0..s.kantian.len()).find(|&k| s.kantian.get(k) != rel.kantian.get(k));
                format!("kantian, first at {k:?}")
            })
        })
        .or_else(|| {
            let engine = &world.resource::<TickLog>().onsets;
            (onsets != engine.as_slice()).then(|| format!("onsets: reference {onsets:?} vs engine {engine:?}"))
        })
}

/// What a world's runs compared.
#[derive(Default)]
struct Tally {
    ticks: usize,
    onsets: usize,
    /// Ticks at which the perturbed snapshots were checked.
    perturbed: usize,
    /// Ticks at which the next tick's draws gave the reference another onset list.
    draws_matter: usize,
    /// Refreshes of the treaty ties that recomputed only the touched pairs.
    incremental: usize,
}

/// Where the ties a refresh left differ from a full rebuild from the same treaties, if they do.
fn ties_difference(world: &mut World) -> Option<String> {
    let ties = world.resource::<Ties>().clone();
    let mut treaties: Vec<Treaty> = world.query::<&Treaty>().iter(world).cloned().collect();
    treaties.sort_by_key(|t| t.order);
    let mut full = ties.clone();
    full.rebuild(treaties.iter());
    let n = ties.n;
    for k in 0..n * n {
        let (got, want) = (
            (
                ties.defense[k],
                ties.pta[k],
                ties.shared[k],
                ties.institutions[k].to_bits(),
            ),
            (
                full.defense[k],
                full.pta[k],
                full.shared[k],
                full.institutions[k].to_bits(),
            ),
        );
        if got != want {
            return Some(format!(
                "pair {} {}: {got:?} vs the full rebuild's {want:?}",
                k / n,
                k % n
            ));
        }
        let bits = |(p, d): (f64, f64)| (p.to_bits(), d.to_bits());
        if full.defense[k] > 0 && bits(ties.joined[k]) != bits(full.joined[k]) {
            return Some(format!("joined of pair {} {}", k / n, k % n));
        }
    }
    (ties.allies != full.allies || ties.pacts != full.pacts || ties.pacts_of != full.pacts_of)
        .then(|| "the lists of allies or pacts".to_string())
}

/// The first pair (i, j), i < j, of two present states.
fn present_pair(s: &Snapshot) -> Option<(usize, usize)> {
    (0..s.n)
        .flat_map(|i| (i + 1..s.n).map(move |j| (i, j)))
        .find(|&(i, j)| s.active[i] && s.active[j])
}

/// A value in [0, 1] at least a quarter away from `x`.
fn far(x: f64) -> f64 {
    if x < 0.5 { 0.75 } else { 0.25 }
}

/// The comparison can fail: one snapshot entry changed makes the step differ from the engine's.
fn check_perturbations(before: &Snapshot, world: &mut World, tally: &mut Tally) {
    let Some((i, j)) = present_pair(before) else {
        return;
    };
    let n = before.n;
    let perturbed = |change: &dyn Fn(&mut Snapshot)| {
        let mut s = before.clone();
        change(&mut s);
        let onsets = reference::step(&mut s);
        (s, onsets)
    };
    let (s, onsets) = perturbed(&|s| s.trust[i * n + j] = far(s.trust[i * n + j]));
    let d = difference(&s, &onsets, world);
    assert!(d.as_deref().is_some_and(|d| d.starts_with("trust")), "{d:?}");
    if before.trade_baseline[i * n + j] > 0.0 {
        let (s, onsets) = perturbed(&|s| s.trade_baseline[i * n + j] *= 1.01);
        let d = difference(&s, &onsets, world);
        assert!(d.as_deref().is_some_and(|d| d.starts_with("trade")), "{d:?}");
    }
    let (s, onsets) = perturbed(&|s| s.identity[j * n + i] = far(s.identity[j * n + i]));
    assert!(difference(&s, &onsets, world).is_some(), "an identity changed");
    let engine = world.resource::<TickLog>().onsets.clone();
    if let Some(&(a, b)) = engine.first() {
        // A crisis scripted for a pair takes it out of the onset draw.
        let (s, onsets) = perturbed(&|s| s.crises.push((b, a)));
        let d = difference(&s, &onsets, world);
        assert!(d.as_deref().is_some_and(|d| d.starts_with("onsets")), "{d:?}");
        let (s, onsets) = perturbed(&|s| s.tick += 1);
        if difference(&s, &onsets, world).is_some() {
            tally.draws_matter += 1;
        }
    }
    tally.perturbed += 1;
}

/// Runs `run` of the world tick by tick through the engine's systems, checking the reference
/// step against the engine's at every tick; then checks that the pieces made the same run as
/// `tick_schedule` does.
fn check_run(prepared: &Prepared, params: &Params, seed: u64, run: u64, perturb: bool, tally: &mut Tally) {
    let name = &prepared.scenario.name;
    let mut world = prepared.world(params, seed, run, true);
    let mut pieces = tick_systems();
    assert!(
        [FIRST, LAST, TIES]
            .iter()
            .all(|name| pieces.iter().any(|(s, _)| s == name))
    );
    for tick in 0..prepared.scenario.calendar.n_ticks() {
        let mut snapshot = None;
        for (system, schedule) in &mut pieces {
            if *system == FIRST {
                snapshot = Some(Snapshot::of(&world));
            }
            let ties = world.resource::<Ties>();
            let incremental = !ties.dirty && !ties.touched.is_empty();
            schedule.run(&mut world);
            if *system == TIES {
                if let Some(d) = ties_difference(&mut world) {
                    panic!("{name}, run {run}, tick {tick}: the refreshed ties are not a full rebuild's: {d}");
                }
                tally.incremental += usize::from(incremental);
            }
            if *system == LAST {
                let before = snapshot.take().expect("taken before update_trade");
                assert_eq!(before.tick, tick);
                let mut s = before.clone();
                let onsets = reference::step(&mut s);
                if let Some(d) = difference(&s, &onsets, &mut world) {
                    panic!("{name}, run {run}, tick {tick}: the reference differs from the engine: {d}");
                }
                tally.ticks += 1;
                tally.onsets += onsets.len();
                if perturb {
                    check_perturbations(&before, &mut world, tally);
                }
            }
        }
    }
    let whole = prepared.run(params, seed, run, true);
    let outcomes = world.resource::<Outcomes>();
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&outcomes.metrics),
        bits(&whole.metrics),
        "{name}, run {run}: the systems one by one made another run than tick_schedule"
    );
    assert_eq!(outcomes.disputes, whole.disputes, "{name}, run {run}");
}

/// Checks `runs` runs of a scenario under each lens, the first run of each with perturbations.
fn check(scenario: Scenario, runs: u64) -> Tally {
    let prepared = Prepared::new(Arc::new(scenario));
    let mut tally = Tally::default();
    for lens in LENSES {
        let params = prepared.scenario.params_for(lens).expect("a built-in lens");
        for run in 0..runs {
            check_run(&prepared, &params, 5, run, run == 0, &mut tally);
        }
    }
    assert_eq!(
        tally.ticks,
        LENSES.len() * runs as usize * prepared.scenario.calendar.n_ticks() as usize
    );
    tally
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_reference_kernel_matches_the_engine_on_synthetic_worlds() {
    for (n, seed) in [(12, 3), (40, 7)] {
        let tally = check(comity::synthetic::world(n, 15, seed), 3);
        assert!(tally.perturbed > 0);
        if n == 40 {
            assert!(tally.onsets > 0, "no onset to compare in the {n}-state world");
            assert!(tally.incremental > 0, "no refresh of only the touched ties was checked");
        }
    }
}

#[test]
fn the_reference_kernel_matches_the_engine_on_the_western_community() {
    let s = scenario::load(&repo("scenarios/western_community.toml")).expect("the bundled scenario loads");
    let tally = check(s, 4);
    assert!(tally.onsets > 20, "{} onsets", tally.onsets);
    assert!(tally.draws_matter > 0, "another tick's draws never changed the onsets");
    assert!(tally.incremental > 0, "no refresh of only the touched ties was checked");
}

/// A growing world (a state enters, another exits: pairs absent), a scripted crisis (its pair
/// skips the onset draw), and quarterly steps (`dt` = 0.25).
#[test]
fn the_reference_kernel_matches_the_engine_with_absent_pairs_crises_and_quarters() {
    let growing = scenario::load(&repo("tests/fixtures/growing.toml")).unwrap();
    assert!(growing.present_at_start().contains(&false));
    let tally = check(growing, 4);
    assert!(tally.onsets > 20, "{} onsets", tally.onsets);
    assert!(tally.draws_matter > 0, "another tick's draws never changed the onsets");

    let tiny = std::fs::read_to_string(repo("tests/fixtures/tiny.toml")).unwrap();
    assert!(tiny.contains("kind = \"crisis\""));
    check(
        scenario::load_str(&tiny, "tiny.toml", &repo("tests/fixtures")).unwrap(),
        3,
    );
    let quarters = tiny.replace("end = 2010\n", "end = 2010\nstep = \"quarter\"\n");
    assert_ne!(quarters, tiny);
    let s = scenario::load_str(&quarters, "quarters.toml", &repo("tests/fixtures")).unwrap();
    assert!((s.calendar.dt() - 0.25).abs() < 1e-12);
    check(s, 3);
}
