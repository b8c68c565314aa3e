//! Times each system of a tick on the synthetic 193-state world (a profiling aid:
//! `cargo run --release --example profile_parts`).
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use comity::params::Params;
use comity::sim::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let p = Prepared::new(Arc::new(comity::synthetic::world(193, 15, 7)));
    let params = Params::default();
    let mut time = vec![Duration::ZERO; 13];
    let mut names = Vec::new();
    let mut disputes = 0;
    for run in 0..5 {
        let mut world = p.world(&params, 1, run, true);
        names.clear();
        let mut schedules: Vec<Schedule> = Vec::new();
        macro_rules! sys {
            ($($s:path),*) => { $( { let mut sc = Schedule::default(); sc.set_executor(SingleThreadedExecutor::new()); sc.add_systems($s); schedules.push(sc); names.push(stringify!($s)); } )* };
        }
        sys!(
            events::apply_scripted_events,
            systems::drift_capabilities,
            systems::gather_state_table,
            systems::refresh_ties,
            systems::update_trade,
            systems::update_trust_and_identity,
            systems::diffuse_norms,
            disputes::onset_disputes,
            disputes::escalate_disputes,
            alliances::exit_pacts,
            alliances::form_alliances,
            metrics::record_metrics,
            systems::advance_clock
        );
        for _ in 0..15 {
            for (k, sc) in schedules.iter_mut().enumerate() {
                let t = Instant::now();
                sc.run(&mut world);
                time[k] += t.elapsed();
            }
        }
        disputes += world.resource::<world::Outcomes>().disputes.len();
    }
    for (n, t) in names.iter().zip(&time) {
        println!("{n:<45} {:>8.2} ms/run", t.as_secs_f64() * 200.0);
    }
    println!("disputes per run: {}", disputes / 5);
}
