//! `comity validate`: check a scenario file and summarise it.

use super::{Failure, emit};
use comity::params::SPECS;
use comity::scenario;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Also list every model parameter with its value for this scenario.
    #[arg(long)]
    pub parameters: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    let s = scenario::load(&args.scenario)?;
    let cal = &s.calendar;
    let mut out = String::new();
    writeln!(out, "{}: valid", args.scenario.display()).ok();
    writeln!(out, "  name         {}", s.name).ok();
    // The bases it extends: the scenario files read after the named one (the rest are CSVs).
    for base in s.sources.iter().skip(1).filter(|d| d.path.ends_with(".toml")) {
        writeln!(out, "  extends      {}", base.path).ok();
    }
    writeln!(
        out,
        "  period       {}-{:02} .. {}-{:02}, step {}, {} ticks",
        cal.start.year(),
        cal.start.month(),
        cal.end.year(),
        cal.end.month(),
        cal.step,
        cal.n_ticks()
    )
    .ok();
    let later = s.present_at_start().iter().filter(|p| !**p).count();
    writeln!(
        out,
        "  states       {} ({} major powers{})",
        s.n_states(),
        s.states.iter().filter(|x| x.major).count(),
        if later > 0 {
            format!("; {later} absent at the start, entering later")
        } else {
            String::new()
        }
    )
    .ok();
    let n = s.n_states();
    let listed = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .filter(|&(i, j)| s.dyads.trade[i * n + j] > 0.0)
        .count();
    writeln!(
        out,
        "  dyads        {} ({} with trade)",
        n * n.saturating_sub(1) / 2,
        listed
    )
    .ok();
    let bound = scenario::limits::memory_bound();
    writeln!(
        out,
        "  memory       about {}; limit {}",
        s.memory(s.lenses.len(), s.runs).describe(),
        bound
    )
    .ok();
    for t in &s.treaties {
        let members: Vec<&str> = t.members.iter().map(|&m| s.states[m].id.as_str()).collect();
        writeln!(
            out,
            "  treaty       {} ({}, salience {}): {}",
            t.id,
            t.kind.name(),
            t.salience,
            if members.is_empty() {
                "(no members at the start)".to_string()
            } else {
                members.join(" ")
            }
        )
        .ok();
    }
    for c in &s.communities {
        let members: Vec<&str> = c.members.iter().map(|&m| s.states[m].id.as_str()).collect();
        writeln!(out, "  community    {}: {}", c.id, members.join(" ")).ok();
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &s.events {
        *kinds.entry(e.kind.name()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, v)| format!("{k} {v}")).collect();
    if kinds.is_empty() {
        writeln!(out, "  events       0").ok();
    } else {
        writeln!(out, "  events       {} ({})", s.events.len(), kinds.join(", ")).ok();
    }
    writeln!(out, "  runs, seed   {}, {}", s.runs, s.seed).ok();
    writeln!(out, "  lenses       {}", s.lenses.join(", ")).ok();
    if !s.overrides.is_empty() {
        let o: Vec<String> = s.overrides.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        writeln!(out, "  parameters   {}", o.join(", ")).ok();
    }
    if let Some(sw) = &s.sweep {
        let vary: Vec<String> = sw
            .vary
            .iter()
            .map(|v| format!("{} {}..{}", v.name, v.lo, v.hi))
            .collect();
        let what = match &sw.design_file {
            Some(f) => format!("design file {}", f.display()),
            None => format!(
                "{} design, varies {}",
                sw.design.as_deref().unwrap_or("grid"),
                vary.join(", ")
            ),
        };
        writeln!(out, "  sweep        {what} (comity sweep {})", args.scenario.display()).ok();
    }
    if args.parameters {
        for lens in &s.lenses {
            let p = s.params_for(lens).expect("lenses were validated");
            writeln!(out, "\nparameters under lens {lens}:").ok();
            for spec in SPECS {
                let v = p.get(spec.name).expect("spec names are parameters");
                writeln!(out, "  {:<30} {:>10}  {}", spec.name, v, spec.doc.trim()).ok();
            }
        }
    }
    emit(&out);
    Ok(())
}
