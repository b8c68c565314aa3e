//! Scenario composition (`extends`, docs/scenario-format.md): what an extending file takes from
//! its base, adds, overrides and removes; chains and cycles; errors located in the file that holds
//! the fault; the western scenarios over their shared world; bundled scenarios written out with
//! their bases.

mod common;
use comity::scenario::{self, EventKind, Scenario};
use common::*;
use std::path::Path;

const BASE: &str = r#"# a base
[scenario]
name = "Base"
description = "the base's description"
start = 2020
end = 2030
seed = 3
runs = 40
pairs = ["A-B"]

[[state]]
id = "A"
power = 0.2

[[state]]
id = "B"
power = 0.1

[[state]]
id = "C"
power = 0.1

[[treaty]]
id = "P"
kind = "defense"
members = ["A", "B"]

[[community]]
id = "ab"
members = ["A", "B"]

[[community]]
id = "all"
members = ["A", "B", "C"]

[defaults]
trust = 0.4

[parameters]
reciprocation = 0.5
peace_window = 15

[lens.mine]
base = "liberal"
onset_trade = 0.0

[[event]]
id = "b-leaves"
at = 2022
kind = "withdraw"
state = "B"
treaty = "P"

[[event]]
at = 2023
kind = "orientation"
state = "C"
value = 0.2
"#;

const EXT: &str = r#"# extends the base
extends = "base.toml"
remove_events = ["b-leaves"]
remove_communities = ["all"]

[scenario]
name = "Ext"
end = 2035
pairs = ["A-C"]

[[state]]
id = "D"
power = 0.05

[defaults]
identity = 0.2

[[dyad]]
states = ["A", "D"]
trust = 0.9

[parameters]
reciprocation = 0.7

[[community]]
id = "bc"
members = ["B", "C"]

[[event]]
at = 2031
kind = "join"
state = "C"
treaty = "P"
"#;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn load(path: &Path) -> Scenario {
    scenario::load(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|x| id(x).to_string()).collect()
}

fn labels(s: &Scenario) -> Vec<String> {
    s.events
        .iter()
        .map(|e| format!("{}-{:02} {}", e.at.year(), e.at.month(), s.event_label(e)))
        .collect()
}

#[test]
fn an_extending_file_takes_the_base_and_adds_overrides_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", BASE);
    let s = load(&write(dir.path(), "ext.toml", EXT));
    // [scenario]: its own fields over the base's, pairs added.
    assert_eq!(s.name, "Ext");
    assert_eq!(s.description, "the base's description");
    assert_eq!((s.seed, s.runs), (3, 40));
    assert_eq!((s.calendar.start.year(), s.calendar.end.year()), (2020, 2035));
    assert_eq!(ids(&s.pairs, |p| &p.name), ["A-B", "A-C"]);
    // The roster and the groups: the base's first.
    assert_eq!(ids(&s.states, |x| &x.id), ["A", "B", "C", "D"]);
    assert_eq!(ids(&s.treaties, |x| &x.id), ["P"]);
    assert_eq!(ids(&s.communities, |x| &x.id), ["ab", "bc"]);
    // [defaults] field by field, dyads of either file.
    let n = s.n_states();
    let (b, c, a, d) = (1, 2, 0, 3);
    assert_eq!(s.dyads.trust[b * n + c], 0.4);
    assert_eq!(s.dyads.identity[b * n + c], 0.2);
    assert_eq!(s.dyads.trust[a * n + d], 0.9);
    // [parameters] by name, lenses carried over.
    assert_eq!(
        s.overrides,
        [("peace_window".to_string(), 15.0), ("reciprocation".to_string(), 0.7)]
    );
    assert_eq!(s.custom_lenses.len(), 1);
    assert_eq!(s.params_for("mine").unwrap().onset_trade, 0.0);
    // Events: the base's less the removed one, then its own.
    assert_eq!(labels(&s), ["2023-01 C orientation 0.2", "2031-01 C joins P"]);
    // Every file read is recorded, the named one first.
    let read: Vec<&str> = s.sources.iter().map(|d| d.path.as_str()).collect();
    assert!(
        read[0].ends_with("ext.toml") && read[1].ends_with("base.toml"),
        "{read:?}"
    );
}

