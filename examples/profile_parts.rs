//! Times each system of a tick on the synthetic 193-state world (a profiling aid:
//! `cargo run --release --example profile_parts`; `TICKS=100 STATES=800 RUNS=3` change the world).
use bevy_ecs::prelude::*;
use comity::params::Params;
use comity::sim::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    let (ticks, states, runs) = (env("TICKS", 15), env("STATES", 193), env("RUNS", 5).max(1));
    let p = Prepared::new(Arc::new(comity::synthetic::world(states, ticks as i64, 7)));
    let params = Params::default();
    // The fastest of the runs per system: the machine is shared, and the minimum is the figure
    // least disturbed by other work.
    let mut best: Vec<Duration> = Vec::new();
    let mut names = Vec::new();
    let mut disputes = 0;
    for run in 0..runs as u64 {
        let mut world = p.world(&params, 1, run, true);
        let (run_names, mut schedules): (Vec<&str>, Vec<Schedule>) = tick_systems().into_iter().unzip();
        names = run_names;
        best.resize(names.len(), Duration::MAX);
        let mut time = vec![Duration::ZERO; names.len()];
        for _ in 0..ticks {
            for (k, sc) in schedules.iter_mut().enumerate() {
                let t = Instant::now();
                sc.run(&mut world);
                time[k] += t.elapsed();
            }
        }
        for (b, t) in best.iter_mut().zip(&time) {
            *b = (*b).min(*t);
        }
        disputes += world.resource::<world::Outcomes>().disputes.len();
    }
    let dyad_ticks = (states * (states - 1) / 2 * ticks) as f64;
    println!(
        "{states} states, {ticks} ticks, fastest of {runs} runs per system, CPU path {}",
        comity::sim::kernels::current_path().name()
    );
    for (n, t) in names.iter().zip(&best) {
        println!(
            "{n:<45} {:>8.2} ms/run {:>7.1} ns/dyad-tick",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e9 / dyad_ticks
        );
    }
    let total: Duration = best.iter().sum();
    println!(
        "{:<45} {:>8.2} ms/run {:>7.1} ns/dyad-tick",
        "all",
        total.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e9 / dyad_ticks
    );
    println!("disputes per run: {}", disputes / runs);
}
