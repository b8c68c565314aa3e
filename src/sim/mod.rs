//! The simulation core: one run of one scenario under one parameter set.
//!
//! Architecture Invariant: the simulation core never does I/O and never reads a
//! clock; a run is a pure function of (scenario, parameters, seed, run index).
//! Each run owns its `World` and its `Schedule`, which runs on the
//! single-threaded executor: parallelism is across runs, never inside one.

pub mod alliances;
pub mod disputes;
pub mod dyadyears;
pub mod events;
pub mod kernels;
pub mod math;
pub mod mechanisms;
pub mod metrics;
pub mod rng;
pub mod systems;
pub mod world;

use crate::params::Params;
use crate::scenario::Scenario;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use std::sync::Arc;
use world::*;

/// The phases of a tick, in the order of the model brief (section 3).
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Events,
    Capabilities,
    Economy,
    Relations,
    Norms,
    Disputes,
    Alliances,
    Measure,
}

/// Builds the schedule of one tick. The order is declared here, once.
pub fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.configure_sets(
        (
            Phase::Events,
            Phase::Capabilities,
            Phase::Economy,
            Phase::Relations,
            Phase::Norms,
            Phase::Disputes,
            Phase::Alliances,
            Phase::Measure,
        )
            .chain(),
    );
    schedule.add_systems(events::apply_scripted_events.in_set(Phase::Events));
    schedule.add_systems(
        (
            systems::drift_capabilities,
            systems::gather_state_table,
            systems::refresh_ties,
            systems::settle_entries,
        )
            .chain()
            .in_set(Phase::Capabilities),
    );
    schedule.add_systems(systems::update_trade.in_set(Phase::Economy));
    schedule.add_systems(systems::update_trust_and_identity.in_set(Phase::Relations));
    schedule.add_systems(systems::diffuse_norms.in_set(Phase::Norms));
    schedule.add_systems(
        (
            dyadyears::record_covariates,
            disputes::onset_disputes,
            disputes::escalate_disputes,
            dyadyears::record_onsets,
        )
            .chain()
            .in_set(Phase::Disputes),
    );
    schedule.add_systems(
        (alliances::exit_pacts, alliances::form_alliances)
            .chain()
            .in_set(Phase::Alliances),
    );
    schedule.add_systems(
        (metrics::record_metrics, systems::advance_clock)
            .chain()
            .in_set(Phase::Measure),
    );
    schedule
}

/// The systems of a tick, one schedule each (single-threaded), named, in [`tick_schedule`]'s
/// order: for timing the systems apart (`examples/profile_parts.rs`, `cargo bench`) and for
/// stepping into a tick (`tests/reference.rs`, which checks that running them in turn gives the
/// bytes of [`Prepared::run`], so that this list and the schedule cannot drift apart unseen).
pub fn tick_systems() -> Vec<(&'static str, Schedule)> {
    let mut pieces = Vec::new();
    macro_rules! sys {
        ($($s:path),*) => { $( {
            let mut schedule = Schedule::default();
            schedule.set_executor(SingleThreadedExecutor::new());
            schedule.add_systems($s);
            pieces.push((stringify!($s), schedule));
        } )* };
    }
    sys!(
        events::apply_scripted_events,
        systems::drift_capabilities,
        systems::gather_state_table,
        systems::refresh_ties,
        systems::settle_entries,
        systems::update_trade,
        systems::update_trust_and_identity,
        systems::diffuse_norms,
        dyadyears::record_covariates,
        disputes::onset_disputes,
        disputes::escalate_disputes,
        dyadyears::record_onsets,
        alliances::exit_pacts,
        alliances::form_alliances,
        metrics::record_metrics,
        systems::advance_clock
    );
    pieces
}

/// The treaty components of a scenario's treaties, in spec order.
fn treaty_entities(s: &Scenario) -> Vec<Treaty> {
    s.treaties
        .iter()
        .enumerate()
        .map(|(order, t)| Treaty {
            id: Arc::from(t.id.as_str()),
            kind: t.kind,
            salience: t.salience,
            order: order as u32,
            members: t
                .members
                .iter()
                .map(|&m| Membership {
                    state: m,
                    power_at_join: s.states[m].power,
                    democracy_at_join: s.states[m].democracy,
                })
                .collect(),
            former: Vec::new(),
            announced: Vec::new(),
        })
        .collect()
}