#[test]
fn replace_events_drops_the_bases_events() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.toml", BASE);
    let s = load(&write(
        dir.path(),
        "only.toml",
        "extends = \"base.toml\"\nreplace_events = true\n\n[[event]]\nat = 2025\nkind = \"orientation\"\nstate = \"A\"\nvalue = 0.1\n",
    ));
    assert_eq!(labels(&s), ["2025-01 A orientation 0.1"]);
    assert_eq!(s.name, "Base");
    assert_eq!(ids(&s.communities, |x| &x.id), ["ab", "all"]);
    // No [[event]] at all: the base without its events.
    let s = load(&write(
        dir.path(),
        "none.toml",
        "extends = \"base.toml\"\nreplace_events = true\n",
    ));
    assert!(s.events.is_empty());
    // The base's event removed, then one with its id added: a replaced event.
    let s = load(&write(
        dir.path(),
        "again.toml",
        "extends = \"base.toml\"\nremove_events = [\"b-leaves\"]\n\n[[event]]\nid = \"b-leaves\"\nat = 2026\nkind = \"withdraw\"\nstate = \"B\"\ntreaty = \"P\"\n",
    ));
    assert_eq!(labels(&s), ["2023-01 C orientation 0.2", "2026-01 B leaves P"]);
}

#[test]
fn chains_compose_from_their_root_and_a_folder_is_its_scenario_toml() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "world/scenario.toml", BASE);
    write(dir.path(), "mid/ext.toml", &EXT.replace("base.toml", "../world"));
    let top = write(
        dir.path(),
        "top.toml",
        "# a chain of three\nextends = \"mid/ext.toml\"\n\n[scenario]\nruns = 5\n\n[[event]]\nat = 2034\nkind = \"orientation\"\nstate = \"D\"\nvalue = 0.9\n",
    );
    let s = load(&top);
    assert_eq!((s.name.as_str(), s.runs, s.calendar.end.year()), ("Ext", 5, 2035));
    assert_eq!(
        labels(&s),
        [
            "2023-01 C orientation 0.2",
            "2031-01 C joins P",
            "2034-01 D orientation 0.9"
        ]
    );
    assert_eq!(s.sources.len(), 3);
    let o = run(&["validate", top.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("extends      ") && out.contains("world/scenario.toml"),
        "{out}"
    );
}

