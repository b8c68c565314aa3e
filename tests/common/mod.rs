//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_comity"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the comity binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every CSV file in `dir`, as (name, bytes), sorted by name.
pub fn csv_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Parses a CSV file into (header, rows).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The Chromium the browser tests use: `$CHROMIUM`, else `chromium`, `chromium-browser` or
/// `google-chrome` on the PATH; `None` where there is none (those tests then skip, and
/// `tests/environment.rs` says so in the normal `cargo test` output).
pub fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let found = Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {name}"))
                .output()
                .ok()?;
            found
                .status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()))
        })
}

/// `../shared/data/ir` beside the repository, when present (a fresh clone has none).
pub fn shared_data() -> Option<PathBuf> {
    let data = repo("../shared/data/ir");
    data.join("cow_states_v2016.csv").exists().then_some(data)
}

/// Whether `python3` runs (one compare test reads a CSV back with it).
pub fn python3() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `python3` with these modules importable: `Ok` with their versions, `Err` with why not (the doc
/// snippet test needs pandas and matplotlib).
pub fn python_modules(modules: &[&str]) -> Result<String, String> {
    let code = format!(
        "import importlib\nms = {modules:?}\nprint(', '.join(m + ' ' + getattr(importlib.import_module(m), '__version__', '?') for m in ms))"
    );
    let out = Command::new("python3")
        .args(["-c", &code])
        .env("MPLBACKEND", "Agg")
        .output()
        .map_err(|_| "no python3 on the PATH".to_string())?;
    if out.status.success() {
        Ok(format!("python3 with {}", text(&out.stdout).trim()))
    } else {
        let err = text(&out.stderr);
        Err(format!(
            "python3 cannot import {} ({}; `pip install pandas matplotlib`)",
            modules.join(", "),
            err.lines().last().unwrap_or("no message").trim()
        ))
    }
}

/// `Rscript` with these packages loadable: `Ok` with R's version, `Err` with why not (the doc
/// snippet test runs the R snippets with the tidyverse).
pub fn r_packages(packages: &[&str]) -> Result<String, String> {
    let list: Vec<String> = packages.iter().map(|p| format!("\"{p}\"")).collect();
    let code = format!(
        "for (p in c({})) suppressPackageStartupMessages(library(p, character.only = TRUE)); cat(R.version.string)",
        list.join(", ")
    );
    let out = Command::new("Rscript")
        .args(["-e", &code])
        .output()
        .map_err(|_| "no Rscript on the PATH (R is not installed)".to_string())?;
    if out.status.success() {
        Ok(format!("{} with {}", text(&out.stdout).trim(), packages.join(", ")))
    } else {
        let err = text(&out.stderr);
        Err(format!(
            "R cannot load {} ({})",
            packages.join(", "),
            err.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
                .trim()
        ))
    }
}

/// A Slurm cluster that can run jobs here: `Ok` with `sinfo`'s lines (`PARTITION AVAIL STATE
/// NODES`, e.g. `debug* up idle 1`) for the partitions that are up with a responding node, `Err`
/// with why not (no `sinfo`, no controller answering, every node down). CI starts a single-node
/// cluster with `examples/slurm/single-node.sh` (`.ci/run`).
pub fn slurm() -> Result<Vec<String>, String> {
    let why_none = "Slurm is not installed or not running (as root, `examples/slurm/single-node.sh start` installs and starts a single-node cluster; .ci/run does)";
    // `timeout`: a sinfo that cannot reach its controller retries for a while.
    let out = Command::new("timeout")
        .args(["20", "sinfo", "--noheader", "--format=%P %a %T %D"])
        .output()
        .map_err(|e| format!("cannot run `timeout sinfo`: {e}"))?;
    match out.status.code() {
        Some(127) => return Err(format!("no sinfo on the PATH: {why_none}")),
        Some(124) => return Err(format!("sinfo did not answer within 20 s: {why_none}")),
        Some(0) => {}
        _ => {
            let err = text(&out.stderr);
            return Err(format!(
                "sinfo fails ({}): {why_none}",
                err.lines().next().unwrap_or("no message").trim()
            ));
        }
    }
    // A line per partition and node state; a state with `*` is a node that does not respond.
    let usable: Vec<String> = text(&out.stdout)
        .lines()
        .filter(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            cols.len() == 4 && cols[1] == "up" && ["idle", "mixed", "allocated", "completing"].contains(&cols[2])
        })
        .map(|line| line.trim().to_string())
        .collect();
    if usable.is_empty() {
        return Err(format!(
            "sinfo shows no partition that is up with a responding node: {:?}",
            text(&out.stdout).trim()
        ));
    }
    Ok(usable)
}