/// What one run produces.
#[derive(Clone, Debug, Default)]
pub struct RunResult {
    pub run: u64,
    /// `[tick][slot][metric]` flattened; slot 0 is the whole system.
    pub metrics: Vec<f64>,
    /// `[tick][pair][pair metric]` flattened, for the scenario's pairs of interest.
    pub pairs: Vec<f64>,
    /// Every dispute, when recording was asked for.
    pub disputes: Vec<Dispute>,
    /// Every pair's values once a year ([`dyadyears`]), when recording was asked for.
    pub dyad_years: Vec<dyadyears::DyadYear>,
}

/// What a run records beyond its metric panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Every dispute (`disputes.csv`).
    pub disputes: bool,
    /// Every pair once a year (`dyad_years.csv`).
    pub dyad_years: bool,
}

/// Scenario data prepared once and cloned into each run's world.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub scenario: Arc<Scenario>,
    table: StateTable,
    relations: Relations,
    ties: Ties,
    entrants: Entrants,
}

impl Prepared {
    pub fn new(scenario: Arc<Scenario>) -> Prepared {
        let s = &scenario;
        let n = s.n_states();
        let d = &s.dyads;
        let table = StateTable {
            n,
            ids: s.states.iter().map(|x| Arc::from(x.id.as_str())).collect(),
            power: s.states.iter().map(|x| x.power).collect(),
            power_prev: s.states.iter().map(|x| x.power).collect(),
            power0: s.states.iter().map(|x| x.power).collect(),
            gdp: s.states.iter().map(|x| x.gdp).collect(),
            gdp0: s.states.iter().map(|x| x.gdp).collect(),
            democracy: s.states.iter().map(|x| x.democracy).collect(),
            orientation: s.states.iter().map(|x| x.orientation).collect(),
            norms: s.states.iter().map(|x| x.norms).collect(),
            major: s.states.iter().map(|x| x.major).collect(),
            active: s.present_at_start(),
            all_active: true,
        };
        let table = StateTable {
            all_active: table.active.iter().all(|&a| a),
            ..table
        };
        let relations = Relations {
            n,
            trust: d.trust.clone(),
            identity: d.identity.clone(),
            trade: d.trade.clone(),
            trade_baseline: d.trade.clone(),
            contiguous: d.contiguous.clone(),
            distance: d.distance.clone(),
            log_distance: d.distance.iter().map(|&x| mechanisms::log_distance(x)).collect(),
            peace_years: d.peace_years.clone(),
            force_years: d.peace_years.clone(),
            kantian: vec![false; n * n],
            mean_trust: vec![0.0; n * n],
            mean_identity: vec![0.0; n * n],
            tariff: vec![0.0; n * n],
            trust0: d.trust.clone(),
            anchor_odds: d.trust.iter().map(|&t| mechanisms::anchor_odds_against(t)).collect(),
            anchor: d.trust.clone(),
            rival0: Vec::new(),
            rivalry: d.rivalry.clone(),
            rivalry0: d.rivalry.clone(),
            shared_igos: d.shared_igos.clone(),
            gain0: Vec::new(),
        };
        let mut ties = Ties {
            n,
            dirty: true,
            touched: Vec::new(),
            defense: vec![0; n * n],
            pta: vec![0; n * n],
            institutions: vec![0.0; n * n],
            shared: vec![0; n * n],
            pta0: Vec::new(),
            institutions0: Vec::new(),
            defense0: Vec::new(),
            shared0: Vec::new(),
            allies: vec![Vec::new(); n],
            pacts: Vec::new(),
            pacts_of: vec![Vec::new(); n],
            joined: vec![(0.0, 0.0); n * n],
        };
        // Initial ties straight from the treaty specs, by the same rule as `refresh_ties`.
        let initial: Vec<Treaty> = treaty_entities(s);
        ties.rebuild(initial.iter());
        ties.pta0 = ties.pta.clone();
        ties.institutions0 = ties.institutions.clone();
        ties.defense0 = ties.defense.clone();
        ties.shared0 = ties.shared.clone();
        let mut relations = relations;
        relations.rival0 = systems::rival_alignment(n, &relations.trust, &ties);
        // A state absent at the start has no trade until it enters (its pairs start then from
        // the scenario's values, which `Entrants::initial` keeps).
        let enters = s
            .events
            .iter()
            .any(|e| matches!(e.kind, crate::scenario::EventKind::Enter { .. }));
        let entrants = Entrants {
            initial: enters.then(|| Arc::new(relations.clone())),
            pending: Vec::new(),
        };
        if enters {
            relations.gain0 = vec![0.0; n * n];
        }
        for i in (0..n).filter(|&i| !table.active[i]) {
            for j in 0..n {
                relations.trade[i * n + j] = 0.0;
                relations.trade[j * n + i] = 0.0;
            }
        }
        Prepared {
            scenario,
            table,
            relations,
            ties,
            entrants,
        }
    }