#[test]
fn a_cycle_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    write(
        dir.path(),
        "b.toml",
        "# b\nextends = \"a.toml\"\n[scenario]\nname = \"b\"\nstart = 2020\nend = 2021\n",
    );
    let e = scenario::load(&dir.path().join("a.toml")).unwrap_err();
    assert!(e.message.contains("`extends` makes a cycle: "), "{}", e.message);
    let files: Vec<&str> = e.message.split(": ").nth(1).unwrap().split(" -> ").collect();
    assert_eq!(files.len(), 3, "{}", e.message);
    assert!(files[0].ends_with("a.toml") && files[1].ends_with("b.toml") && files[2].ends_with("a.toml"));
    assert!(e.location.ends_with("b.toml:2:11"), "{}", e.location);
    let me = write(dir.path(), "me.toml", "extends = \"me.toml\"\n");
    let e = scenario::load(&me).unwrap_err();
    assert!(e.message.contains("makes a cycle"), "{}", e.message);
    assert!(e.location.ends_with("me.toml:1:11"), "{}", e.location);
    // On the command line: exit 65, with the file, line and column.
    let o = run(&["validate", dir.path().join("a.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65));
    assert!(text(&o.stderr).contains("b.toml:2:11"), "{}", text(&o.stderr));
}

#[test]
fn errors_point_into_the_file_that_holds_the_fault() {
    let dir = tempfile::tempdir().unwrap();
    // A fault in the base: its file, line and column, also when loaded through the other file.
    write(dir.path(), "bad/base.toml", &BASE.replace("power = 0.2", "power = 2.0"));
    let ext = write(dir.path(), "ext.toml", &EXT.replace("base.toml", "bad/base.toml"));
    let e = scenario::load(&ext).unwrap_err();
    assert!(e.message.contains("power = 2 is out of range"), "{}", e.message);
    assert!(e.location.ends_with("bad/base.toml:13:9"), "{}", e.location);
    // A fault in the extending file: that file.
    write(dir.path(), "base.toml", BASE);
    let e = scenario::load(&write(
        dir.path(),
        "ext2.toml",
        &EXT.replace("state = \"C\"", "state = \"Q\""),
    ))
    .unwrap_err();
    assert!(e.message.contains("unknown state \"Q\""), "{}", e.message);
    assert!(e.location.contains("ext2.toml:"), "{}", e.location);
    // A state of the base defined again: located in the extending file, the base named.
    let e = scenario::load(&write(dir.path(), "dup.toml", &EXT.replace("id = \"D\"", "id = \"B\""))).unwrap_err();
    assert!(e.message.contains("duplicate state id \"B\""), "{}", e.message);
    assert!(e.location.contains("dup.toml:"), "{}", e.location);
    assert!(
        e.help.as_deref().unwrap_or("").contains("base.toml line"),
        "{:?}",
        e.help
    );
    // A community of the base added again: the hint says how to replace it.
    let e = scenario::load(&write(
        dir.path(),
        "com.toml",
        &EXT.replace("remove_communities = [\"all\"]\n", "")
            .replace("id = \"bc\"", "id = \"all\""),
    ))
    .unwrap_err();
    assert!(e.message.contains("duplicate community id \"all\""), "{}", e.message);
    assert!(
        e.help.as_deref().unwrap_or("").contains("remove_communities"),
        "{:?}",
        e.help
    );
    // An event of the base that an extending file's shorter calendar leaves out: named in the base.
    let e = scenario::load(&write(
        dir.path(),
        "short.toml",
        "extends = \"base.toml\"\n[scenario]\nend = 2022\n",
    ))
    .unwrap_err();
    assert!(
        e.message.contains("outside the scenario's [start, end]"),
        "{}",
        e.message
    );
    assert!(e.location.contains("base.toml:"), "{}", e.location);
    // A misspelt id to remove; the composition keys without extends; a base that is not there.
    let e = scenario::load(&write(
        dir.path(),
        "rm.toml",
        "extends = \"base.toml\"\nremove_events = [\"b-leave\"]\n",
    ))
    .unwrap_err();
    assert!(
        e.message.contains("no event of the base has the id \"b-leave\""),
        "{}",
        e.message
    );
    assert_eq!(e.help.as_deref(), Some("did you mean \"b-leaves\"?"));
    let e = scenario::load(&write(
        dir.path(),
        "alone.toml",
        &format!("remove_communities = [\"x\"]\n{BASE}"),
    ))
    .unwrap_err();
    assert!(
        e.message.contains("`remove_communities` acts on a base"),
        "{}",
        e.message
    );
    let e = scenario::load(&write(dir.path(), "gone.toml", "extends = \"nowhere.toml\"\n")).unwrap_err();
    assert!(e.message.contains("cannot read the base scenario"), "{}", e.message);
    assert!(e.location.ends_with("gone.toml:1:11"), "{}", e.location);
    // The root must say what a scenario is: name, start and end.
    write(dir.path(), "headless.toml", "[scenario]\nname = \"x\"\nend = 2030\n");
    let e = scenario::load(&write(dir.path(), "on_headless.toml", "extends = \"headless.toml\"\n")).unwrap_err();
    assert!(e.message.contains("missing field `start`"), "{}", e.message);
    assert!(e.location.contains("headless.toml:1:1"), "{}", e.location);
}

#[test]
fn a_base_reads_its_csv_files_from_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let world = repo("tests/fixtures/csv_world");
    for f in ["scenario.toml", "states.csv", "dyads.csv"] {
        if world.join(f).exists() {
            std::fs::create_dir_all(dir.path().join("w")).unwrap();
            std::fs::copy(world.join(f), dir.path().join("w").join(f)).unwrap();
        }
    }
    let base = load(&dir.path().join("w/scenario.toml"));
    let s = load(&write(
        dir.path(),
        "over.toml",
        "extends = \"w\"\n[scenario]\nname = \"over\"\n",
    ));
    assert_eq!(s.states, base.states);
    assert_eq!(s.dyads, base.dyads);
    assert_eq!(s.events, base.events);
    assert_eq!(s.name, "over");
}

#[test]
fn the_western_scenarios_are_one_world_with_three_event_lists() {
    let world = load(&repo("scenarios/western_2016/scenario.toml"));
    let west = load(&repo("scenarios/western_community.toml"));
    let twin = load(&repo("scenarios/western_community_counterfactual.toml"));
    let af = load(&repo("scenarios/america_first_2025.toml"));
    assert!(world.events.is_empty());
    for s in [&west, &twin, &af] {
        assert_eq!(s.states, world.states);
        assert_eq!(s.treaties, world.treaties);
        assert_eq!(s.communities, world.communities);
        assert_eq!(s.dyads, world.dyads);
        assert_eq!(s.pairs, world.pairs);
        assert_eq!(
            (s.seed, s.runs, s.calendar.start),
            (world.seed, world.runs, world.calendar.start)
        );
    }
    assert_eq!(west.calendar, world.calendar);
    assert_eq!(twin.calendar, world.calendar);
    assert_eq!(af.calendar.end.year(), 2035);
    assert_eq!((west.events.len(), twin.events.len(), af.events.len()), (30, 3, 94));
    // The twin keeps the UK events of the western scenario, and only them.
    for e in &twin.events {
        assert!(west.events.iter().any(|w| w.at == e.at && w.kind == e.kind), "{e:?}");
    }
    assert_eq!(
        labels(&twin),
        [
            "2016-06 UKG orientation 0.65",
            "2017-03 UKG to leave EU",
            "2020-01 UKG leaves EU"
        ]
    );
    // America First runs the western scenario's events first, unchanged.
    assert_eq!(af.events[..30], west.events[..]);
    assert!(af.events[30..].iter().all(|e| e.at.year() > 2020));
    assert!(af.events.iter().all(|e| e.probability == 1.0));
}

#[test]
fn bundled_event_origins_agree_with_the_loader() {
    for b in comity::bundled::scenarios() {
        let s = load(&repo("scenarios").join(b.scenario));
        let origins = comity::bundled::events_of(b.scenario);
        assert_eq!(origins.len(), s.events.len(), "{}", b.name);
    }
    let af = comity::bundled::find("america_first_2025").unwrap();
    assert_eq!(
        af.files,
        [
            "america_first_2025.toml",
            "western_community.toml",
            "western_2016/scenario.toml"
        ]
    );
}

#[test]
fn a_written_out_scenario_brings_its_bases_and_runs_as_in_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_comity"));
        c.current_dir(dir.path()).args(args).output().unwrap()
    };
    let o = in_dir(&["scenario", "western_community_counterfactual", "--out", "s"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("(3 file(s))"), "{}", text(&o.stdout));
    for f in [
        "western_community_counterfactual.toml",
        "western_community.toml",
        "western_2016/scenario.toml",
    ] {
        let written = std::fs::read_to_string(dir.path().join("s").join(f)).unwrap();
        assert_eq!(
            written,
            std::fs::read_to_string(repo("scenarios").join(f)).unwrap(),
            "{f}"
        );
    }
    // The same outputs as the repository's copy.
    let here = dir.path().join("here");
    let o = in_dir(&[
        "run",
        "s/western_community_counterfactual.toml",
        "--runs",
        "3",
        "-q",
        "--out",
        here.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let there = dir.path().join("there");
    let o = run(&[
        "run",
        "scenarios/western_community_counterfactual.toml",
        "--runs",
        "3",
        "-q",
        "--out",
        there.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for f in ["timeseries.csv", "runs.csv", "pairs.csv"] {
        assert_eq!(
            std::fs::read(here.join(f)).unwrap(),
            std::fs::read(there.join(f)).unwrap(),
            "{f}"
        );
    }
    // A twin without some events of a scenario that extends another drops the base's too.
    let o = in_dir(&[
        "scenario",
        "america_first_2025",
        "--without-events",
        "treaty = \"Paris\"",
        "--out",
        "noparis",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("without the 5 [[event]] table(s)"),
        "{}",
        text(&o.stdout)
    );
    let twin = load(&dir.path().join("noparis/america_first_2025.toml"));
    let af = load(&repo("scenarios/america_first_2025.toml"));
    let kept: Vec<String> = labels(&af).into_iter().filter(|l| !l.contains("Paris")).collect();
    assert_eq!(labels(&twin), kept);
    assert_eq!(twin.states, af.states);
    assert_eq!(twin.calendar, af.calendar);
    // And without all of them: no event left, the world unchanged.
    let o = in_dir(&["scenario", "america_first_2025", "--without-events", "--out", "none"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let bare = load(&dir.path().join("none/america_first_2025.toml"));
    assert!(bare.events.is_empty());
    assert_eq!(bare.dyads, af.dyads);
    assert!(!twin.events.iter().any(|e| matches!(e.kind, EventKind::Join { .. })));
}

#[test]
fn the_example_of_the_format_doc_validates() {
    let doc = std::fs::read_to_string(repo("docs/scenario-format.md")).unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("\n```").next())
        .collect();
    let toy = blocks
        .iter()
        .find(|b| b.starts_with("# A four-state toy world"))
        .expect("the minimal example");
    let rivals = blocks
        .iter()
        .find(|b| b.starts_with("# rivals.toml"))
        .expect("the extends example");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "toy.toml", toy);
    let base = load(&dir.path().join("toy.toml"));
    let s = load(&write(dir.path(), "rivals.toml", rivals));
    assert_eq!(s.calendar.end.year(), 2040);
    assert_eq!((s.seed, s.runs), (base.seed, base.runs));
    assert_eq!(ids(&s.communities, |c| &c.id), ["pact"]);
    assert_eq!(labels(&s), ["2028-01 crisis DRV-BOR"]);
}
