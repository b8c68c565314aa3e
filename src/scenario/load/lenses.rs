//! `[lens.NAME]`, the header's `lens`, `[parameters]` and `[sweep]`.

use super::compose::{Header, Keyed};
use super::{Loader, Result, loc, valid_id};
use crate::params::{self, ParamError, Params};
use crate::scenario::raw::{LensTable, RawSweep, S};
use crate::scenario::{CustomLens, SweepSpec};
use crate::suggest::closest;
use std::collections::BTreeMap;
use std::path::Path;

impl Loader {
    /// The scenario's `[lens.NAME]` tables, by name (each with the file it was written in).
    pub(super) fn custom_lenses(&self, tables: &BTreeMap<String, Keyed<LensTable>>) -> Result<Vec<CustomLens>> {
        let mut out = Vec::new();
        for &(src, name, table) in tables.values() {
            let n = name.get_ref();
            if params::lens(n).is_some() {
                return Err(self.err(
                    &loc(src, name),
                    format!("[lens.{n}] would redefine the built-in lens `{n}`"),
                    "a built-in lens",
                    Some(format!("give your lens another name and `base = \"{n}\"`")),
                ));
            }
            if !valid_id(n) {
                return Err(self.err(&loc(src, name), format!("invalid lens name \"{n}\""), "one word", None));
            }
            let mut base = None;
            let mut overrides = Vec::new();
            let mut scratch = Params::default();
            for (key, value) in table.get_ref() {
                if key.get_ref() == "base" {
                    let b = value.get_ref().as_str().ok_or_else(|| {
                        self.err(
                            &loc(src, value),
                            "base must be a lens name in quotes",
                            "not a string",
                            None,
                        )
                    })?;
                    if params::lens(b).is_none() {
                        let hint = match closest(b, params::LENSES.iter().copied()) {
                            Some(s) => format!("did you mean \"{s}\"? built-in lenses: {}", params::LENSES.join(", ")),
                            None => format!("built-in lenses: {}", params::LENSES.join(", ")),
                        };
                        return Err(self.err(
                            &loc(src, value),
                            format!("unknown base lens \"{b}\""),
                            "not a built-in lens",
                            Some(hint),
                        ));
                    }
                    base = Some(b.to_string());
                    continue;
                }
                let v = match value.get_ref() {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(i) => *i as f64,
                    _ => {
                        return Err(self.err(
                            &loc(src, value),
                            format!("`{}` must be a number", key.get_ref()),
                            "not a number",
                            None,
                        ));
                    }
                };
                match scratch.set(key.get_ref(), v) {
                    Ok(()) => overrides.push((key.get_ref().clone(), v)),
                    Err(ParamError::Unknown { name, suggestion }) => {
                        let hint = match suggestion {
                            Some(s) => {
                                format!("did you mean `{s}`? `comity explain` lists the parameters of each mechanism")
                            }
                            None => "a lens table takes `base` and parameter names (docs/model.md)".to_string(),
                        };
                        return Err(self.err(
                            &loc(src, key),
                            format!("unknown parameter `{name}` in [lens.{n}]"),
                            "not a model parameter",
                            Some(hint),
                        ));
                    }
                    Err(ParamError::OutOfRange { name, value, min, max }) => {
                        return Err(self.err(
                            &loc(src, value_of(table, &name)),
                            format!("parameter `{name}` = {value} is out of range [{min}, {max}]"),
                            "out of range",
                            None,
                        ));
                    }
                }
            }
            let base = base.ok_or_else(|| {
                self.err(
                    &loc(src, table),
                    format!("[lens.{n}] needs a base lens"),
                    "no `base`",
                    Some(format!(
                        "add base = \"liberal\" (or {})",
                        params::THEORY_LENSES.join(", ")
                    )),
                )
            })?;
            out.push(CustomLens {
                name: n.clone(),
                base,
                overrides,
            });
        }
        Ok(out)
    }

