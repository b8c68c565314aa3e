//! The documentation stays in step with the code.

use comity::params::SPECS;
use comity::sim::metrics::METRICS;

mod common;
use common::{bin, python_modules, r_packages, repo, text};

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
    for name in comity::results::DYAD_YEARS_COLUMNS {
        assert!(
            outputs.contains(&format!("`{name}`")),
            "docs/outputs.md does not document dyad_years.csv column {name}"
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
    for kind in comity::scenario::RawKind::ALL.map(comity::scenario::RawKind::name) {
        assert!(
            doc.contains(&format!("`{kind}`")),
            "docs/scenario-format.md does not document `{kind}`"
        );
    }
}

/// The code blocks fenced as `lang` in a Markdown text, verbatim (a fence indented in a list item
/// loses its indent).
fn fenced(doc: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim() != format!("```{lang}") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut block = String::new();
        for body in lines.by_ref() {
            if body.trim() == "```" {
                break;
            }
            let cut = body.len() - body.trim_start().len();
            block.push_str(&body[cut.min(indent)..]);
            block.push('\n');
        }
        blocks.push(block);
    }
    blocks
}

/// Where the docs' snippets read their data: each document with the `comity` commands that write
/// the outputs its snippets name (run in a fresh folder; the snippets then run there). The
/// outputs.md snippets run twice: on the README's default output, and again with disputes.csv.
/// `&&` separates commands run one after the other.
const SNIPPET_SETUPS: &[(&str, &[&str])] = &[
    (
        "docs/validation.md",
        &[
            "run",
            "tests/fixtures/backtest/scenario.toml",
            "--disputes",
            "--out",
            "output/val/insample",
            "&&",
            "backtest",
            "output/val/insample",
            "--data",
            "tests/fixtures/ir",
        ],
    ),
    ("docs/outputs.md", &["run", "scenarios/western_community.toml"]),
    (
        "docs/outputs.md",
        &[
            "run",
            "scenarios/western_community.toml",
            "--disputes",
            "--dyad-years",
            "--force",
        ],
    ),
    (
        "docs/teaching.md",
        &[
            "run",
            "scenarios/western_community.toml",
            "--lens",
            "all",
            "--runs",
            "500",
            "--out",
            "output/lab/west",
        ],
    ),
    (
        "scenarios/teaching/README.md",
        &[
            "run",
            "scenarios/teaching/security_dilemma_spiral.toml",
            "--lens",
            "all",
            "--runs",
            "500",
            "--disputes",
            "--out",
            "output/lab/spiral",
        ],
    ),
];

/// Runs every snippet of `lang` in the documents above, verbatim, with `interpreter`, on the
/// outputs they read; panics with the snippet and its error when one fails.
fn run_snippets(lang: &str, interpreter: &str, extension: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for (doc, args) in SNIPPET_SETUPS {
        let snippets = fenced(&read(doc), lang);
        if snippets.is_empty() {
            continue;
        }
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.starts_with("scenarios/") || a.starts_with("tests/") {
                    repo(a).display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        for command in args.split(|a| a == "&&") {
            let mut c = bin();
            c.current_dir(dir.path()).args(command);
            if command[0] == "run" {
                c.arg("--quiet");
            }
            let o = c.output().unwrap();
            assert!(o.status.success(), "comity {}: {}", command.join(" "), text(&o.stderr));
        }
        for (k, snippet) in snippets.iter().enumerate() {
            assert!(
                snippet.contains("lens"),
                "{doc}, {lang} snippet {}: filter or group by lens (an output may hold several)\n{snippet}",
                k + 1
            );
            let file = dir.path().join(format!("snippet-{}.{extension}", ran + 1));
            std::fs::write(&file, snippet).unwrap();
            let o = std::process::Command::new(interpreter)
                .arg(&file)
                .current_dir(dir.path())
                .env("MPLBACKEND", "Agg")
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{doc}, {lang} snippet {} fails after `comity {}`:\n{}\n--- the snippet:\n{snippet}",
                k + 1,
                args.join(" "),
                text(&o.stderr)
            );
            // The dyad-year logits fit where the file is (they print the model of `midonset`).
            if snippet.contains("dyad_years.csv") && args.iter().any(|a| a == "--dyad-years") {
                assert!(
                    text(&o.stdout).contains("midonset"),
                    "{doc}, {lang} snippet {}: no logit of midonset printed:\n{}",
                    k + 1,
                    text(&o.stdout)
                );
            }
            ran += 1;
        }
    }
    ran
}

#[test]
fn fenced_blocks_keep_their_text() {
    let doc = "a\n```python\nx = 1\n```\n\n- item:\n  ```python\n  if x:\n      y = 2\n  ```\n```r\nz <- 3\n```\n";
    assert_eq!(fenced(doc, "python"), ["x = 1\n", "if x:\n    y = 2\n"]);
    assert_eq!(fenced(doc, "r"), ["z <- 3\n"]);
}

#[test]
fn python_snippets_in_the_docs_run_verbatim() {
    if let Err(why) = python_modules(&["pandas", "matplotlib"]) {
        eprintln!("SKIPPED: the docs' Python snippets: {why}");
        return;
    }
    let ran = run_snippets("python", "python3", "py");
    assert!(ran >= 4, "only {ran} Python snippets ran");
}

#[test]
fn r_snippets_in_the_docs_run_verbatim() {
    if let Err(why) = r_packages(&["tidyverse"]) {
        eprintln!("SKIPPED: the docs' R snippets: {why}");
        return;
    }
    let ran = run_snippets("r", "Rscript", "R");
    assert!(ran >= 1, "only {ran} R snippets ran");
}

/// Every document with a Python or R snippet is in [`SNIPPET_SETUPS`], so that its snippets run.
#[test]
fn every_document_with_snippets_runs_them() {
    let mut docs: Vec<String> = std::fs::read_dir(repo("docs"))
        .unwrap()
        .map(|e| format!("docs/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".md"))
        .collect();
    docs.extend(["README.md".to_string(), "scenarios/teaching/README.md".to_string()]);
    for doc in docs {
        let text = read(&doc);
        if fenced(&text, "python").is_empty() && fenced(&text, "r").is_empty() {
            continue;
        }
        assert!(
            SNIPPET_SETUPS.iter().any(|(d, _)| *d == doc),
            "{doc} has Python or R snippets that no test runs: add it to SNIPPET_SETUPS with the command that writes what they read"
        );
    }
}
