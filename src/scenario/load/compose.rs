//! Composition: a scenario may build on another (`extends = "PATH"`). `Loader::layers` reads the
//! chain of files, the named one and the bases it extends, refusing a cycle; `Loader::compose`
//! puts their tables together: the base's world first, then what each file adds, overrides or
//! removes. Every value keeps the file it was written in, so an error points into that file.

use super::{Loader, Result, Val, loc, toml_hint, val};
use crate::scenario::error::{Loc, SourceFile};
use crate::scenario::limits::{self, ReadError};
use crate::scenario::raw::{
    LensTable, RawCommunity, RawDefaults, RawDyad, RawEvent, RawFile, RawHeader, RawSweep, RawTreaty, S,
};
use crate::suggest::closest;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// One file of a scenario: the one named, or a base it extends.
pub(super) struct Layer {
    /// Its index in `Loader::files`.
    pub(super) src: usize,
    /// Its folder: resolves its `extends`, its CSV files and its `[sweep] design_file`.
    pub(super) dir: PathBuf,
    pub(super) raw: RawFile,
}

impl Layer {
    pub(super) fn header(&self) -> Option<&RawHeader> {
        self.raw.scenario.as_ref().map(|h| h.get_ref())
    }
}

/// The `[scenario]` table of the composed scenario: each field from the nearest file that sets
/// it (the named file first, then its base, ...); `pairs` from every file, the base's first.
pub(super) struct Header {
    /// The `[scenario]` table of the file at the root of the chain (the one that extends none):
    /// where errors about the whole scenario point.
    pub(super) table: Loc,
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) start: Val<toml::Value>,
    pub(super) end: Val<toml::Value>,
    pub(super) step: Option<Val<String>>,
    pub(super) seed: Option<Val<i64>>,
    pub(super) runs: Option<Val<i64>>,
    pub(super) lens: Option<Val<toml::Value>>,
    pub(super) pairs: Vec<Val<String>>,
}

/// `[defaults]`, each field from the nearest file that sets it.
#[derive(Default)]
pub(super) struct Defaults {
    pub(super) trust: Option<Val<f64>>,
    pub(super) identity: Option<Val<f64>>,
    pub(super) trade: Option<Val<f64>>,
    pub(super) contiguous: Option<bool>,
    pub(super) distance: Option<Val<f64>>,
    pub(super) peace_years: Option<Val<f64>>,
    pub(super) rivalry: Option<Val<f64>>,
    pub(super) shared_igos: Option<Val<f64>>,
}

/// A table of a file, with the index of that file.
pub(super) type In<'a, T> = (usize, &'a S<T>);

/// A keyed entry (`[parameters]`, `[lens.NAME]`): the file, the key and the value.
pub(super) type Keyed<'a, T> = (usize, &'a S<String>, &'a S<T>);

/// The tables of every file of the chain, put together.
pub(super) struct Composed<'a> {
    pub(super) header: Header,
    pub(super) defaults: Defaults,
    /// The base's treaties, then each extending file's.
    pub(super) treaties: Vec<In<'a, RawTreaty>>,
    /// The base's communities less those removed, then each extending file's.
    pub(super) communities: Vec<In<'a, RawCommunity>>,
    pub(super) dyads: Vec<In<'a, RawDyad>>,
    /// `[parameters]` by name: a file's value replaces its base's.
    pub(super) parameters: BTreeMap<String, Keyed<'a, f64>>,
    /// `[lens.NAME]` by name: a file's table replaces its base's table of that name.
    pub(super) lenses: BTreeMap<String, Keyed<'a, LensTable>>,
    /// The nearest file's `[sweep]`, with that file's folder.
    pub(super) sweep: Option<(usize, &'a Path, &'a S<RawSweep>)>,
    /// The base's events (unless replaced, less those removed), then each extending file's.
    pub(super) events: Vec<In<'a, RawEvent>>,
}

/// `a/b/../c` as `a/c`: the path as written, without the steps back.
fn tidy(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            _ => out.push(c),
        }
    }
    out
}

