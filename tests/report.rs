//! `comity report`: the page parses, every chart is labelled, and a browser draws it.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn make_report(dir: &Path) -> PathBuf {
    let out = dir.join("tiny");
    let o = run(&[
        "run",
        "tests/fixtures/tiny.toml",
        "--runs",
        "30",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&[
        "report",
        out.to_str().unwrap(),
        "--compare",
        out.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    out.join("report.html")
}

#[test]
fn the_page_and_every_chart_parse_and_are_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let page = make_report(dir.path());
    let html = fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing is fetched"
    );
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("report.html is well-formed XHTML");
    let svgs: Vec<_> = doc.descendants().filter(|n| n.tag_name().name() == "svg").collect();
    // per community (system, core): cohesion, identity, peaceful change, Kantian share, phase,
    // trade, no use of force yet, disputes, escalation; first war; comparison
    assert_eq!(svgs.len(), 2 * 9 + 2, "charts: {}", svgs.len());
    for svg in &svgs {
        let texts: Vec<String> = svg
            .descendants()
            .filter(|n| n.tag_name().name() == "text")
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect();
        let all = texts.join(" | ");
        assert!(texts.len() > 3, "a chart without text: {all}");
        let title = &texts[0];
        assert!(!title.is_empty(), "untitled chart");
        if !title.starts_with("Differences") {
            assert!(texts.iter().any(|t| t == "year"), "no x-axis label in {title}: {all}");
        }
        // every chart but the comparison (whose labels are the metrics) has a legend entry
        assert!(
            all.contains("constructivist") || title.starts_with("Differences") || all.contains("threat"),
            "no legend in {title}: {all}"
        );
        let standalone = roxmltree::Document::parse(&svg.document().input_text()[svg.range()]);
        assert!(standalone.is_ok(), "an SVG does not parse on its own: {title}");
    }
    for marker in [
        "<td>2004-06</td><td>AAA leaves Accord</td>",
        "<td>2002-01</td><td>crisis DDD-BBB</td>",
    ] {
        assert!(html.contains(marker), "event marker {marker} missing");
    }
    // the page is not overwritten without --force
    let o = run(&["report", page.parent().unwrap().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// The pixels (RGB or RGBA) of a headless Chromium screenshot of `page`, `height` pixels
/// tall, or `None` (and a note) where no Chromium can be had.
fn screenshot(page: &Path, dir: &Path, height: u32) -> Option<Vec<Vec<u8>>> {
    let Some(browser) = chromium() else {
        eprintln!("skipping the browser test: no Chromium found (install the Debian package `chromium`; .ci/run does)");
        return None;
    };
    let shot = dir.join("shot.png");
    let profile = dir.join("profile");
    let o = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--window-size=1200,{height}"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(shot.exists(), "no screenshot: {}", text(&o.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    Some(buf[..info.buffer_size()].chunks(channels).map(<[u8]>::to_vec).collect())
}

fn near(p: &[u8], c: (u8, u8, u8)) -> bool {
    p[0].abs_diff(c.0) < 40 && p[1].abs_diff(c.1) < 40 && p[2].abs_diff(c.2) < 40
}

#[test]
fn a_headless_browser_draws_charts_not_a_blank_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = make_report(dir.path());
    let Some(pixels) = screenshot(&page, dir.path(), 1600) else {
        return;
    };
    let background = |p: &[u8]| p[0] >= 245 && p[1] >= 245 && p[2] >= 245;
    let inked = pixels.iter().filter(|p| !background(p)).count() as f64 / pixels.len() as f64;
    let blue = pixels.iter().filter(|p| near(p, (0, 114, 178))).count();
    assert!(
        inked > 0.03,
        "the screenshot is nearly blank ({:.1}% inked)",
        inked * 100.0
    );
    assert!(blue > 200, "no lens-coloured lines or bands drawn ({blue} blue pixels)");
}

// ---------------------------------------------------------------- sweep folders

/// Runs `comity sweep` on the tiny world into `out`.
fn sweep(out: &Path, args: &[&str]) {
    let mut all = vec![
        "sweep",
        "tests/fixtures/tiny.toml",
        "--runs",
        "5",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// `comity report DIR [extra]`; the page's text.
fn report_page(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["report", dir.to_str().unwrap(), "--force"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    fs::read_to_string(dir.join("report.html")).unwrap()
}

fn parse(html: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("report.html is well-formed XHTML")
}

/// Every chart of the page: its title (first text) and node.
fn charts<'a, 'i>(doc: &'a roxmltree::Document<'i>) -> Vec<(String, roxmltree::Node<'a, 'i>)> {
    doc.descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .map(|svg| {
            let title = svg
                .descendants()
                .find(|n| n.tag_name().name() == "text")
                .and_then(|n| n.text())
                .unwrap_or("")
                .trim()
                .to_string();
            let standalone = roxmltree::Document::parse(&svg.document().input_text()[svg.range()]);
            assert!(standalone.is_ok(), "an SVG does not parse on its own: {title}");
            (title, svg)
        })
        .collect()
}

/// The body rows of the table with class `class`.
fn table_rows(doc: &roxmltree::Document<'_>, class: &str) -> Vec<Vec<String>> {
    let table = doc
        .descendants()
        .find(|n| n.tag_name().name() == "table" && n.attribute("class") == Some(class))
        .unwrap_or_else(|| panic!("no table {class}"));
    table
        .descendants()
        .filter(|n| n.tag_name().name() == "tbody")
        .flat_map(|b| b.children().filter(|r| r.tag_name().name() == "tr"))
        .map(|r| {
            r.children()
                .filter(|c| c.is_element())
                .map(|c| c.text().unwrap_or("").to_string())
                .collect()
        })
        .collect()
}

/// Elements named `tag` of `node` that carry a tooltip.
fn with_tooltip(node: roxmltree::Node<'_, '_>, tag: &str) -> usize {
    node.descendants()
        .filter(|n| n.tag_name().name() == tag && n.children().any(|c| c.tag_name().name() == "title"))
        .count()
}

#[test]
fn a_sobol_sweep_gets_a_tornado_and_the_outcome_against_each_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sobol");
    sweep(
        &out,
        &[
            "--vary",
            "security_dilemma_weight=0..2",
            "--vary",
            "identity_decay=0.01..0.05",
            "--design",
            "sobol",
            "--samples",
            "16",
            "--lens",
            "realist,constructivist",
        ],
    );
    let html = report_page(&out, &[]);
    assert!(
        !html.contains("<script") && !html.contains("src=\"http"),
        "nothing is fetched"
    );
    let doc = parse(&html);
    let charts = charts(&doc);
    let titles: Vec<&str> = charts.iter().map(|(t, _)| t.as_str()).collect();
    // per lens: a tornado and one chart per parameter; no heatmap (not a grid)
    assert_eq!(
        titles,
        [
            "Total Sobol index ST of core.cohesion, realist (95% intervals)",
            "Total Sobol index ST of core.cohesion, constructivist (95% intervals)",
            "core.cohesion against security_dilemma_weight (realist)",
            "core.cohesion against identity_decay (realist)",
            "core.cohesion against security_dilemma_weight (constructivist)",
            "core.cohesion against identity_decay (constructivist)",
        ]
    );
    let points = 16 * (2 + 2);
    for (title, svg) in &charts {
        if title.starts_with("Total Sobol") {
            assert_eq!(with_tooltip(*svg, "rect"), 2, "one bar per parameter in {title}");
        } else {
            assert_eq!(with_tooltip(*svg, "circle"), points, "one dot per point in {title}");
            let texts: Vec<&str> = svg.descendants().filter_map(|n| n.text()).map(str::trim).collect();
            for label in [
                "core.cohesion (end of run)",
                "point means",
                "5-95% of the runs in each bin",
            ] {
                assert!(texts.contains(&label), "no `{label}` in {title}");
            }
        }
        assert!(
            !html.contains("comity-splice-point"),
            "a placeholder was left in {title}"
        );
    }
    // the numbers behind the charts
    let indices = table_rows(&doc, "indices");
    assert_eq!(indices.len(), 2 * 2, "{indices:?}");
    assert!(
        indices.iter().all(|r| r.len() == 6),
        "lens, parameter, ST, interval, S1, interval"
    );
    let means = table_rows(&doc, "points");
    assert_eq!(means.len(), points);
    assert_eq!(means[0].len(), 1 + 2 + 2, "point, two parameters, two lenses");
    let factors = table_rows(&doc, "factors");
    assert_eq!(factors[0][..3], ["security_dilemma_weight", "0", "2"]);
    assert!(html.contains("sobol design") && html.contains("16 base samples"));
    // the tornado agrees with `comity sensitivity` (same bootstrap and seed)
    let o = run(&[
        "sensitivity",
        out.to_str().unwrap(),
        "--metric",
        "core.cohesion",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let st = json["lenses"][0]["indices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["factor"] == "security_dilemma_weight" && r["statistic"] == "ST")
        .unwrap()["estimate"]
        .as_f64()
        .unwrap();
    let row = indices
        .iter()
        .find(|r| r[0] == "realist" && r[1] == "security_dilemma_weight")
        .unwrap();
    let page_st: f64 = row[2].parse().unwrap();
    assert!((page_st - st).abs() < 1e-3, "page ST {page_st}, sensitivity ST {st}");
}

#[test]
fn a_two_parameter_grid_gets_a_heatmap_and_metric_picks_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    sweep(
        &out,
        &[
            "--vary",
            "security_dilemma_weight=0..2:3",
            "--vary",
            "identity_decay=0.01..0.05:4",
        ],
    );
    let html = report_page(&out, &["--metric", "core.identity@2005"]);
    let doc = parse(&html);
    let charts = charts(&doc);
    let titles: Vec<&str> = charts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "|SRC| of core.identity@2005, constructivist",
            "core.identity@2005 against security_dilemma_weight (constructivist)",
            "core.identity@2005 against identity_decay (constructivist)",
            "core.identity@2005 by security_dilemma_weight and identity_decay (constructivist)",
        ]
    );
    // the grid's levels are the bins of the outcome charts; the year's metric has no per-run
    // values (no --at-years), so the band spans the point means
    let texts: Vec<&str> = charts[1]
        .1
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(texts.contains(&"5-95% of the point means in each level"), "{texts:?}");
    assert!(texts.contains(&"core.identity in 2005"), "y axis: {texts:?}");
    // one heatmap cell per pair of levels, each with its exact value as a tooltip
    let heatmap = charts[3].1;
    let cells: Vec<_> = heatmap
        .descendants()
        .filter(|n| n.tag_name().name() == "rect" && n.attribute("class") == Some("cell"))
        .collect();
    assert_eq!(cells.len(), 3 * 4);
    let means = table_rows(&doc, "points");
    assert_eq!(means.len(), 12);
    for cell in &cells {
        let tip = cell
            .children()
            .find(|c| c.tag_name().name() == "title")
            .and_then(|t| t.text())
            .unwrap();
        // "security_dilemma_weight 1, identity_decay 0.01: core.identity@2005 0.61... (point 4)"
        let value: f64 = tip
            .split(": core.identity@2005 ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let point: usize = tip
            .rsplit("point ")
            .next()
            .unwrap()
            .trim_end_matches(')')
            .parse()
            .unwrap();
        let shown: f64 = means[point][3].parse().unwrap();
        assert!((value - shown).abs() < 1e-4, "{tip} vs table {shown}");
    }
    // the heatmap's numbers as a table: one row per level of the second parameter, top down
    let matrix = table_rows(&doc, "heatmap");
    assert_eq!(matrix.len(), 4);
    assert!(matrix.iter().all(|r| r.len() == 1 + 3));
    assert_eq!(matrix[0][0], "0.05");
    assert_eq!(matrix[3][0], "0.01");
    // the y axis follows the data, not 0..1
    let ticks: Vec<f64> = charts[2]
        .1
        .descendants()
        .filter(|n| n.tag_name().name() == "text" && n.attribute("text-anchor") == Some("end"))
        .filter_map(|n| n.text()?.trim().parse().ok())
        .collect();
    let (lo, hi) = ticks
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &t| (a.min(t), b.max(t)));
    let values: Vec<f64> = means.iter().map(|r| r[3].parse().unwrap()).collect();
    let (vlo, vhi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &t| (a.min(t), b.max(t)));
    assert!(
        ticks.len() >= 3 && lo >= vlo - (vhi - vlo) && hi <= vhi + (vhi - vlo),
        "ticks {ticks:?} for values {vlo}..{vhi}"
    );

    // without --metric: the first community's cohesion at the end of the run
    let html = report_page(&out, &[]);
    assert!(html.contains("core.cohesion against identity_decay (constructivist)"));
    assert!(html.contains("5-95% of the runs in each level"));
}

#[test]
fn a_bad_metric_is_a_data_error_with_a_hint_and_metric_needs_a_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    sweep(&out, &["--vary", "identity_decay=0.01..0.05:3"]);
    let cases = [
        ("core.cohesin", "did you mean `core.cohesion`?"),
        ("cor.cohesion", "communities: system, core"),
        ("core.cohesion@1990", "the scenario runs from 2000 to 2010"),
        ("core.cohesin@2005", "did you mean `cohesion`?"),
    ];
    for (metric, hint) in cases {
        let o = run(&["report", out.to_str().unwrap(), "--metric", metric]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(65), "{metric}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("help: ") && err.contains(hint),
            "{metric}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = run(&["report", out.to_str().unwrap(), "--metric", "cohesion"]);
    assert_eq!(o.status.code(), Some(2), "not COMMUNITY.METRIC: {}", text(&o.stderr));
    assert!(!out.join("report.html").exists(), "no page after an error");
    // --compare is for run folders
    let o = run(&[
        "report",
        out.to_str().unwrap(),
        "--compare",
        out.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    // --metric is for sweep folders
    let runs = dir.path().join("runs");
    let o = run(&[
        "run",
        "tests/fixtures/tiny.toml",
        "--runs",
        "5",
        "--quiet",
        "--out",
        runs.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&["report", runs.to_str().unwrap(), "--metric", "core.cohesion"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a sweep folder"), "{err}");
    assert!(!runs.join("report.html").exists());
}

#[test]
fn a_headless_browser_draws_the_sweep_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid");
    sweep(
        &out,
        &[
            "--vary",
            "security_dilemma_weight=0..2:3",
            "--vary",
            "identity_decay=0.01..0.05:3",
        ],
    );
    report_page(&out, &[]);
    let Some(pixels) = screenshot(&out.join("report.html"), dir.path(), 3000) else {
        return;
    };
    // the tornado's bars (blue or vermillion), the outcome dots and the heatmap's viridis cells
    let lens = pixels
        .iter()
        .filter(|p| near(p, (0, 114, 178)) || near(p, (213, 94, 0)))
        .count();
    assert!(lens > 500, "no bars or dots drawn ({lens} pixels)");
    // the lowest and the highest cell take the ends of the viridis scale
    for end in [(68, 1, 84), (253, 231, 37)] {
        let count = pixels
            .iter()
            .filter(|p| p[0].abs_diff(end.0) < 12 && p[1].abs_diff(end.1) < 12 && p[2].abs_diff(end.2) < 12)
            .count();
        assert!(count > 2000, "no heatmap cell of colour {end:?} ({count} pixels)");
    }
}

#[test]
fn the_page_marks_events_even_when_the_scenario_file_is_gone() {
    // The manifest carries the scripted events, so a report of a moved or deleted scenario
    // still marks them.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("moved.toml");
    std::fs::copy(repo("tests/fixtures/tiny.toml"), &scenario).unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "run",
        scenario.to_str().unwrap(),
        "--runs",
        "5",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::remove_file(&scenario).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let events = manifest["scenario"]["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["label"] == "crisis DDD-BBB" && e["date"] == "2002-01"),
        "{events:?}"
    );
    let o = run(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("crisis DDD-BBB"), "the event is marked");
    assert!(
        !page.contains("could not be read"),
        "no complaint about the missing scenario"
    );
}

// ------------------------------------------------- labels, fitted axes and the new charts

/// The report of `america_first_2025.toml` (every lens, few runs), parsed later.
fn america_first(dir: &Path) -> String {
    let out = dir.join("af");
    let o = run(&[
        "run",
        "scenarios/america_first_2025.toml",
        "--lens",
        "all",
        "--runs",
        "8",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    fs::read_to_string(out.join("report.html")).unwrap()
}

/// A text label of a chart and its estimated box (0.6 em a character).
#[derive(Debug)]
struct Label {
    text: String,
    event: bool,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

/// The own text of a `<text>` element (not that of its `<title>` tooltip).
fn own_text(n: roxmltree::Node<'_, '_>) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_string()
}

/// The labels of one chart, rotated ones left out.
fn labels(svg: roxmltree::Node<'_, '_>) -> Vec<Label> {
    svg.descendants()
        .filter(|n| n.tag_name().name() == "text" && n.attribute("transform").is_none())
        .filter_map(|n| {
            let text = own_text(n);
            if text.is_empty() {
                return None;
            }
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
            let (x, y, size) = (num("x")?, num("y")?, num("font-size").unwrap_or(12.0));
            let width = 0.6 * size * text.chars().count() as f64;
            let x0 = match n.attribute("text-anchor") {
                Some("middle") => x - width / 2.0,
                Some("end") => x - width,
                _ => x,
            };
            // plotters sets the vertical anchor with dy; without one, y is the baseline.
            let y0 = match n.attribute("dy") {
                Some("0.76em") => y,
                Some("0.5ex") => y - size / 2.0,
                Some("-0.5ex") => y - size,
                _ => y - 0.8 * size,
            };
            Some(Label {
                text,
                event: n.attribute("class") == Some("event"),
                x0,
                x1: x0 + width,
                y0,
                y1: y0 + size,
            })
        })
        .collect()
}

#[test]
fn event_numbers_and_legends_never_overlap_another_label() {
    let dir = tempfile::tempdir().unwrap();
    let html = america_first(dir.path());
    let doc = parse(&html);
    let legend = [
        "realist",
        "liberal",
        "constructivist",
        "threat (2)",
        "war (5)",
        "use of force (4)",
    ];
    let mut events = 0;
    for (title, svg) in charts(&doc) {
        let labels = labels(svg);
        events += labels.iter().filter(|l| l.event).count();
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                let checked = |l: &Label| l.event || legend.contains(&l.text.as_str());
                if !(checked(a) || checked(b)) {
                    continue;
                }
                let apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
                assert!(apart, "in {title}, {a:?} overlaps {b:?}");
            }
        }
        // No event number sits on a year-like pair ("19" next to "22" reading "1922"): numbers
        // of one row are at least a gap apart, which the check above measures.
    }
    assert!(events > 100, "event numbers drawn: {events}");
    // Event lines are dashed, unlike the gridlines, and a mid-year event is at its date.
    assert!(html.contains("stroke-dasharray=\"5 3\""), "no dashed event line");
    assert!(html.contains("<td>2016-06</td>"), "the mid-2016 event is listed");
    assert!(
        html.contains("the end of that year"),
        "the page says what a yearly point is"
    );
}

/// The numeric y tick labels (right-aligned, left of the plot) of a chart.
fn y_ticks(svg: roxmltree::Node<'_, '_>) -> Vec<String> {
    svg.descendants()
        .filter(|n| n.tag_name().name() == "text" && n.attribute("text-anchor") == Some("end"))
        .map(own_text)
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn axes_are_fitted_counts_are_whole_and_the_lab_metrics_have_charts() {
    let dir = tempfile::tempdir().unwrap();
    let html = america_first(dir.path());
    let doc = parse(&html);
    let charts = charts(&doc);
    let find = |prefix: &str| {
        charts
            .iter()
            .find(|(t, _)| t.starts_with(prefix))
            .unwrap_or_else(|| {
                panic!(
                    "no chart {prefix}: {:?}",
                    charts.iter().map(|c| &c.0).collect::<Vec<_>>()
                )
            })
            .1
    };
    // Cohesion: fitted to the data, not 0-1.
    let ticks: Vec<f64> = y_ticks(find("Cohesion, west"))
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();
    assert!(ticks.len() >= 3, "{ticks:?}");
    let (lo, hi) = ticks
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &t| (a.min(t), b.max(t)));
    assert!(lo > 0.0 || hi < 1.0, "cohesion axis is still 0-1: {ticks:?}");
    assert!(hi - lo < 0.9, "cohesion axis is not fitted: {ticks:?}");
    // The pairs of interest the scenario lists get their charts.
    find("Trust of USA in GMY");
    find("Trade, USA and CAN");
    // --unit-axes: shares on the whole 0-1 axis, counts as before.
    let out = dir.path().join("af");
    let page = out.join("unit.html");
    let o = run(&[
        "report",
        out.to_str().unwrap(),
        "--unit-axes",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let unit = fs::read_to_string(&page).unwrap();
    let udoc = parse(&unit);
    let ucharts = self::charts(&udoc);
    for title in ["Cohesion, west", "Trust of USA in GMY", "No use of force yet, nato"] {
        let svg = ucharts.iter().find(|(t, _)| t.starts_with(title)).unwrap().1;
        let t: Vec<f64> = y_ticks(svg).iter().filter_map(|t| t.parse().ok()).collect();
        let (lo, hi) = t.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(lo == 0.0 && hi == 1.0, "{title}: {t:?}");
    }
    // The first-war histogram counts runs: whole numbers only.
    let ticks = y_ticks(find("Year of the first war"));
    assert!(
        !ticks.is_empty() && ticks.iter().all(|t| t.parse::<u64>().is_ok()),
        "{ticks:?}"
    );
    // The metrics the teaching lab uses, for every community.
    for community in ["system", "west", "nato"] {
        for title in [
            "Dependable expectations of peaceful change",
            "Kantian culture",
            "Phase (Adler-Barnett)",
            "Trade among members",
            "No use of force yet",
        ] {
            let svg = find(&format!("{title}, {community}"));
            let tips = svg
                .descendants()
                .filter(|n| n.tag_name().name() == "circle")
                .filter(|n| n.children().any(|c| c.tag_name().name() == "title"))
                .count();
            assert!(tips > 10, "{title}, {community}: {tips} points with a tooltip");
        }
    }
    // The survival curve never rises.
    let svg = find("No use of force yet, west");
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let circles = svg.descendants().filter(|n| n.tag_name().name() == "circle");
    for n in circles
        .flat_map(|c| c.children())
        .filter(|n| n.tag_name().name() == "title")
    {
        let t = n.text().unwrap_or("");
        let (lens, rest) = t.split_once(", end of ").expect("a survival tooltip");
        let free: u64 = rest
            .split_once(": ")
            .unwrap()
            .1
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if let Some(before) = last.insert(lens.to_string(), free) {
            assert!(free <= before, "{lens}: {before} then {free}");
        }
    }
    assert_eq!(last.len(), 3, "one curve per lens: {last:?}");
    // Phase ticks are named.
    assert!(
        y_ticks(find("Phase (Adler-Barnett), west"))
            .iter()
            .any(|t| t.contains("ascendant") || t.contains("nascent") || t.contains("mature") || t.contains("none"))
    );
}

#[test]
fn the_comparison_lists_what_its_chart_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let page = make_report(dir.path());
    let html = fs::read_to_string(page).unwrap();
    // A folder compared with itself: every difference is 0, so every row is listed, with why.
    assert!(html.contains("Left out of the chart"), "no list of left-out rows");
    assert!(html.contains("no difference (B - A is 0)"));
}

#[test]
fn a_non_finite_cell_in_timeseries_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny");
    let o = run(&[
        "run",
        "tests/fixtures/tiny.toml",
        "--runs",
        "5",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let path = out.join("timeseries.csv");
    let body = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = body.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "mean").unwrap();
    let mut cells: Vec<String> = lines[5].split(',').map(String::from).collect();
    cells[col] = "inf".into();
    lines[5] = cells.join(",");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let o = run(&["report", out.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(65), "{err}");
    assert!(
        err.contains("line 6, column `mean`") && err.contains("not a finite number"),
        "{err}"
    );
    assert!(!out.join("report.html").exists());
}