    /// Number of measured slots: the system plus each community.
    pub fn slots(&self) -> usize {
        1 + self.scenario.communities.len()
    }

    /// Builds the world of one run.
    pub fn world(&self, params: &Params, seed: u64, run: u64, record_disputes: bool) -> World {
        let s = &self.scenario;
        let mut world = World::new();
        let mut registry = Registry::default();
        for (i, st) in s.states.iter().enumerate() {
            let e = world.spawn((
                StateIndex(i),
                Capability {
                    power: st.power,
                    gdp: st.gdp,
                },
                Regime {
                    democracy: st.democracy,
                },
                Orientation(st.orientation),
                Norms(st.norms),
                Trade {
                    total: self.relations.trade[i * s.n_states()..(i + 1) * s.n_states()]
                        .iter()
                        .sum(),
                },
            ));
            registry.states.push(e.id());
        }
        for treaty in treaty_entities(s) {
            registry.treaties.push(world.spawn(treaty).id());
        }
        registry.next_treaty_order = s.treaties.len() as u32;
        for (slot, c) in s.communities.iter().enumerate() {
            world.spawn(Community {
                id: Arc::from(c.id.as_str()),
                slot: slot + 1,
                members: c.members.clone(),
            });
        }
        for (index, p) in s.pairs.iter().enumerate() {
            world.spawn(PairOfInterest { index, a: p.a, b: p.b });
        }
        world.insert_resource(Clock {
            tick: 0,
            calendar: s.calendar,
            dt: s.calendar.dt(),
        });
        world.insert_resource(RunInfo {
            run,
            key: rng::RunKey::new(seed, run),
            record_disputes,
        });
        world.insert_resource(Model(params.clone()));
        world.insert_resource(registry);
        world.insert_resource(self.table.clone());
        world.insert_resource(self.relations.clone());
        world.insert_resource(self.ties.clone());
        world.insert_resource(self.entrants.clone());
        world.insert_resource(Timeline {
            events: s.events.clone(),
            next: 0,
        });
        world.insert_resource(TickLog::default());
        let ticks = s.calendar.n_ticks() as usize;
        world.insert_resource(Outcomes {
            metrics: Vec::with_capacity(ticks * self.slots() * metrics::METRICS.len()),
            pairs: Vec::with_capacity(ticks * s.pairs.len() * metrics::PAIR_METRICS.len()),
            force_seen: vec![false; self.slots()],
            disputes: Vec::new(),
        });
        world
    }

    /// Runs one replication to the end of the calendar.
    pub fn run(&self, params: &Params, seed: u64, run: u64, record_disputes: bool) -> RunResult {
        self.run_with(
            params,
            seed,
            run,
            Record {
                disputes: record_disputes,
                dyad_years: false,
            },
        )
    }

    /// [`Prepared::run`], recording what `record` asks for. Recording draws nothing: a run's
    /// metrics and disputes are the same bits whatever it records.
    pub fn run_with(&self, params: &Params, seed: u64, run: u64, record: Record) -> RunResult {
        let mut world = self.world(params, seed, run, record.disputes);
        if record.dyad_years {
            world.insert_resource(dyadyears::DyadYearLog::default());
        }
        let mut schedule = tick_schedule();
        for _ in 0..self.scenario.calendar.n_ticks() {
            schedule.run(&mut world);
        }
        let outcomes = world.remove_resource::<Outcomes>().expect("inserted in world()");
        let dyad_years = world
            .remove_resource::<dyadyears::DyadYearLog>()
            .map(|log| log.years)
            .unwrap_or_default();
        RunResult {
            run,
            metrics: outcomes.metrics,
            pairs: outcomes.pairs,
            disputes: outcomes.disputes,
            dyad_years,
        }
    }
}
