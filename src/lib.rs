//! comity: Monte Carlo simulation of international security communities.
//!
//! Data flows one way: scenario file -> [`scenario::Scenario`] -> ECS world per
//! run ([`sim`]) -> per-run results -> aggregates ([`stats`], [`montecarlo`]) ->
//! files ([`output`]). See `docs/ARCHITECTURE.md`.

pub mod backtest;
pub mod bundled;
pub mod checkpoint;
pub mod compare;
pub mod design;
pub mod explain;
pub mod hash;
pub mod import;
pub mod merge;
pub mod montecarlo;
pub mod output;
pub mod params;
pub mod report;
pub mod results;
pub mod scenario;
pub mod sensitivity;
pub mod shard;
pub mod sim;
pub mod spill;
pub mod stats;
pub mod suggest;
pub mod sweep;
pub mod synthetic;
pub mod time;
