//! The one owner of the output schema (issue 14): the names of the files and of their key
//! columns ([`files`], which the writers of `crate::output` use, and from which `--force`'s list
//! [`OUTPUT_FILES`] comes); what its `manifest.json` says, a typed, versioned [`Manifest`] that
//! `run`, `sweep` and `merge` write and `merge`, `compare`, `report` and
//! [`crate::sweep::SweepFolder`] read; and the readers of its CSV files ([`tables`]: `runs.csv`,
//! `runs_at.csv`, `timeseries.csv`, `pairs.csv`), which check every cell in one place. The keys
//! and columns are documented in `docs/outputs.md`.
//!
//! Architecture Invariant: a manifest is built only through [`Manifest`]; a new key is a new
//! field here. Every field has a default, so that folders written before a key existed still
//! read (a missing key reads as its default).
//!
//! Architecture Invariant: `compare`, `report` and `sweep` read output CSV files only through
//! [`tables`], so a cell means the same to each of them and a bad one is refused with the same
//! file, line and column.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod files;
pub mod tables;
pub use files::{
    BACKTEST, DISPUTES, DISPUTES_COLUMNS, DYAD_YEARS, DYAD_YEARS_COLUMNS, MANIFEST, OUTPUT_FILES, PAIRS, PAIRS_KEY,
    PANELS, POINT, POINTS, POINTS_KEY, REPORT, RUNS, RUNS_AT, RUNS_AT_KEY, RUNS_KEY, SUMMARY_COLUMNS, TIMESERIES,
    TIMESERIES_KEY,
};
pub use tables::{ByRun, FileError, LensRuns, PerRun, PerRunFile, RunRow, Summaries, SummaryFile, SummaryRow};

/// The manifest format's version: 1 since it became typed (manifests before have no
/// `manifest_version` and read as version 0, with the same keys).
pub const MANIFEST_VERSION: u32 = 1;

/// `manifest.json` of a run, a sweep, a shard's part or a merged folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Manifest {
    #[serde(default)]
    pub manifest_version: u32,
    pub comity_version: String,
    /// `sweep` for a sweep (and its parts); absent for a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    /// Runs per lens (a sweep's: per point).
    pub runs: u64,
    pub lenses: Vec<String>,
    /// Pairs of interest (`pairs.csv`).
    #[serde(default)]
    pub pairs: Vec<String>,
    /// A sweep's design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<DesignInfo>,
    /// `--set` overrides.
    #[serde(default)]
    pub overrides: Vec<crate::params::Override>,
    /// Every parameter of every lens, as run.
    #[serde(default)]
    pub parameters: BTreeMap<String, BTreeMap<String, f64>>,
    pub threads: u64,
    /// The CPU path the vector kernels took (`sim::kernels`: `portable`, `avx2` or `avx512`;
    /// it changes no result). A merged folder's lists its parts' distinct paths. Empty in a
    /// manifest written before it was recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu_path: String,
    pub quantiles: QuantilesInfo,
    /// The files written, in the order written.
    pub files: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    pub wall_seconds: f64,
    /// A shard's part: which shard and its block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// A part's `--at-years` (the merge checks that the parts agree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_years: Option<Vec<i64>>,
    /// `dyad_years.csv` holds runs `0..dyad_year_runs` of every lens (`--dyad-years`; a part's
    /// file, those of its block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dyad_year_runs: Option<u64>,
    /// Finished with `--resume`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
    /// A merged folder: its parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<PartInfo>>,
}

/// Where the scenario came from and what it holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioInfo {
    pub path: String,
    pub absolute_path: String,
    pub sha256: String,
    pub inputs: Vec<crate::scenario::SourceDigest>,
    pub name: String,
    pub start: String,
    pub end: String,
    pub step: String,
    pub ticks: u32,
    pub states: usize,
    pub communities: Vec<String>,
    /// The scripted events (`None`: written before manifests listed them; `report` then reads
    /// the scenario file for them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventInfo>>,
}

/// A scripted event, as the report marks it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventInfo {
    /// `2018-06`.
    pub date: String,
    pub tick: u32,
    pub kind: String,
    pub label: String,
    pub probability: f64,
}

/// How the percentiles were computed (`stats::QuantileMethod`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuantilesInfo {
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<usize>,
    pub rank_error: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_error_confidence: Option<f64>,
    pub exact_budget_bytes: u64,
}

/// A sweep's design.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DesignInfo {
    pub kind: String,
    pub factors: Vec<FactorInfo>,
    pub samples: Option<u64>,
    /// Morris levels.
    pub levels: Option<u32>,
    pub seed: u64,
    pub points: u64,
    pub sha256: String,
    /// A design read from a file.
    pub file: Option<String>,
}

/// A varied parameter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FactorInfo {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    pub levels: Option<u32>,
}

/// A part's shard and block: `runs` (a run's part) or `points` (a sweep's), `[first, end)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: u64,
    pub count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<[u64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<[u64; 2]>,
}

impl ShardInfo {
    /// The block it holds, runs or points.
    pub fn block(&self) -> Option<std::ops::Range<u64>> {
        self.runs.or(self.points).map(|[a, b]| a..b)
    }
}

/// One part of a merged folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartInfo {
    pub part: String,
    pub shard: u64,
    pub of: u64,
    pub threads: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpu_path: String,
    pub started_at: String,
    pub finished_at: String,
    pub wall_seconds: f64,
}

