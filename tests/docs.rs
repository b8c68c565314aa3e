//! The documentation stays in step with the code.

use comity::params::SPECS;
use comity::sim::metrics::METRICS;

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn model_doc_lists_every_parameter_with_its_doc() {
    let model = read("docs/model.md");
    for spec in SPECS {
        // Other tables (the lens table) may also start rows with the name: the
        // parameter table's row is the one with the doc.
        let rows: Vec<&str> = model
            .lines()
            .filter(|l| l.starts_with(&format!("| `{}` |", spec.name)))
            .collect();
        assert!(!rows.is_empty(), "docs/model.md has no row for `{}`", spec.name);
        let row = rows
            .iter()
            .find(|row| row.contains(spec.doc.trim()))
            .unwrap_or_else(|| {
                panic!(
                    "docs/model.md row for `{}` is out of date:\n{}",
                    spec.name,
                    rows.join("\n")
                )
            });
        let default: f64 = row
            .split('|')
            .nth(2)
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(f64::NAN);
        assert_eq!(
            default, spec.default,
            "docs/model.md gives `{}` the wrong default",
            spec.name
        );
    }
}

#[test]
fn outputs_doc_lists_every_metric_and_run_column() {
    let outputs = read("docs/outputs.md");
    for m in METRICS {
        assert!(
            outputs.contains(&format!("`{m}`")),
            "docs/outputs.md does not document metric `{m}`"
        );
    }
    for name in comity::montecarlo::RUN_EXTRAS {
        assert!(
            outputs.contains(name),
            "docs/outputs.md does not document runs.csv column {name}"
        );
    }
}

#[test]
fn scenario_doc_names_every_event_kind() {
    let doc = read("docs/scenario-format.md");
    for kind in [
        "withdraw",
        "announce",
        "join",
        "tariff",
        "orientation",
        "crisis",
        "shock",
        "summit",
        "common_threat",
    ] {
        assert!(
            doc.contains(&format!("`{kind}`")),
            "docs/scenario-format.md does not document `{kind}`"
        );
    }
}