    pub(super) fn lenses(&self, h: &Header, custom: &[CustomLens]) -> Result<Vec<String>> {
        let Some(value) = &h.lens else {
            return Ok(vec![params::DEFAULT_LENS.to_string()]);
        };
        let names: Vec<String> = match &value.v {
            toml::Value::String(s) => vec![s.clone()],
            toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        };
        let expected_len = match &value.v {
            toml::Value::Array(a) => a.len(),
            _ => 1,
        };
        if names.is_empty() || names.len() != expected_len {
            return Err(self.err(
                &value.loc,
                "lens must be a name or a list of names",
                "expected a string or a list of strings",
                Some(format!("available lenses: {}", params::LENSES.join(", "))),
            ));
        }
        let known: Vec<String> = params::LENSES
            .iter()
            .map(|s| s.to_string())
            .chain(custom.iter().map(|c| c.name.clone()))
            .collect();
        for name in &names {
            if !known.contains(name) {
                let hint = match closest(name, known.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean \"{s}\"? available lenses: {}", known.join(", ")),
                    None => format!("available lenses: {}", known.join(", ")),
                };
                return Err(self.err(
                    &value.loc,
                    format!("unknown lens \"{name}\""),
                    "unknown lens",
                    Some(hint),
                ));
            }
        }
        let mut unique: Vec<String> = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        Ok(unique)
    }

    /// The nearest file's `[sweep]` (with that file's index and folder).
    pub(super) fn sweep(
        &self,
        table: Option<(usize, &Path, &S<RawSweep>)>,
        custom: &[CustomLens],
    ) -> Result<Option<SweepSpec>> {
        let Some((src, dir, table)) = table else {
            return Ok(None);
        };
        let t = table.get_ref();
        let mut spec = SweepSpec::default();
        if let Some(d) = &t.design {
            if !crate::params::DESIGNS.contains(&d.get_ref().as_str()) {
                return Err(self.err(
                    &loc(src, d),
                    format!("unknown sweep design `{}`", d.get_ref()),
                    "not a design",
                    Some(format!("use one of: {}", crate::params::DESIGNS.join(", "))),
                ));
            }
            spec.design = Some(d.get_ref().clone());
        }
        if let Some(list) = &t.vary {
            for item in list.get_ref() {
                let v = crate::params::Vary::parse(item.get_ref()).map_err(|e| {
                    self.err(
                        &loc(src, item),
                        format!("bad [sweep] vary entry: {e}"),
                        "this entry",
                        Some("write each entry as \"NAME=LO..HI\" or \"NAME=LO..HI:N\" (N grid levels)".into()),
                    )
                })?;
                if spec.vary.iter().any(|w| w.name == v.name) {
                    return Err(self.err(
                        &loc(src, item),
                        format!("[sweep] varies `{}` twice", v.name),
                        "repeated",
                        Some("keep one entry per parameter".into()),
                    ));
                }
                spec.vary.push(v);
            }
        }
        let positive = |v: &Option<S<i64>>, what: &str| -> Result<Option<u64>> {
            match v {
                Some(n) if *n.get_ref() < 1 => Err(self.err(
                    &loc(src, n),
                    format!("[sweep] {what} must be at least 1"),
                    "not a positive whole number",
                    None,
                )),
                Some(n) => Ok(Some(*n.get_ref() as u64)),
                None => Ok(None),
            }
        };
        spec.samples = positive(&t.samples, "samples")?;
        spec.runs = positive(&t.runs, "runs")?;
        if let Some(l) = &t.levels {
            if !(2..=1000).contains(l.get_ref()) {
                return Err(self.err(
                    &loc(src, l),
                    "[sweep] levels must lie between 2 and 1000",
                    "out of range",
                    Some("grid levels per parameter, or the Morris grid's levels (4 is usual)".into()),
                ));
            }
            spec.levels = Some(*l.get_ref() as u32);
        }
        if let Some(l) = &t.lens {
            let names: Vec<String> = match l.get_ref() {
                toml::Value::String(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
                toml::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let known: Vec<String> = crate::params::LENSES
                .iter()
                .map(|s| s.to_string())
                .chain(custom.iter().map(|c| c.name.clone()))
                .collect();
            let bad = names.iter().find(|n| *n != "all" && !known.contains(n));
            if names.is_empty() || bad.is_some() {
                return Err(self.err(
                    &loc(src, l),
                    match bad {
                        Some(b) => format!("[sweep] lens `{b}` is not a lens of this scenario"),
                        None => "[sweep] lens must be a lens name or a list of them".to_string(),
                    },
                    "unknown lens",
                    Some(format!("available: {} (or \"all\")", known.join(", "))),
                ));
            }
            spec.lens = Some(names.join(","));
        }
        if let Some(f) = &t.design_file {
            spec.design_file = Some(dir.join(f.get_ref()));
        }
        Ok(Some(spec))
    }

    /// `[parameters]`, by name (each with the file it was written in).
    pub(super) fn overrides(&self, table: &BTreeMap<String, Keyed<f64>>) -> Result<Vec<(String, f64)>> {
        let mut scratch = Params::default();
        let mut out = Vec::new();
        for &(src, key, v) in table.values() {
            match scratch.set(key.get_ref(), *v.get_ref()) {
                Ok(()) => out.push((key.get_ref().clone(), *v.get_ref())),
                Err(ParamError::Unknown { name, suggestion }) => {
                    let hint = match suggestion {
                        Some(s) => format!("did you mean `{s}`? `comity validate --parameters` lists every parameter"),
                        None => "docs/model.md lists every parameter".to_string(),
                    };
                    return Err(self.err(
                        &loc(src, key),
                        format!("unknown parameter `{name}`"),
                        "not a model parameter",
                        Some(hint),
                    ));
                }
                Err(ParamError::OutOfRange { name, value, min, max }) => {
                    let spec = params::spec(&name).expect("known parameter");
                    return Err(self.err(
                        &loc(src, v),
                        format!("parameter `{name}` = {value} is out of range [{min}, {max}]"),
                        "out of range",
                        Some(format!("{} (default {})", spec.doc.trim(), spec.default)),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn value_of<'a>(table: &'a S<LensTable>, name: &str) -> &'a S<toml::Value> {
    table
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == name)
        .map(|(_, v)| v)
        .expect("name comes from this table")
}
