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
        let row = model
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", spec.name)))
            .unwrap_or_else(|| panic!("docs/model.md has no row for `{}`", spec.name));
        assert!(
            row.contains(spec.doc.trim()),
            "docs/model.md row for `{}` is out of date:\n{row}",
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
