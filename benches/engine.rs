//! Engine benchmark: `cargo bench` (or `cargo bench -- --quick`; `-- --sweep` adds a
//! thread-scaling sweep over 1, 2, 4, ... cores; `-- --matrix` adds synthetic worlds of 50, 193
//! and 800 states over 15 and 100 ticks, the workload of issue 13; `comity synth` writes any of
//! them as a scenario folder to time `comity run` itself).
//!
//! Measures, on a synthetic 193-state world (18,528 undirected dyads) over 15
//! yearly ticks: wall time per run on one thread, ns per dyad-tick, and runs
//! per second through the parallel Monte Carlo driver at 1 thread and at every
//! core. Then the reference kernel (`benches/reference/kernel.rs`): the engine's three hot
//! systems (trade, trust and identity, dispute onset) against the same step as plain loops, on the
//! same state at every tick of the synthetic world over 15 and 100 ticks. Also times the bundled
//! western_community scenario. Prints a table; asserts nothing about time.

#[path = "reference/kernel.rs"]
mod reference;

use comity::montecarlo::{self, Config, Sink};
use comity::params::Params;
use comity::sim::world::TickLog;
use comity::sim::{Prepared, RunResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct NullSink;
impl Sink for NullSink {
    fn chunk(&mut self, _: usize, _: &str, _: &Prepared, _: &[RunResult]) -> std::io::Result<()> {
        Ok(())
    }
}

fn driver(prepared: &Prepared, runs: u64, threads: usize) -> f64 {
    let lenses = vec![("default".to_string(), Params::default())];
    let config = Config {
        runs,
        seed: 1,
        threads,
        record_disputes: false,
        dyad_year_runs: 0,
        scratch: None,
    };
    let t = Instant::now();
    montecarlo::run(prepared, &lenses, &config, &mut NullSink, &|_| {}).expect("no I/O in the null sink");
    runs as f64 / t.elapsed().as_secs_f64()
}

/// The bundled scenario: next to the sources when built here, else relative to the working folder.
fn western() -> std::path::PathBuf {
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/western_community.toml");
    if built.exists() {
        built
    } else {
        std::path::PathBuf::from("scenarios/western_community.toml")
    }
}

/// The hot systems the reference kernel restates, in their order in a tick.
const HOT: [&str; 3] = [
    "systems::update_trade",
    "systems::update_trust_and_identity",
    "disputes::onset_disputes",
];

/// One run through the engine's systems, tick by tick: the time of each hot system, and the time
/// of each part of the reference kernel's step on a snapshot taken just before `update_trade`.
/// Panics when the two give different onsets (they are the same step).
fn engine_and_reference(prepared: &Prepared, params: &Params, run: u64) -> ([Duration; 3], [Duration; 3]) {
    let mut world = prepared.world(params, 1, run, false);
    let mut pieces = comity::sim::tick_systems();
    let (mut engine, mut kernel) = ([Duration::ZERO; 3], [Duration::ZERO; 3]);
    for _ in 0..prepared.scenario.calendar.n_ticks() {
        let mut snapshot = None;
        for (name, schedule) in &mut pieces {
            if *name == HOT[0] {
                snapshot = Some(reference::Snapshot::of(&world));
            }
            let t = Instant::now();
            schedule.run(&mut world);
            let elapsed = t.elapsed();
            if let Some(k) = HOT.iter().position(|h| h == name) {
                engine[k] += elapsed;
            }
            if *name == HOT[2] {
                let mut s = snapshot.take().expect("taken before update_trade");
                let t = Instant::now();
                reference::trade(&mut s);
                kernel[0] += t.elapsed();
                let t = Instant::now();
                reference::trust_and_identity(&mut s);
                kernel[1] += t.elapsed();
                let t = Instant::now();
                let onsets = std::hint::black_box(reference::onset(&s));
                kernel[2] += t.elapsed();
                assert_eq!(
                    onsets,
                    world.resource::<TickLog>().onsets,
                    "the reference kernel's onsets"
                );
            }
        }
    }
    (engine, kernel)
}

/// The engine's hot systems against the reference kernel on the 193-state synthetic world.
fn reference_kernel(params: &Params, quick: bool) {
    let n = 193;
    let dyads = (n * (n - 1) / 2) as f64;
    println!("reference kernel: {n} states, the engine's hot systems and the same step as plain loops on the same");
    println!("  state at every tick (ns per undirected dyad-tick, fastest of the runs per part, one thread):");
    println!(
        "    {:>5} {:>4}  {:<34} {:>9} {:>10} {:>17}",
        "ticks", "runs", "system", "engine", "reference", "engine/reference"
    );
    for years in [15i64, 100] {
        let prepared = Prepared::new(Arc::new(comity::synthetic::world(n, years, 7)));
        let runs = match (quick, years) {
            (true, 15) => 3,
            (true, _) => 1,
            (false, 15) => 10,
            (false, _) => 3,
        };
        let (mut engine, mut kernel) = ([Duration::MAX; 3], [Duration::MAX; 3]);
        for run in 0..runs {
            let (e, k) = engine_and_reference(&prepared, params, run);
            for part in 0..3 {
                engine[part] = engine[part].min(e[part]);
                kernel[part] = kernel[part].min(k[part]);
            }
        }
        let per = |t: Duration| t.as_secs_f64() * 1e9 / (dyads * years as f64);
        let rows = HOT
            .iter()
            .zip(engine.iter().zip(&kernel))
            .map(|(name, (&e, &k))| (*name, e, k))
            .chain(std::iter::once((
                "all three",
                engine.iter().sum::<Duration>(),
                kernel.iter().sum::<Duration>(),
            )));
        for (name, e, k) in rows {
            let (e, k) = (per(e), per(k));
            println!(
                "    {years:>5} {runs:>4}  {name:<34} {e:>9.1} {k:>10.1} {:>17.2}",
                e / k
            );
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sweep = std::env::args().any(|a| a == "--sweep");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "comity engine benchmark ({} cores{}, CPU path {}: COMITY_CPU_PATH=portable|avx2|avx512 forces one)",
        cores,
        if quick { ", quick" } else { "" },
        comity::sim::kernels::current_path().name()
    );

    let n = 193;
    let years = 15;
    let world = comity::synthetic::world(n, years, 7);
    let prepared = Prepared::new(Arc::new(world));
    let params = Params::default();
    let dyads = (n * (n - 1) / 2) as f64;
    let ticks = years as f64;
    prepared.run(&params, 1, 0, false); // warm-up
    let reps = if quick { 5 } else { 20 };
    let t = Instant::now();
    for run in 0..reps {
        std::hint::black_box(prepared.run(&params, 1, run, false));
    }
    let per_run = t.elapsed().as_secs_f64() / reps as f64;
    let per_dyad_tick = per_run * 1e9 / (dyads * ticks);
    println!("synthetic world: {n} states, {dyads} dyads, {ticks} ticks");
    println!("  one run, 1 thread           {:>10.2} ms", per_run * 1e3);
    println!("  per undirected dyad-tick    {per_dyad_tick:>10.1} ns");
    println!("  per directed dyad-tick      {:>10.1} ns", per_dyad_tick / 2.0);
    let runs = if quick { 16 } else { 64 };
    let one = driver(&prepared, runs, 1);
    let all = driver(&prepared, runs, cores);
    println!("  runs/s, driver, 1 thread    {one:>10.1}");
    println!("  runs/s, driver, {cores} threads   {all:>10.1}");
    if sweep {
        println!("  thread sweep (runs/s, speed-up over 1 thread):");
        let runs = 16 * cores as u64;
        let base = driver(&prepared, runs, 1);
        let mut counts: Vec<usize> = (0..).map(|k| 1usize << k).take_while(|&t| t <= cores).collect();
        if !cores.is_power_of_two() {
            counts.push(cores);
        }
        for t in counts {
            let r = if t == 1 { base } else { driver(&prepared, runs, t) };
            println!("    {t:>3} threads {r:>10.1}  x{:.2}", r / base);
        }
    }

    reference_kernel(&params, quick);

    if std::env::args().any(|a| a == "--matrix") {
        println!("  world matrix (one thread: ms per run and ns per undirected dyad-tick; runs/s on {cores} threads):");
        println!(
            "    {:>6} {:>6} {:>12} {:>10} {:>12}",
            "states", "ticks", "ms/run", "ns/dyad-t", "runs/s"
        );
        for (n, years) in [
            (50usize, 15i64),
            (50, 100),
            (193, 15),
            (193, 100),
            (800, 15),
            (800, 100),
        ] {
            let prepared = Prepared::new(Arc::new(comity::synthetic::world(n, years, 7)));
            let dyads = (n * (n - 1) / 2) as f64;
            // About 2 s of work per cell at most on a 2-core machine.
            let reps = ((2.0e9 / (dyads * years as f64 * 200.0)) as u64).clamp(1, 50);
            prepared.run(&params, 1, 0, false);
            let t = Instant::now();
            for run in 0..reps {
                std::hint::black_box(prepared.run(&params, 1, run, false));
            }
            let per_run = t.elapsed().as_secs_f64() / reps as f64;
            let rate = driver(&prepared, (reps * cores as u64).max(2), cores);
            println!(
                "    {n:>6} {years:>6} {:>12.1} {:>10.1} {rate:>12.2}",
                per_run * 1e3,
                per_run * 1e9 / (dyads * years as f64)
            );
        }
    }

    let scenario = comity::scenario::load(&western()).expect("the bundled scenario is valid");
    let prepared = Prepared::new(Arc::new(scenario));
    let runs = if quick { 500 } else { 5000 };
    let one = driver(&prepared, runs, 1);
    let all = driver(&prepared, runs, cores);
    println!("western_community.toml: 16 states, 15 ticks");
    println!("  runs/s, driver, 1 thread    {one:>10.1}");
    println!("  runs/s, driver, {cores} threads   {all:>10.1}");
}