impl Loader {
    /// Parses file `src` of `files` as a scenario file.
    fn parse(&self, src: usize) -> Result<RawFile> {
        toml::from_str(&self.files[src].text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            let help = toml_hint(&msg);
            self.err(&Loc { src, span }, format!("invalid scenario: {msg}"), "here", help)
        })
    }

    /// The named file (`files[0]`, in folder `dir`; `identity` its canonical path when known)
    /// and the chain of bases it extends, read and parsed: the root of the chain first, the
    /// named file last.
    pub(super) fn layers(&mut self, dir: &Path, identity: Option<PathBuf>) -> Result<Vec<Layer>> {
        let mut chain = vec![Layer {
            src: 0,
            dir: dir.to_path_buf(),
            raw: self.parse(0)?,
        }];
        let mut seen = vec![identity];
        loop {
            let last = chain.last().expect("the named file");
            let Some(rel) = &last.raw.extends else { break };
            let at = loc(last.src, rel);
            let path = tidy(&last.dir.join(rel.get_ref().trim()));
            let file = if path.is_dir() {
                path.join("scenario.toml")
            } else {
                path
            };
            let canonical = std::fs::canonicalize(&file).ok();
            if let Some(k) = canonical
                .as_ref()
                .and_then(|c| seen.iter().position(|s| s.as_ref() == Some(c)))
            {
                let mut names: Vec<&str> = chain[k..].iter().map(|l| self.files[l.src].path.as_str()).collect();
                names.push(&self.files[chain[k].src].path);
                return Err(self.err(
                    &at,
                    format!("`extends` makes a cycle: {}", names.join(" -> ")),
                    "extends a file of its own chain",
                    Some("a scenario cannot build on itself: make one file the base of the other, not both".into()),
                ));
            }
            let text = limits::read_text(&file, limits::MAX_SCENARIO_BYTES).map_err(|e| {
                let help = match &e {
                    ReadError::TooLarge { .. } => format!(
                        "a scenario file is at most {} MiB: keep large tables in states_csv and dyads_csv",
                        limits::MAX_SCENARIO_BYTES >> 20
                    ),
                    ReadError::NotText => "a scenario file is TOML text in UTF-8".into(),
                    _ => "`extends` names a scenario file, or a folder holding scenario.toml, relative to this file's folder"
                        .into(),
                };
                self.err(
                    &at,
                    format!("cannot read the base scenario {}: {e}", file.display()),
                    "the base named here",
                    Some(help),
                )
            })?;
            let src = self.files.len();
            self.files.push(SourceFile {
                path: file.display().to_string(),
                text: Arc::new(text),
            });
            let raw = self.parse(src)?;
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            chain.push(Layer { src, dir, raw });
            seen.push(canonical);
        }
        chain.reverse();
        for layer in &chain {
            self.check_composition_keys(layer)?;
        }
        Ok(chain)
    }

    /// `replace_events`, `remove_events` and `remove_communities` act on a base: a file that
    /// extends none may not have them.
    fn check_composition_keys(&self, layer: &Layer) -> Result<()> {
        if layer.raw.extends.is_some() {
            return Ok(());
        }
        let raw = &layer.raw;
        let keys = [
            ("replace_events", raw.replace_events.as_ref().map(S::span)),
            ("remove_events", raw.remove_events.as_ref().map(S::span)),
            ("remove_communities", raw.remove_communities.as_ref().map(S::span)),
        ];
        for (key, span) in keys {
            if let Some(span) = span {
                return Err(self.err(
                    &Loc { src: layer.src, span },
                    format!("`{key}` acts on a base, but this file extends none"),
                    "no `extends` in this file",
                    Some(
                        "add `extends = \"BASE\"` at the top of the file (before any table), or remove this key".into(),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Puts the tables of `layers` (root first) together.
    pub(super) fn compose<'a>(&self, layers: &'a [Layer]) -> Result<Composed<'a>> {
        let header = self.header(layers)?;
        let mut defaults = Defaults::default();
        let mut treaties = Vec::new();
        let mut communities: Vec<In<'a, RawCommunity>> = Vec::new();
        let mut dyads = Vec::new();
        let mut parameters = BTreeMap::new();
        let mut lenses = BTreeMap::new();
        let mut sweep = None;
        let mut events: Vec<In<'a, RawEvent>> = Vec::new();
        for layer in layers {
            let (src, raw) = (layer.src, &layer.raw);
            if let Some(d) = &raw.defaults {
                overlay_defaults(&mut defaults, src, d.get_ref());
            }
            treaties.extend(raw.treaty.iter().map(|t| (src, t)));
            if let Some(ids) = &raw.remove_communities {
                for id in ids.get_ref() {
                    let before = communities.len();
                    communities.retain(|(_, c)| c.get_ref().id.get_ref().trim() != id.get_ref().trim());
                    if communities.len() == before {
                        let known = communities.iter().map(|(_, c)| c.get_ref().id.get_ref().as_str());
                        return Err(self.not_in_base(src, id, "community", known));
                    }
                }
            }
            communities.extend(raw.community.iter().map(|c| (src, c)));
            dyads.extend(raw.dyad.iter().map(|d| (src, d)));
            if let Some(table) = &raw.parameters {
                for (k, v) in table.get_ref() {
                    parameters.insert(k.get_ref().clone(), (src, k, v));
                }
            }
            if let Some(tables) = &raw.lens {
                for (k, v) in tables {
                    lenses.insert(k.get_ref().clone(), (src, k, v));
                }
            }
            if let Some(s) = &raw.sweep {
                sweep = Some((src, layer.dir.as_path(), s));
            }
            if let Some(ids) = &raw.remove_events {
                for id in ids.get_ref() {
                    let before = events.len();
                    events.retain(|(_, e)| {
                        e.get_ref()
                            .id
                            .as_ref()
                            .is_none_or(|x| x.get_ref().trim() != id.get_ref().trim())
                    });
                    if events.len() == before {
                        let known = events
                            .iter()
                            .filter_map(|(_, e)| e.get_ref().id.as_ref().map(|x| x.get_ref().as_str()));
                        return Err(self.not_in_base(src, id, "event", known));
                    }
                }
            }
            if raw.replace_events.as_ref().is_some_and(|r| *r.get_ref()) {
                events.clear();
            }
            events.extend(raw.event.iter().map(|e| (src, e)));
        }
        Ok(Composed {
            header,
            defaults,
            treaties,
            communities,
            dyads,
            parameters,
            lenses,
            sweep,
            events,
        })
    }

    /// A `remove_events` or `remove_communities` id that names nothing in the base.
    fn not_in_base<'a>(
        &self,
        src: usize,
        id: &S<String>,
        what: &str,
        known: impl Iterator<Item = &'a str> + Clone,
    ) -> crate::scenario::ScenarioError {
        let ids: Vec<&str> = known.clone().collect();
        let hint = match closest(id.get_ref(), known) {
            Some(s) => format!("did you mean \"{s}\"?"),
            None if ids.is_empty() => format!("the base has no {what} with an id to remove"),
            None => format!("the base's {what} ids: {}", ids.join(", ")),
        };
        self.err(
            &loc(src, id),
            format!("no {what} of the base has the id \"{}\"", id.get_ref()),
            "no such id in the base",
            Some(hint),
        )
    }

    /// The `[scenario]` fields of the chain; the root must give `name`, `start` and `end`.
    fn header(&self, layers: &[Layer]) -> Result<Header> {
        let root = &layers[0];
        let table = root.raw.scenario.as_ref().ok_or_else(|| {
            self.err(
                &Loc {
                    src: root.src,
                    span: 0..0,
                },
                "missing [scenario] table",
                "expected a [scenario] table",
                Some("start the file with:\n[scenario]\nname = \"...\"\nstart = 2016\nend = 2030".into()),
            )
        })?;
        let table = loc(root.src, table);
        // The nearest file's value of a field.
        fn nearest<'a, T: 'a>(
            layers: &'a [Layer],
            field: impl Fn(&'a RawHeader) -> Option<&'a S<T>>,
        ) -> Option<(usize, &'a S<T>)> {
            layers
                .iter()
                .rev()
                .find_map(|l| l.header().and_then(&field).map(|v| (l.src, v)))
        }
        let required = |field: &str| {
            self.err(
                &table,
                format!("invalid scenario: missing field `{field}`"),
                "here",
                toml_hint("missing field"),
            )
        };
        let name = nearest(layers, |h| h.name.as_ref()).ok_or_else(|| required("name"))?;
        let start = nearest(layers, |h| h.start.as_ref()).ok_or_else(|| required("start"))?;
        let end = nearest(layers, |h| h.end.as_ref()).ok_or_else(|| required("end"))?;
        Ok(Header {
            name: name.1.get_ref().clone(),
            description: layers.iter().rev().find_map(|l| l.header()?.description.clone()),
            start: v(start),
            end: v(end),
            step: nearest(layers, |h| h.step.as_ref()).map(v),
            seed: nearest(layers, |h| h.seed.as_ref()).map(v),
            runs: nearest(layers, |h| h.runs.as_ref()).map(v),
            lens: nearest(layers, |h| h.lens.as_ref()).map(v),
            pairs: layers
                .iter()
                .filter_map(|l| Some((l.src, l.header()?.pairs.as_ref()?)))
                .flat_map(|(src, p)| p.get_ref().iter().map(move |x| val(src, x)))
                .collect(),
            table,
        })
    }
}

fn v<T: Clone>((src, s): (usize, &S<T>)) -> Val<T> {
    val(src, s)
}

/// The fields `d` (of file `src`) sets replace those of its base.
fn overlay_defaults(into: &mut Defaults, src: usize, d: &RawDefaults) {
    let set = |slot: &mut Option<Val<f64>>, f: &Option<S<f64>>| {
        if let Some(f) = f {
            *slot = Some(val(src, f));
        }
    };
    set(&mut into.trust, &d.trust);
    set(&mut into.identity, &d.identity);
    set(&mut into.trade, &d.trade);
    set(&mut into.distance, &d.distance);
    set(&mut into.peace_years, &d.peace_years);
    set(&mut into.rivalry, &d.rivalry);
    set(&mut into.shared_igos, &d.shared_igos);
    if d.contiguous.is_some() {
        into.contiguous = d.contiguous;
    }
}
