//! Which tests depend on the machine, and whether they run here.
//!
//! A few tests need what a fresh clone or a bare machine may lack: Chromium for the browser
//! screenshots, `../shared/data/ir` for rebuilding the committed world from the full tables,
//! python3 for reading a CSV back with another reader, python3 with pandas and matplotlib (R with
//! the tidyverse) for running the docs' snippets. Without it they pass without checking and
//! say so on stderr, which `cargo test` hides. This target has no test harness, so what it prints
//! appears in the normal `cargo test` output: one line per such test, RUNS or SKIPPED, and why.

mod common;
use common::*;

fn main() {
    let browser = chromium();
    let shared = shared_data();
    let python = python3();
    let slurm = slurm();
    let pandas = python_modules(&["pandas", "matplotlib"]);
    let tidyverse = r_packages(&["tidyverse"]);
    let why_browser = "no Chromium (install the Debian package `chromium`; .ci/run does), or set CHROMIUM=/path";
    let rows: [(&str, bool, String); 8] = [
        (
            "report::a_headless_browser_draws_charts_not_a_blank_page",
            browser.is_some(),
            browser
                .as_ref()
                .map_or(why_browser.to_string(), |b| format!("Chromium at {}", b.display())),
        ),
        (
            "report::a_headless_browser_draws_the_sweep_page",
            browser.is_some(),
            browser
                .as_ref()
                .map_or(why_browser.to_string(), |b| format!("Chromium at {}", b.display())),
        ),
        (
            "import::the_full_tables_rebuild_the_committed_world_of_1990",
            shared.is_some(),
            shared.as_ref().map_or(
                "../shared/data/ir is not present (a fresh clone has none)".to_string(),
                |d| format!("tables at {}", d.display()),
            ),
        ),
        (
            "import::the_full_tables_rebuild_the_calibration_world_with_fixed_states",
            shared.is_some(),
            shared.as_ref().map_or(
                "../shared/data/ir is not present (a fresh clone has none)".to_string(),
                |d| format!("tables at {}", d.display()),
            ),
        ),
        (
            "compare::filters_shared_lenses_and_a_reader_that_is_not_comitys (its python3 part)",
            python,
            if python {
                "python3 found".into()
            } else {
                "no python3".into()
            },
        ),
        (
            "docs::python_snippets_in_the_docs_run_verbatim",
            pandas.is_ok(),
            pandas.unwrap_or_else(|why| why),
        ),
        (
            "docs::r_snippets_in_the_docs_run_verbatim",
            tidyverse.is_ok(),
            tidyverse.unwrap_or_else(|why| why),
        ),
        (
            "slurm::a_slurm_array_of_four_shards_merges_to_the_unsharded_bytes",
            slurm.is_ok(),
            match &slurm {
                Ok(partitions) => format!("sinfo: {}", partitions.join("; ")),
                Err(why) => why.clone(),
            },
        ),
    ];
    // The names above must be real tests: fail when one is renamed or removed.
    for (name, _, _) in &rows {
        let (file, rest) = name.split_once("::").expect("file::test");
        let test = rest.split_whitespace().next().unwrap_or(rest);
        let source = std::fs::read_to_string(repo(&format!("tests/{file}.rs"))).expect("the test file");
        assert!(
            source.contains(&format!("fn {test}(")),
            "tests/environment.rs names {name}, which does not exist"
        );
    }
    println!("\nmachine-dependent tests:");
    for (name, runs, why) in rows {
        println!("  {:<8} {name}: {why}", if runs { "RUNS" } else { "SKIPPED" });
    }
    println!();
}
