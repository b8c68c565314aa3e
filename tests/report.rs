//! `comity report`: the page parses, every chart is labelled, and a browser draws it.

mod common;
use common::*;
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
    // per community (system, core): cohesion, identity, disputes, escalation; first war; comparison
    assert_eq!(svgs.len(), 2 * 4 + 2, "charts: {}", svgs.len());
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
    for marker in ["<b>2004-06</b> AAA leaves Accord", "<b>2002-01</b> crisis DDD-BBB"] {
        assert!(html.contains(marker), "event marker {marker} missing");
    }
    // the page is not overwritten without --force
    let o = run(&["report", page.parent().unwrap().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

fn chromium() -> Option<PathBuf> {
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

#[test]
fn a_headless_browser_draws_charts_not_a_blank_page() {
    let Some(browser) = chromium() else {
        eprintln!("skipping the browser test: no Chromium found (install the Debian package `chromium`; .ci/run does)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = make_report(dir.path());
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
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
            "--window-size=1200,1600",
        ])
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
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = |p: &[u8]| p[0] >= 245 && p[1] >= 245 && p[2] >= 245;
    let inked = pixels.iter().filter(|p| !background(p)).count() as f64 / pixels.len() as f64;
    let near =
        |p: &[u8], c: (u8, u8, u8)| p[0].abs_diff(c.0) < 40 && p[1].abs_diff(c.1) < 40 && p[2].abs_diff(c.2) < 40;
    let blue = pixels.iter().filter(|p| near(p, (0, 114, 178))).count();
    assert!(
        inked > 0.03,
        "the screenshot is nearly blank ({:.1}% inked)",
        inked * 100.0
    );
    assert!(blue > 200, "no lens-coloured lines or bands drawn ({blue} blue pixels)");
}