/// The manifest's `scenario` object: where the scenario came from and what it holds.
pub fn scenario_info(path: &Path, scenario: &crate::scenario::Scenario) -> ScenarioInfo {
    ScenarioInfo {
        path: path.display().to_string(),
        absolute_path: std::fs::canonicalize(path)
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        sha256: scenario.sources.first().map(|d| d.sha256.clone()).unwrap_or_default(),
        inputs: scenario.sources.clone(),
        name: scenario.name.clone(),
        start: scenario.calendar.label(0),
        end: scenario.calendar.label(scenario.calendar.n_ticks() - 1),
        step: scenario.calendar.step.to_string(),
        ticks: scenario.calendar.n_ticks(),
        states: scenario.n_states(),
        communities: scenario.communities.iter().map(|c| c.id.clone()).collect(),
        events: Some(
            scenario
                .events_manifest()
                .into_iter()
                .map(|e| serde_json::from_value(e).expect("events_manifest writes EventInfo's fields"))
                .collect(),
        ),
    }
}

/// The manifest's `parameters`: every parameter of every lens.
pub fn parameters_info(lenses: &[(String, crate::params::Params)]) -> BTreeMap<String, BTreeMap<String, f64>> {
    lenses
        .iter()
        .map(|(name, p)| {
            let values = p.entries().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            (name.clone(), values)
        })
        .collect()
}

/// The manifest's `quantiles` for aggregates of `runs` runs of `prepared`.
pub fn quantiles_info(prepared: &crate::sim::Prepared, runs: u64) -> QuantilesInfo {
    serde_json::from_value(crate::montecarlo::quantiles_manifest(prepared, runs))
        .expect("QuantileMethod::manifest writes QuantilesInfo's fields")
}

/// Why `manifest.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Missing or unreadable: the folder was not written by comity, or is not finished.
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    /// Not JSON, or not a manifest's keys.
    #[error("{} is not a comity manifest: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
}

/// What every job's manifest (a run's, a sweep's, a part's) records the same way.
pub struct Job<'a> {
    pub scenario_path: &'a Path,
    pub scenario: &'a crate::scenario::Scenario,
    pub prepared: &'a crate::sim::Prepared,
    pub seed: u64,
    pub runs: u64,
    pub lenses: &'a [(String, crate::params::Params)],
    pub overrides: &'a [crate::params::Override],
    pub threads: usize,
    pub files: &'a [&'a str],
    pub started_at: String,
    pub finished_at: String,
    pub wall_seconds: f64,
}

impl Manifest {
    /// The fields a run and a sweep fill alike; the caller adds what is its own (kind, pairs,
    /// design, shard, `--at-years`, resumed) with struct-update syntax.
    pub fn of_job(job: Job<'_>) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            comity_version: env!("CARGO_PKG_VERSION").into(),
            scenario: scenario_info(job.scenario_path, job.scenario),
            seed: job.seed,
            runs: job.runs,
            lenses: job.lenses.iter().map(|(n, _)| n.clone()).collect(),
            overrides: job.overrides.to_vec(),
            parameters: parameters_info(job.lenses),
            threads: job.threads as u64,
            cpu_path: crate::sim::kernels::current_path().name().into(),
            quantiles: quantiles_info(job.prepared, job.runs),
            files: job.files.iter().map(|f| f.to_string()).collect(),
            started_at: job.started_at,
            finished_at: job.finished_at,
            wall_seconds: job.wall_seconds,
            ..Manifest::default()
        }
    }

    /// Reads `DIR/manifest.json`; the error says what is wrong with it.
    pub fn read(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(source) => return Err(ManifestError::Unreadable { path, source }),
        };
        serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
            path,
            message: e.to_string(),
        })
    }

    /// Whether this is a sweep's (or a sweep part's) manifest.
    pub fn is_sweep(&self) -> bool {
        self.kind.as_deref() == Some("sweep")
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a manifest serializes")
    }

    /// The scenario's period: (start, end, step) labels.
    pub fn period(&self) -> (String, String, String) {
        (
            self.scenario.start.clone(),
            self.scenario.end.clone(),
            self.scenario.step.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_round_trips_and_old_ones_still_read() {
        let m = Manifest {
            manifest_version: MANIFEST_VERSION,
            comity_version: "0.1.0".into(),
            seed: 7,
            runs: 10,
            lenses: vec!["realist".into()],
            shard: Some(ShardInfo {
                index: 1,
                count: 4,
                runs: Some([2, 5]),
                points: None,
            }),
            ..Default::default()
        };
        let text = serde_json::to_string(&m).unwrap();
        assert!(!text.contains("merged_from") && !text.contains("points"), "{text}");
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.shard.unwrap().block(), Some(2..5));
        // A manifest written before the type (no manifest_version, pairs or overrides) reads.
        let old = r#"{"comity_version":"0.1.0","scenario":{"path":"a.toml","absolute_path":"/a.toml","sha256":"x","inputs":[],"name":"A","start":"2016","end":"2030","step":"year","ticks":15,"states":16,"communities":["west"]},"seed":42,"runs":1000,"lenses":["constructivist"],"threads":2,"quantiles":{"method":"exact (R type 7)","rank_error":0.0,"exact_budget_bytes":536870912},"files":["timeseries.csv"],"started_at":"","finished_at":"","wall_seconds":1.0}"#;
        let m: Manifest = serde_json::from_str(old).unwrap();
        assert_eq!((m.manifest_version, m.seed, m.pairs.len()), (0, 42, 0));
        assert!(!m.is_sweep());
    }
}
