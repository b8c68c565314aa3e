#!/usr/bin/env python3
"""Calibration of comity's dispute model to COW MID 5.0, 1946-1989 (brief section 6).

Usage (from the repository root; standard library only, Python >= 3.11):

    # (a) the targets, computed from the data, next to the brief's figures
    python3 scenarios/history/calibrate.py targets

    # (b) measure a comity output folder made with --disputes on the calibration world
    comity run scenarios/history/world_1960/scenario.toml --lens realist,liberal,constructivist \
        --runs 100 --disputes --quiet --out /tmp/cal --force
    python3 scenarios/history/calibrate.py measure /tmp/cal

    # (a)+(b) end to end: run comity on a scratch copy of the world with extra [lens.NAME] tables
    # (e.g. the calibrated overrides), then measure
    python3 scenarios/history/calibrate.py run --lenses-file scenarios/history/calibrated_lenses.toml \
        --lens realist_cal,liberal_cal,constructivist_cal --runs 100 --out /tmp/cal

    # (c) the search of docs/calibration.md section 4: run, measure, update the levers of each lens
    # table in the lenses file, write the file, repeat
    python3 scenarios/history/calibrate.py fit --lenses-file scenarios/history/calibrated_lenses.toml \
        --lens realist_cal,liberal_cal,constructivist_cal --runs 100 --iterations 6 \
        [--nato liberal_cal=onset_alliance] [--fix PARAM,...] [--damping 0.85] [--write FILE]

Options of `measure`, `run` and `fit`: `--json FILE` writes every figure as JSON; `--data DIR` (default:
<repo>/../shared/data/ir); `--scenario FILE` (`measure`; default: the scenario named in the output's
manifest.json, else scenarios/history/world_1960). `run` and `fit` also take `--comity BIN` (default:
target/release/comity), `--world FILE`, `--lens`, `--runs`, `--seed` and `--out` (default
/tmp/comity-calibration; comity's own files there are replaced).

`fit` (needs `--lenses-file`; every lens of `--lens` must be a [lens.NAME] table there) runs up to
`--iterations` times. Each iteration runs comity on a scratch copy of the world with the current
tables, prints one line per lens (score = the largest relative error over the calibrated rows, plus
NATO where fitted; the errors of the rates, hostility shares and contiguity x major cells), then
moves each lever by the damped (`--damping`, default 0.85) gap to its target:
    d(cell) = damping (logit(target) - logit(simulated)) for the four contiguity x major cells;
    onset_base += d(nc,minor); onset_contiguous += d(c,minor) - d(nc,minor);
    onset_major += d(nc,major) - d(nc,minor);
    onset_contiguous_major += d(c,major) - d(c,minor) - d(nc,major) + d(nc,minor);
    entry_threat *= (target / simulated threat share)^damping;
    escalate_from_display -= damping (logit(target display share) - logit(simulated));
    escalate_from_force += damping (logit(target war share) - logit(simulated));
    `--nato LENS=PARAM,...`: PARAM += damping (logit(target of the world's NATO) - logit(simulated NATO rate)).
`--fix PARAM,...` leaves levers alone. Values are clamped into the ranges of src/params.rs; a lever
missing from a table starts from the lens's resolved value (`comity validate --parameters`, else
src/params.rs). After every iteration the tables are written to `--write` (default: the lenses file
itself) with the original header comments and two `# calibrate.py fit` lines (the command, the
scores); the last written tables are the update after the last run. It stops early when every
score is under `--tolerance` (default 0.05; `--score-exclude rate_all,...` drops rows from the score:
a world's mix of dyads can keep a row off target whatever the parameters), and prints the full
table of the last run.

Definitions (docs/calibration.md has the full account):

* Real dyad-years: non-directed pairs of COW system members (cow_states_v2016, a state counts in
  every year it is a member for any part of), 1946-1989.
* Onset: the non-directed dyad-year has `cowmidonset` = 1 in either direction of
  cow_mid5_directed_dyad_years_nodup.csv.
* Contiguous: a cow_contdir_v3.2 record of conttype 1-4 whose stdate year <= year <= enddate year.
  Major: a COW major power (cow_majors_v2016) in that year. PRD: contiguous or major.
* Hostility distribution: per dispute, the highest hostility level `hostlev` of the disputes of
  cow_mid5_disputes.csv that began (styear) in 1946-1989. (Per dyad onset is also reported.)
* NATO: dyad-years 1949-1989 in which both states are members in
  derived/nato_members_from_atop5.1.csv (and system members): the brief's figure. The like-for-like
  target of a world, whose `nato` community is fixed, is the pairs of that community's states from
  the world's start to 1989 (both system members).
* Simulated dyad-years: every pair of the scenario's states x every simulated year x runs (the
  state set is fixed in the model). Categories are fixed at the scenario's values: `contiguous`
  from dyads.csv, `major` from states.csv. NATO = the scenario's `nato` community. Onsets are
  unique (run, year, dyad) triples of the (initiator, target) pair of each row of disputes.csv;
  hostility is per simulated dispute (one row). The calibrated rows compare these with the brief's
  targets. Also printed, not calibrated on: the originator-dyad targets (both states originators
  of the MID: the like-for-like counterpart of the (initiator, target) pairs), the simulated
  rates with the (initiator, joiner) pairs counted as onsets too (the counterpart of the naive MID
  dyads), the all-dyads target re-weighted to the world's PRD share, rates by decade, and the
  EC-6 and Nordic dyads (0 and 1 MIDs in the data).
"""

import argparse
import collections
import csv
import gzip
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "ir"))
DEFAULT_WORLD = os.path.join(HERE, "world_1960", "scenario.toml")
DEFAULT_COMITY = os.path.join(REPO, "target", "release", "comity")

FIRST, LAST = 1946, 1989
NATO_FIRST = 1949

# The brief's figures (model-brief.md section 6), for comparison only.
BRIEF = {
    "rate_all": 0.0037,
    "rate_prd": 0.030,
    "rate_nonprd": 0.00070,
    "rate_contiguous": 0.067,
    "rate_major": 0.018,
    "host_2": 0.022,
    "host_3": 0.200,
    "host_4": 0.756,
    "host_5": 0.023,
    "rate_nato": 0.0060,
}

RATES = ["rate_all", "rate_prd", "rate_nonprd", "rate_contiguous", "rate_major"]
HOST = ["host_2", "host_3", "host_4", "host_5"]
LABEL = {
    "rate_all": "onset rate, all dyads",
    "rate_prd": "onset rate, PRD",
    "rate_nonprd": "onset rate, non-PRD",
    "rate_contiguous": "onset rate, contiguous",
    "rate_major": "onset rate, major power involved",
    "host_2": "highest level: threat (2)",
    "host_3": "highest level: display (3)",
    "host_4": "highest level: use of force (4)",
    "host_5": "highest level: war (5)",
    "rate_nato": "onset rate, both NATO members",
    "rate_nato_world": "onset rate, the world's NATO members",
    "rate_all_adjusted": "onset rate, all, at the world's PRD share",
}
# pacified zones of brief section 6 (the brief says 0 MIDs; the data have 0 and 1): COW codes and years
GROUPS = {
    "EC-6": ({210, 211, 212, 220, 260, 325}, 1958, LAST),
    "Nordic": ({375, 380, 385, 390, 395}, FIRST, LAST),
}
DECADES = [(1950, 1959), (1960, 1969), (1970, 1979), (1980, 1989)]

# the quantities calibrated to +/-25% (relative); NATO "as close as possible"
CALIBRATED = RATES + HOST
TOLERANCE = 0.25


def _open(path):
    if os.path.exists(path):
        return open(path, newline="")
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rt", newline="")
    raise FileNotFoundError(path)


def _rows(data, name):
    with _open(os.path.join(data, name)) as f:
        yield from csv.DictReader(f)


def _pairs(members):
    s = sorted(members)
    for i, a in enumerate(s):
        for b in s[i + 1:]:
            yield a, b


# ---------------------------------------------------------------------------------------------
# (a) targets from the data


def load_data(data):
    """Year-by-year members, majors, contiguity, MID onsets (non-directed) and NATO members."""
    years = range(FIRST, LAST + 1)
    spells = [(int(r["ccode"]), int(r["styear"]), int(r["endyear"])) for r in _rows(data, "cow_states_v2016.csv")]
    members = {y: {c for c, s, e in spells if s <= y <= e} for y in years}
    mspells = [(int(r["ccode"]), int(r["styear"]), int(r["endyear"])) for r in _rows(data, "cow_majors_v2016.csv")]
    majors = {y: {c for c, s, e in mspells if s <= y <= e} for y in years}
    cont = collections.defaultdict(list)
    for r in _rows(data, "cow_contdir_v3.2.csv"):
        t = int(r["conttype"])
        if 1 <= t <= 4:
            a, b = int(r["ccode1"]), int(r["ccode2"])
            cont[(min(a, b), max(a, b))].append((int(r["stdate"][:4]), int(r["enddate"][:4])))
    onsets = {}  # (a, b, year) -> highest hostlev of the dyad's onset rows
    for r in _rows(data, "cow_mid5_directed_dyad_years_nodup.csv"):
        y = int(r["year"])
        if FIRST <= y <= LAST and r["cowmidonset"] == "1":
            a, b = int(r["ccode1"]), int(r["ccode2"])
            if a in members[y] and b in members[y]:
                k = (min(a, b), max(a, b), y)
                onsets[k] = max(onsets.get(k, 0), int(r["hostlev"]))
    orig = set()  # onsets of dyads whose two states were both originators of the dispute
    for r in _rows(data, "cow_mid5_directed_dispute_years.csv"):
        y = int(r["year"])
        if (FIRST <= y <= LAST and r["disponset"] == "1" and r["orig1"] == "1" and r["orig2"] == "1"):
            a, b = int(r["ccode1"]), int(r["ccode2"])
            if a in members[y] and b in members[y]:
                orig.add((min(a, b), max(a, b), y))
    disputes = collections.Counter()
    for r in _rows(data, "cow_mid5_disputes.csv"):
        if FIRST <= int(r["styear"]) <= LAST:
            disputes[int(r["hostlev"])] += 1
    nato = collections.defaultdict(set)
    for r in _rows(data, os.path.join("derived", "nato_members_from_atop5.1.csv")):
        nato[int(r["year"])].add(int(r["ccode"]))
    return dict(members=members, majors=majors, cont=cont, onsets=onsets, orig=orig, disputes=disputes, nato=nato)


def contiguous(d, a, b, y):
    return any(s <= y <= e for s, e in d["cont"].get((min(a, b), max(a, b)), ()))


def compute_targets(data, world=DEFAULT_WORLD):
    d = load_data(data)
    n = collections.Counter()
    o = collections.Counter()
    cells = collections.Counter()  # (contiguous, major) -> dyad-years, onsets
    for y in range(FIRST, LAST + 1):
        mj = d["majors"][y]
        for a, b in _pairs(d["members"][y]):
            c = contiguous(d, a, b, y)
            m = a in mj or b in mj
            on = (a, b, y) in d["onsets"]
            og = (a, b, y) in d["orig"]
            for cat, flag in (("all", True), ("prd", c or m), ("nonprd", not (c or m)),
                              ("contiguous", c), ("major", m)):
                if flag:
                    n[cat] += 1
                    o[cat] += on
                    o["orig_" + cat] += og
            cells[(c, m, "n")] += 1
            cells[(c, m, "o")] += on
    # NATO: all members (1949-1989), and the like-for-like target of a world whose `nato`
    # community is fixed: the pairs of that community's states from the world's start to 1989
    for y in range(NATO_FIRST, LAST + 1):
        for a, b in _pairs(d["members"][y] & d["nato"][y]):
            n["nato"] += 1
            o["nato"] += (a, b, y) in d["onsets"]
    if world:
        w = load_world(world)
        codes = {w["states"][m]["ccode"] for m in w["communities"].get("nato", ()) if m in w["states"]}
        for y in range(max(world_start(w), FIRST), LAST + 1):
            for a, b in _pairs(d["members"][y] & codes):
                n["nato_world"] += 1
                o["nato_world"] += (a, b, y) in d["onsets"]
    for g, (codes, first, last) in GROUPS.items():
        for y in range(first, last + 1):
            for a, b in _pairs(d["members"][y] & codes):
                n["group_" + g] += 1
                o["group_" + g] += (a, b, y) in d["onsets"]
    t = {}
    for g in GROUPS:
        t["group_onsets_" + g] = o["group_" + g]
        t["group_n_" + g] = n["group_" + g]
    for cat in ("all", "prd", "nonprd", "contiguous", "major", "nato", "nato_world"):
        if not n[cat]:
            continue
        t["rate_" + cat] = o[cat] / n[cat]
        t["n_" + cat] = n[cat]
        t["onsets_" + cat] = o[cat]
        if cat in ("all", "prd", "nonprd", "contiguous", "major"):
            t["orig_rate_" + cat] = o["orig_" + cat] / n[cat]
            t["orig_onsets_" + cat] = o["orig_" + cat]
    tot = sum(d["disputes"].values())
    for lv in (2, 3, 4, 5):
        t["host_%d" % lv] = d["disputes"][lv] / tot
        t["disputes_%d" % lv] = d["disputes"][lv]
    t["disputes"] = tot
    hd = collections.Counter(d["onsets"].values())
    for lv in (2, 3, 4, 5):
        t["dyad_host_%d" % lv] = hd[lv] / sum(hd.values())
    for c in (False, True):
        for m in (False, True):
            k = "cell_%s_%s" % ("cont" if c else "noncont", "major" if m else "minor")
            t[k] = cells[(c, m, "o")] / cells[(c, m, "n")]
            t["n_" + k] = cells[(c, m, "n")]
    return t


def same_world_reference(data, world):
    """Real onset rates from the world's start to 1989 among its own states, with its fixed categories."""
    d = load_data(data)
    w = load_world(world)
    by_ccode = {s["ccode"]: s for s in w["states"].values()}
    n = collections.Counter()
    o = collections.Counter()
    for y in range(world_start(w), LAST + 1):
        mem = [c for c in by_ccode if c in d["members"][y]]
        for a, b in _pairs(mem):
            cats = w["cats"][frozenset((by_ccode[a]["id"], by_ccode[b]["id"]))]
            on = (a, b, y) in d["onsets"]
            dec = "_%ds" % (y // 10 * 10)
            for cat in cats:
                n[cat] += 1
                o[cat] += on
                if cat in ("all", "prd"):
                    n[cat + dec] += 1
                    o[cat + dec] += on
    return {"rate_" + c: o[c] / n[c] for c in n if n[c]}


def _poisson_cdf(k, lam):
    """P(X <= k) for X ~ Poisson(lam), summed in log space."""
    if lam <= 0:
        return 1.0
    total, logp = 0.0, -lam
    for i in range(k + 1):
        if i:
            logp += math.log(lam) - math.log(i)
        total += math.exp(logp)
    return min(1.0, total)


def poisson_ci(k, level=0.95):
    """Exact (Garwood) interval for a Poisson count k, by bisection."""
    a = (1 - level) / 2

    def solve(f, lo, hi):
        for _ in range(100):
            mid = (lo + hi) / 2
            if f(mid):
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2

    hi_bound = k + 10 * math.sqrt(k + 1) + 10
    lower = 0.0 if k == 0 else solve(lambda lam: 1 - _poisson_cdf(k - 1, lam) >= a, 0.0, hi_bound)
    upper = solve(lambda lam: _poisson_cdf(k, lam) <= a, 0.0, hi_bound)
    return lower, upper


def wilson_ci(k, n, z=1.959964):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def fmt_pct(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return ("%." + str(digits) + "f%%") % (100 * x)


def print_targets(t, out=sys.stdout):
    print("Targets, COW MID 5.0, non-directed dyad-years of COW members, %d-%d" % (FIRST, LAST), file=out)
    print("%-42s %9s %9s  %-19s %s" % ("quantity", "computed", "brief", "95% interval", "counts"), file=out)
    for k in RATES + ["rate_nato", "rate_nato_world"]:
        cat = k[5:]
        if k not in t:
            continue
        lo, hi = poisson_ci(t["onsets_" + cat])
        print("%-42s %9s %9s  %-19s %d / %d" % (
            LABEL[k], fmt_pct(t[k]), fmt_pct(BRIEF[k]) if k in BRIEF else "-",
            "%s-%s" % (fmt_pct(lo / t["n_" + cat]), fmt_pct(hi / t["n_" + cat])),
            t["onsets_" + cat], t["n_" + cat]), file=out)
    for k in HOST:
        lv = int(k[-1])
        lo, hi = wilson_ci(t["disputes_%d" % lv], t["disputes"])
        print("%-42s %9s %9s  %-19s %d / %d disputes (per dyad onset: %s)" % (
            LABEL[k], fmt_pct(t[k], 1), fmt_pct(BRIEF[k], 1), "%s-%s" % (fmt_pct(lo, 1), fmt_pct(hi, 1)),
            t["disputes_%d" % lv], t["disputes"], fmt_pct(t["dyad_host_%d" % lv], 1)), file=out)
    print("pacified zones: " + "; ".join("%s %d onsets in %d dyad-years" % (
        g, t["group_onsets_" + g], t["group_n_" + g]) for g in GROUPS), file=out)
    print("originator dyads only (both states originators of the dispute): " + "; ".join(
        "%s %s (%d)" % (c, fmt_pct(t["orig_rate_" + c]), t["orig_onsets_" + c])
        for c in ("all", "prd", "nonprd", "contiguous", "major")), file=out)
    print("cells (onset rate, dyad-years): " + "; ".join(
        "%s %s (%d)" % (k[5:], fmt_pct(t[k]), t["n_" + k]) for k in sorted(t) if k.startswith("cell_")), file=out)


# ---------------------------------------------------------------------------------------------
# (b) the same quantities from a comity output


def world_start(w):
    """The first simulated year of a loaded world (`start` may be a year or a date)."""
    return int(str(w["scenario"]["scenario"]["start"])[:4])


def load_world(path):
    with open(path, "rb") as f:
        sc = tomllib.load(f)
    base = os.path.dirname(os.path.abspath(path))
    states = {}
    if "states_csv" in sc["scenario"]:
        with open(os.path.join(base, sc["scenario"]["states_csv"]), newline="") as f:
            for r in csv.DictReader(f):
                states[r["id"]] = dict(id=r["id"], ccode=int(float(r["ccode"])) if r.get("ccode") else None,
                                       major=r.get("major", "").strip().lower() == "true")
    for s in sc.get("state", []):
        states[s["id"]] = dict(id=s["id"], ccode=s.get("ccode"), major=bool(s.get("major", False)))
    cont = {}
    dflt = bool(sc.get("defaults", {}).get("contiguous", False))
    if "dyads_csv" in sc["scenario"]:
        with open(os.path.join(base, sc["scenario"]["dyads_csv"]), newline="") as f:
            for r in csv.DictReader(f):
                v = r.get("contiguous", "").strip().lower()
                cont[frozenset((r["state_a"], r["state_b"]))] = (v == "true") if v else dflt
    for dy in sc.get("dyad", []):
        cont[frozenset(dy["states"])] = bool(dy.get("contiguous", dflt))
    cats = {}
    for a, b in _pairs(states):
        c = cont.get(frozenset((a, b)), dflt)
        m = states[a]["major"] or states[b]["major"]
        cats[frozenset((a, b))] = [k for k, f in (("all", True), ("prd", c or m), ("nonprd", not (c or m)),
                                                  ("contiguous", c), ("major", m)) if f] + [
            "cell_%s_%s" % ("cont" if c else "noncont", "major" if m else "minor")]
    comms = {c["id"]: set(c["members"]) for c in sc.get("community", [])}
    return dict(states=states, cats=cats, communities=comms, scenario=sc)


def measure(outdir, scenario=None):
    """Per lens: onset rates (dispute dyads and with joiner dyads), hostility shares, diagnostics."""
    with open(os.path.join(outdir, "manifest.json")) as f:
        man = json.load(f)
    if scenario is None:
        candidates = [man["scenario"].get("absolute_path"), man["scenario"].get("path")]
        scenario = next((c for c in candidates if c and os.path.exists(c)), DEFAULT_WORLD)
    w = load_world(scenario)
    runs, ticks = man["runs"], man["scenario"]["ticks"]
    if man["scenario"]["step"] != "year":
        raise SystemExit("calibrate.py measures yearly scenarios only")
    lenses = man["lenses"]
    years_runs = runs * ticks
    n = collections.Counter()
    for cats in w["cats"].values():
        for c in cats:
            n[c] += years_runs
    nato = w["communities"].get("nato", set())
    n["nato"] = len(nato) * (len(nato) - 1) // 2 * years_runs
    start = int(man["scenario"]["start"])
    years = range(start, start + ticks)
    groups = {}
    for g, (codes, first, last) in GROUPS.items():
        ids = {s["id"] for s in w["states"].values() if s["ccode"] in codes}
        groups[g] = (ids, max(first, start), last)
        k = len(ids) * (len(ids) - 1) // 2
        n["group_" + g] = k * runs * sum(1 for y in years if first <= y <= last)
    for lo, hi in DECADES:
        ny = sum(1 for y in years if lo <= y <= hi)
        for cat in ("all", "prd"):
            n["%s_%ds" % (cat, lo)] = ny * runs * sum(cat in c for c in w["cats"].values())
    onsets = {ln: set() for ln in lenses}   # (run, year, dyad) of initiator-target pairs
    jonsets = {ln: set() for ln in lenses}  # the same plus (initiator, joiner) pairs
    host = {ln: collections.Counter() for ln in lenses}
    extra = {ln: collections.Counter() for ln in lenses}
    # zones of peace (issue 9): runs with a war / a use of force inside each group, NATO pair counts
    group_war_runs = {ln: {g: set() for g in groups} for ln in lenses}
    group_force_runs = {ln: {g: set() for g in groups} for ln in lenses}
    nato_pairs = {ln: collections.Counter() for ln in lenses}
    code_of = {sid: s["ccode"] for sid, s in w["states"].items()}
    with open(os.path.join(outdir, "disputes.csv"), newline="") as f:
        for r in csv.DictReader(f):
            ln = r["lens"]
            a, b = r["state_a"], r["state_b"]
            key = (int(r["run"]), int(r["year"]))
            onsets[ln].add(key + (frozenset((a, b)),))
            jonsets[ln].add(key + (frozenset((a, b)),))
            js = [j for j in r["joiners"].split(";") if j]
            for j in js:
                jonsets[ln].add(key + (frozenset((a, j)),))
            host[ln][int(r["hostlev"])] += 1
            for g, (ids, first, last) in groups.items():
                if a in ids and b in ids and first <= key[1] <= last:
                    if int(r["hostlev"]) >= 5:
                        group_war_runs[ln][g].add(key[0])
                    if int(r["hostlev"]) >= 4:
                        group_force_runs[ln][g].add(key[0])
            if a in nato and b in nato:
                nato_pairs[ln][frozenset((a, b))] += 1
            e = extra[ln]
            e["entry_%s" % r["entry_level"]] += 1
            e["reciprocated"] += int(r["recip"] if "recip" in r else r["reciprocated"])
            e["joined"] += len(js)
            e["with_joiners"] += bool(js)
            e["scripted"] += int(r["scripted"])
            e["outcome_" + r["outcome"]] += 1

    def rates(ons, prefix, r):
        o = collections.Counter()
        for run, year, pair in ons:
            dec = "_%ds" % (year // 10 * 10)
            for c in w["cats"][pair]:
                o[c] += 1
                if c in ("all", "prd"):
                    o[c + dec] += 1
            if pair <= nato:
                o["nato"] += 1
            for g, (ids, first, last) in groups.items():
                if pair <= ids and first <= year <= last:
                    o["group_" + g] += 1
        for cat in n:
            r[prefix + cat] = o[cat] / n[cat] if n[cat] else float("nan")
            r["onsets_" + prefix + cat] = o[cat]
            r["n_" + cat] = n[cat]

    res = {}
    for ln in lenses:
        r = {}
        rates(onsets[ln], "rate_", r)
        rates(jonsets[ln], "jrate_", r)
        tot = sum(host[ln].values())
        nan = float("nan")
        for lv in (2, 3, 4, 5):
            r["host_%d" % lv] = host[ln][lv] / tot if tot else nan
        e = extra[ln]
        r["disputes"] = tot
        r["runs"] = runs
        for lv in (2, 3, 4):
            r["entry_%d" % lv] = e["entry_%d" % lv] / tot if tot else nan
        r["reciprocated"] = e["reciprocated"] / tot if tot else nan
        r["joiners_per_dispute"] = e["joined"] / tot if tot else nan
        r["share_with_joiners"] = e["with_joiners"] / tot if tot else nan
        below = tot - host[ln][5]
        r["stalemate_below_war"] = e["outcome_stalemate"] / below if below else nan
        r["scripted"] = e["scripted"]
        r["prd_share"] = n["prd"] / n["all"]
        for g in groups:
            r["group_nowar_runs_" + g] = 1 - len(group_war_runs[ln][g]) / runs
            r["group_noforce_runs_" + g] = 1 - len(group_force_runs[ln][g]) / runs
        npairs = nato_pairs[ln]
        total_nato = sum(npairs.values())
        gt = frozenset(sid for sid, c in code_of.items() if c in (350, 640))
        r["nato_grc_tur_share"] = npairs[gt] / total_nato if total_nato and len(gt) == 2 else nan
        r["nato_top_pairs"] = ["%s-%s %d" % (*sorted(pr), k) for pr, k in npairs.most_common(5)]
        res[ln] = r
    # NATO cohesion (mean trust among members) in the first and the last year, from timeseries.csv
    ts = os.path.join(outdir, "timeseries.csv")
    if os.path.exists(ts) and nato:
        first_year, last_year = str(start), str(start + ticks - 1)
        with open(ts, newline="") as f:
            for row in csv.DictReader(f):
                if row["community"] == "nato" and row["metric"] in ("cohesion", "identity") \
                        and row["year"] in (first_year, last_year) and row["lens"] in res:
                    which = "first" if row["year"] == first_year else "last"
                    res[row["lens"]]["nato_%s_%s" % (row["metric"], which)] = float(row["mean"])
    return res, dict(scenario=scenario, runs=runs, ticks=ticks, lenses=lenses,
                     wall_seconds=man.get("wall_seconds"), dyads=len(w["cats"]), states=len(w["states"]))


def rel(sim, tgt):
    return (sim - tgt) / tgt if tgt else float("nan")


def score(r, t, keys=CALIBRATED):
    """Largest relative error over the calibrated quantities (the +/-25% criterion)."""
    return max(abs(rel(r[k], t[k])) for k in keys)


def print_table(res, info, t, out=sys.stdout):
    """Primary table (brief targets vs simulated dispute dyads), then the like-for-like variants."""
    print("Simulated vs target: %s, %d runs x %d years x %d dyads per lens" % (
        info["scenario"], info["runs"], info["ticks"], info["dyads"]), file=out)
    any_r = next(iter(res.values()))
    adj = any_r["prd_share"] * t["rate_prd"] + (1 - any_r["prd_share"]) * t["rate_nonprd"]
    rows = [(LABEL[k], t[k], k, True, 1 if k in HOST else 3) for k in RATES + HOST]
    rows += [(LABEL["rate_nato"] + " (brief)", t["rate_nato"], "rate_nato", False, 3),
             (LABEL["rate_nato_world"], t["rate_nato_world"], "rate_nato", False, 3),
             (LABEL["rate_all_adjusted"], adj, "rate_all", False, 3)]
    rows += [(None,) * 5]
    rows += [("originator dyads: " + c, t["orig_rate_" + c], "rate_" + c, False, 3)
             for c in ("all", "prd", "nonprd", "contiguous", "major")]
    rows += [("naive dyads vs sim. with joiners: " + c, t["rate_" + c], "jrate_" + c, False, 3)
             for c in ("all", "prd", "nonprd", "contiguous", "major")]
    head = "%-44s %8s" % ("quantity", "target")
    for ln in res:
        head += " | %-14s %6s" % (ln[:14], "error")
    print(head, file=out)
    print("-" * len(head), file=out)
    for label, tgt, key, calibrated, dig in rows:
        if label is None:
            print("like-for-like variants (not calibrated on):", file=out)
            continue
        line = "%-44s %8s" % (label, fmt_pct(tgt, dig))
        for ln, r in res.items():
            e = rel(r[key], tgt)
            mark = "*" if calibrated and abs(e) > TOLERANCE else " "
            line += " | %-14s %+5.0f%%%s" % (fmt_pct(r[key], dig), 100 * e, mark)
        print(line, file=out)
    print("(* outside +/-%d%%. Onsets are (run, year, dyad) triples of the sim's initiator-target pairs; "
          "NATO is the world's `nato` community, fixed; the world's PRD share is %.1f%%, the "
          "data's %.1f%%)" % (100 * TOLERANCE, 100 * any_r["prd_share"], 100 * t["n_prd"] / t["n_all"]), file=out)
    ref = info.get("same_world")
    print("by decade (onset rate, all / PRD dyads)%s:" % (
        "; data: the real rates among the world's states" if ref else ""), file=out)
    for lo, hi in DECADES:
        if all(math.isnan(r.get("rate_all_%ds" % lo, math.nan)) for r in res.values()):
            continue  # before the world's start
        line = "  %d-%d" % (lo, hi)
        if ref:
            line += "  data %s / %s" % (fmt_pct(ref.get("rate_all_%ds" % lo)), fmt_pct(ref.get("rate_prd_%ds" % lo)))
        for ln, r in res.items():
            line += " | %s %s / %s" % (ln[:14], fmt_pct(r.get("rate_all_%ds" % lo)), fmt_pct(r.get("rate_prd_%ds" % lo)))
        print(line, file=out)
    for g in GROUPS:
        line = "%s dyads (data %d MIDs):" % (g, t["group_onsets_" + g])
        for ln, r in res.items():
            line += " | %s %d onsets, %s, no war in %.1f%% of runs" % (
                ln[:14], r["onsets_rate_group_" + g], fmt_pct(r["rate_group_" + g]),
                100 * r["group_nowar_runs_" + g])
        print(line, file=out)
    line = "NATO: Greece-Turkey share of NATO-pair onsets (data 11 of 23):"
    for ln, r in res.items():
        line += " | %s %.0f%%" % (ln[:14], 100 * r["nato_grc_tur_share"])
    print(line, file=out)
    line = "NATO: cohesion (mean trust) first -> last year:"
    for ln, r in res.items():
        if "nato_cohesion_first" in r:
            line += " | %s %.3f -> %.3f (%+.3f)" % (ln[:14], r["nato_cohesion_first"], r["nato_cohesion_last"],
                                                    r["nato_cohesion_last"] - r["nato_cohesion_first"])
    print(line, file=out)
    for ln, r in res.items():
        print("NATO pairs with most onsets, %s: %s" % (ln, ", ".join(r["nato_top_pairs"])), file=out)
    for ln, r in res.items():
        print("%-18s max |error| %3.0f%% (calibrated rows), %3.0f%% (without the raw all-dyads rate); %d disputes; entry 2/3/4 %s/%s/%s; reciprocated %s; "
              "joiners per dispute %.2f (%s of disputes); stalemate %s of non-war" % (
                  ln, 100 * score(r, t), 100 * score(r, t, [k for k in CALIBRATED if k != "rate_all"]), r["disputes"], fmt_pct(r["entry_2"], 1), fmt_pct(r["entry_3"], 1),
                  fmt_pct(r["entry_4"], 1), fmt_pct(r["reciprocated"], 1), r["joiners_per_dispute"],
                  fmt_pct(r["share_with_joiners"], 1), fmt_pct(r["stalemate_below_war"], 1)), file=out)


# ---------------------------------------------------------------------------------------------
# running comity on a scratch copy of the world


def scratch_scenario(world, lenses_file, tmpdir):
    """Copy the world (scenario.toml + its CSVs) to tmpdir and append the [lens.NAME] tables."""
    src = os.path.dirname(os.path.abspath(world))
    for name in os.listdir(src):
        if name.endswith((".toml", ".csv")):
            shutil.copy(os.path.join(src, name), tmpdir)
    dst = os.path.join(tmpdir, os.path.basename(world))
    if lenses_file:
        with open(lenses_file) as f:
            extra = f.read()
        with open(dst, "a") as f:
            f.write("\n# --- calibration lenses from %s ---\n" % lenses_file)
            f.write(extra)
    return dst


def run_comity(comity, scenario, lens, runs, out, seed=None):
    cmd = [comity, "run", scenario, "--lens", lens, "--runs", str(runs), "--disputes", "--quiet",
           "--out", out, "--force"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    t0 = time.time()
    for attempt in range(5):  # the binary may be rebuilt under us: retry if it is missing
        if os.path.exists(comity):
            break
        time.sleep(2)
    subprocess.run(cmd, check=True)
    return time.time() - t0


# ---------------------------------------------------------------------------------------------
# fit: the iterative search of docs/calibration.md section 4


PARAMS_RS = os.path.join(REPO, "src", "params.rs")
# the data's onset rate of each contiguity x major cell (compute_targets' `cell_*` keys), in the
# order of the update rule: (non-contiguous, minor), (contiguous, minor), (non-contiguous, major), (contiguous, major)
CELLS = ["cell_noncont_minor", "cell_cont_minor", "cell_noncont_major", "cell_cont_major"]
ONSET_LEVERS = ["onset_base", "onset_contiguous", "onset_major", "onset_contiguous_major"]
HOST_LEVERS = ["entry_threat", "escalate_from_display", "escalate_from_force"]
NATO_TARGET = "rate_nato_world"  # the like-for-like target of the world's fixed `nato` community
FIT_MARK = "# calibrate.py fit"     # header lines that fit writes (and replaces on the next write)
_NUM = r"-?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"


def logit(p):
    return math.log(p / (1 - p))


def _share(k, n):
    """k / n kept off 0 and 1 (half a count), so that its logit is finite; None when n is 0."""
    if not n:
        return None
    return min(max(k, 0.5), n - 0.5) / n


def parse_params_rs(path=PARAMS_RS):
    """From src/params.rs: {name: (default, min, max)} of the params! table, and the built-in
    lenses' own values {lens: {name: value}} of `pub fn lens` (numeric literals only)."""
    specs, lenses = {}, {}
    if not os.path.exists(path):
        return specs, lenses
    with open(path) as f:
        src = f.read()
    spec_re = re.compile(r"^\s+(\w+):\s*(%s),\s*\[\s*(%s),\s*(%s)\s*\]\s*," % (_NUM, _NUM, _NUM), re.M)
    for m in spec_re.finditer(src):
        specs[m.group(1)] = tuple(float(m.group(i).replace("_", "")) for i in (2, 3, 4))
    i = src.find("pub fn lens(")
    if i >= 0:
        body = src[i:src.find("\n}\n", i)]
        arm_re = re.compile(r'^\s*((?:"\w+"\s*\|?\s*)+)=>')
        set_re = re.compile(r"^\s*p\.(\w+)\s*=\s*(%s)\s*;" % _NUM)
        names = []
        for line in body.splitlines():
            m = arm_re.match(line)
            if m:
                names = re.findall(r'"(\w+)"', m.group(1))
                for n in names:
                    lenses.setdefault(n, {})
                continue
            m = set_re.match(line)
            if m:
                for n in names:
                    lenses[n][m.group(1)] = float(m.group(2).replace("_", ""))
    return specs, lenses


def read_lenses_file(path):
    """The [lens.NAME] tables of a lenses file: (header comment lines, {lens: {key: value}},
    {(lens, key): trailing comment})."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    other = [k for k in doc if k != "lens"]
    if other:
        raise SystemExit("fit rewrites files of [lens.NAME] tables only; %s also has: %s" % (path, ", ".join(other)))
    tables = {name: dict(tab) for name, tab in doc.get("lens", {}).items()}
    header, comments, lens, in_header = [], {}, None, True
    with open(path) as f:
        for line in f:
            s = line.rstrip("\n")
            if in_header and (s.startswith("#") or not s.strip()):
                header.append(s)
                continue
            in_header = False
            m = re.match(r"\s*\[\s*lens\s*\.\s*(\w+)\s*\]", s)
            if m:
                lens = m.group(1)
                continue
            m = re.match(r"\s*(\w+)\s*=\s*[^#]*?\s*(#.*)$", s)
            if m and lens and '"' not in s and "'" not in s:
                comments[(lens, m.group(1))] = m.group(2)
    while header and not header[-1].strip():
        header.pop()
    header = [h for h in header if not h.startswith(FIT_MARK)]
    return header, tables, comments


def fmt_value(name, v):
    """A TOML literal; floats rounded to 3 decimals (4 significant figures below 1 in size)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    v = float("%.4g" % v) if 0 < abs(v) < 1 else round(v, 3)
    return repr(v + 0.0)  # a float literal (`4.0`, `0.03612`, `1e-05`); + 0.0 turns -0.0 into 0.0


def render_lenses(header, tables, comments):
    out = list(header) + [""]
    for name, tab in tables.items():
        out.append("[lens.%s]" % name)
        for key, v in tab.items():
            line = "%s = %s" % (key, fmt_value(key, v))
            c = comments.get((name, key))
            out.append(line.ljust(30) + "  " + c if c else line)
        out.append("")
    return "\n".join(out)


def inject_lenses(scenario, names):
    """Set the scenario's `lens` list (in its [scenario] table) to names, in place."""
    with open(scenario) as f:
        lines = f.read().split("\n")
    k = next((i for i, l in enumerate(lines) if l.strip() == "[scenario]"), None)
    if k is None:
        raise SystemExit("%s has no [scenario] table" % scenario)
    j = next((i for i in range(k + 1, len(lines)) if lines[i].strip().startswith("[")), len(lines))
    body = [l for l in lines[k + 1:j] if not re.match(r"\s*lens\s*=", l)]
    with open(scenario, "w") as f:
        f.write("\n".join(lines[:k + 1] + ["lens = %s" % json.dumps(list(names))] + body + lines[j:]))


def resolved_values(comity, scenario, names, tables, specs, builtin):
    """Every parameter of each lens as comity resolves it: `comity validate --parameters` on the
    scratch scenario with its `lens` set to names; else src/params.rs (defaults, `fn lens`), the
    scenario's [parameters] and the lens table. Returns ({lens: {param: value}}, source)."""
    inject_lenses(scenario, names)
    try:
        p = subprocess.run([comity, "validate", scenario, "--parameters"], capture_output=True, text=True)
        vals, cur = {}, None
        for line in p.stdout.splitlines():
            m = re.match(r"parameters under lens (\w+):", line)
            if m:
                cur = vals.setdefault(m.group(1), {})
                continue
            m = re.match(r"  (\w+)\s+(\S+)(\s|$)", line)
            if cur is not None and m:
                try:
                    cur[m.group(1)] = float(m.group(2))
                except ValueError:
                    pass
        if p.returncode == 0 and all(n in vals for n in names):
            return vals, "%s validate --parameters" % os.path.basename(comity)
        why = (p.stderr.strip().splitlines() or ["no per-lens parameters"])[-1]
    except OSError as e:
        why = str(e)
    with open(scenario, "rb") as f:
        scen_over = tomllib.load(f).get("parameters", {})
    vals = {}
    for n in names:
        base = tables[n].get("base", "constructivist")
        v = {k: d for k, (d, lo, hi) in specs.items()}
        v.update(builtin.get(base, {}))
        v.update({k: float(x) for k, x in scen_over.items() if isinstance(x, (int, float))})
        v.update({k: float(x) for k, x in tables[n].items() if k != "base"})
        vals[n] = v
    return vals, "src/params.rs (validate: %s)" % why


def fit_errors(r, t, nato_param):
    """Relative errors of what the levers aim at: the four cells, the hostility shares, NATO."""
    e = {c: rel(r["rate_" + c], t[c]) for c in CELLS}
    e.update({k: rel(r[k], t[k]) for k in HOST})
    if nato_param:
        e["nato"] = rel(r["rate_nato"], t[NATO_TARGET])
    return e


def fit_score(r, t, nato_param, keys):
    s = score(r, t, keys)
    if nato_param:
        s = max(s, abs(rel(r["rate_nato"], t[NATO_TARGET])))
    return s


# onset terms a lens reads as pacifying: a NATO lever among them is kept at or below 0, so that the
# fit never buys the NATO rate with alliances, identity or institutions that raise the risk
PACIFYING = {"onset_alliance", "onset_identity", "onset_institutions", "onset_democracy", "onset_trade",
             "onset_igo_density"}


def fit_update(cur, r, t, damping, levers, nato_param, specs, nato_scale=1.0):
    """The update rules of docs/calibration.md section 4; cur: the lens's current values of its
    levers (changed in place, clamped into the ranges of src/params.rs). Returns {lever: (old, new)}."""
    new = {}
    d = {}
    for c in CELLS:
        p = _share(r["onsets_rate_" + c], r["n_" + c])
        d[c] = damping * (logit(t[c]) - logit(p)) if p else 0.0
    nc_mi, c_mi, nc_ma, c_ma = (d[c] for c in CELLS)
    new["onset_base"] = cur["onset_base"] + nc_mi
    new["onset_contiguous"] = cur["onset_contiguous"] + c_mi - nc_mi
    new["onset_major"] = cur["onset_major"] + nc_ma - nc_mi
    new["onset_contiguous_major"] = cur["onset_contiguous_major"] + c_ma - c_mi - nc_ma + nc_mi
    tot = r["disputes"]
    sh = {lv: _share(round(r["host_%d" % lv] * tot), tot) if tot else None for lv in (2, 3, 5)}
    if tot:
        new["entry_threat"] = cur["entry_threat"] * (t["host_2"] / sh[2]) ** damping
        new["escalate_from_display"] = cur["escalate_from_display"] - damping * (logit(t["host_3"]) - logit(sh[3]))
        new["escalate_from_force"] = cur["escalate_from_force"] + damping * (logit(t["host_5"]) - logit(sh[5]))
    if nato_param:
        # onset_alliance enters the onset logit as `+ onset_alliance * allied` and onset_identity as
        # `+ onset_identity * mean_identity` (mean_identity >= 0): += moves the NATO rate toward its target
        p = _share(r["onsets_rate_nato"], r["n_nato"])
        if p:
            new[nato_param] = cur[nato_param] + nato_scale * damping * (logit(t[NATO_TARGET]) - logit(p))
    changes = {}
    for k, v in new.items():
        if k not in levers:
            continue
        if k in specs:
            v = min(max(v, specs[k][1]), specs[k][2])
        if k in PACIFYING:
            v = min(v, 0.0)  # a pacifying term keeps its sign: at most 0
        changes[k] = (cur[k], v)
        cur[k] = v
    return changes


def cmd_fit(a, t):
    names = [n for n in a.lens.split(",") if n]
    if a.iterations < 1 or not names:
        raise SystemExit("fit needs --iterations >= 1 and at least one lens")
    specs, builtin = parse_params_rs()
    if not specs:
        print("warning: %s not found or unreadable: values are not clamped" % PARAMS_RS, file=sys.stderr)
    header, tables, comments = read_lenses_file(a.lenses_file)
    missing = [n for n in names if n not in tables]
    if missing:
        raise SystemExit("%s has no [lens.%s] table: fit updates the lenses of the file (add e.g. "
                         "`[lens.%s]` with `base = \"realist\"`)" % (a.lenses_file, missing[0], missing[0]))
    nato, nato_scale = {}, {}
    for item in filter(None, (a.nato or "").split(",")):
        ln, _, param = item.partition("=")
        param, _, scale = param.partition(":")
        if ln not in names or not param:
            raise SystemExit("--nato takes LENS=PARAM[:SCALE] with LENS among --lens, got %r" % item)
        nato[ln] = param
        try:
            nato_scale[ln] = float(scale) if scale else 1.0
        except ValueError:
            raise SystemExit("--nato: SCALE of %r is not a number" % item)
    fixed = set(filter(None, (a.fix or "").split(",")))
    for p in list(fixed) + list(nato.values()):
        if specs and p not in specs:
            raise SystemExit("unknown parameter %r (src/params.rs)" % p)
    score_keys = [k for k in CALIBRATED if k not in set(filter(None, (a.score_exclude or "").split(",")))]
    write = a.write or a.lenses_file
    if not header:
        header = ["# Calibrated lenses for comity ([lens.NAME] tables to append to a copy of a scenario),",
                  "# fitted on %s against the COW MID 5.0 targets (docs/calibration.md)." % os.path.relpath(a.world, REPO)]
    command = "python3 " + " ".join(shlex.quote(x) for x in [os.path.relpath(os.path.abspath(__file__), REPO)] + sys.argv[1:])
    levers = {n: [p for p in ONSET_LEVERS + HOST_LEVERS + ([nato[n]] if n in nato else []) if p not in fixed]
              for n in names}
    print("fit: %s; lenses %s; %d runs; damping %.2f; levers %s%s; stop when every score < %.0f%%; writes %s" % (
        os.path.relpath(a.world), ", ".join(names), a.runs, a.damping,
        ", ".join(p for p in ONSET_LEVERS + HOST_LEVERS if p not in fixed),
        "".join("; %s also %s (NATO target %s)" % (n, nato[n], fmt_pct(t[NATO_TARGET])) for n in nato if nato[n] not in fixed),
        100 * a.tolerance, write))
    tmp = tempfile.mkdtemp(prefix="comity-fit-")
    try:
        lf = os.path.join(tmp, "lenses.toml")
        wdir = os.path.join(tmp, "world")
        os.mkdir(wdir)
        with open(lf, "w") as f:
            f.write(render_lenses(header, tables, comments))
        scen = scratch_scenario(a.world, lf, wdir)
        vals, source = resolved_values(a.comity, scen, names, tables, specs, builtin)
        print("levers missing from a lens table start from the lens's value (%s)" % source)
        # the current value of every lever (fixed ones too: the update formulas read them)
        cur = {n: {p: float(tables[n][p]) if p in tables[n] else vals[n][p]
                   for p in ONSET_LEVERS + HOST_LEVERS + ([nato[n]] if n in nato else [])} for n in names}
        res = info = None
        history = []
        for it in range(1, a.iterations + 1):
            with open(lf, "w") as f:
                f.write(render_lenses(header, tables, comments))
            scen = scratch_scenario(a.world, lf, wdir)
            elapsed = run_comity(a.comity, scen, ",".join(names), a.runs, a.out, a.seed)
            res, info = measure(a.out, scen)
            scores = {}
            for n in names:
                r = res[n]
                scores[n] = fit_score(r, t, nato.get(n), score_keys)
                fe = fit_errors(r, t, nato.get(n))
                print("it %d %-18s score %4.0f%% | %s | host %s | cells %s%s | fit gap %3.0f%%" % (
                    it, n, 100 * scores[n],
                    " ".join("%s %+.0f" % (k[5:].replace("contiguous", "cont"), 100 * rel(r[k], t[k])) for k in RATES),
                    "/".join("%+.0f" % (100 * rel(r[k], t[k])) for k in HOST),
                    "/".join("%+.0f" % (100 * fe[c]) for c in CELLS),
                    " | nato %+.0f" % (100 * fe["nato"]) if "nato" in fe else "",
                    100 * max(abs(v) for v in fe.values())))
            print("   (%.1f s; errors in %%: rates all prd nonprd cont major; host threat/display/force/war; "
                  "cells nc-minor/c-minor/nc-major/c-major)" % elapsed if it == 1 else "   (%.1f s)" % elapsed)
            done = all(s < a.tolerance for s in scores.values())
            history.append(dict(iteration=it, seconds=elapsed, scores=scores, run={n: dict(tables[n]) for n in names},
                                errors={n: fit_errors(res[n], t, nato.get(n)) for n in names}))
            if not done:
                for n in names:
                    ch = fit_update(cur[n], res[n], t, a.damping, levers[n], nato.get(n), specs, nato_scale.get(n, 1.0))
                    for p, (old, v) in ch.items():
                        tables[n][p] = float(fmt_value(p, v))
                    print("   %-18s %s" % (n, " ".join("%s %s" % (p, fmt_value(p, v)) for p, (old, v) in ch.items())))
            stamp = "%s, %s: iteration %d of %d%s; scores %s" % (
                FIT_MARK, time.strftime("%Y-%m-%d"), it, a.iterations,
                " (converged, tables as run)" if done else " (tables updated after the run)",
                ", ".join("%s %.0f%%" % (n, 100 * s) for n, s in scores.items()))
            with open(write, "w") as f:
                f.write(render_lenses(header + [stamp, "%s command: %s" % (FIT_MARK, command)], tables, comments))
            if done:
                print("every score is under %.0f%%: stopping after iteration %d" % (100 * a.tolerance, it))
                break
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    info["scenario"] = "%s + the lens tables of iteration %d (from %s)" % (os.path.relpath(a.world), it, a.lenses_file)
    info["same_world"] = same_world_reference(a.data, a.world)
    print_table(res, info, t)
    print("wrote %s%s" % (write, "" if done else "; its tables are the update after the last run (not yet run: "
                          "check them with `calibrate.py run --lenses-file %s`)" % write))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(info=info, targets=t, lenses=res, history=history, written={n: tables[n] for n in names}),
                      f, indent=1, sort_keys=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_t = sub.add_parser("targets", help="compute the 1946-1989 targets from the data")
    p_t.add_argument("--data", default=DEFAULT_DATA)
    p_t.add_argument("--world", default=DEFAULT_WORLD, help="also give the real rates among this world's states")
    p_t.add_argument("--json")
    for name, hlp in (("measure", "measure a comity output folder (made with --disputes) against the targets"),
                      ("run", "run comity on a scratch copy of the world, then measure"),
                      ("fit", "search the onset, hostility (and NATO) levers of a lenses file (docs/calibration.md 4)")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("--data", default=DEFAULT_DATA, help="the IR data folder (default: %(default)s)")
        p.add_argument("--json", help="also write every figure to this JSON file")
        if name == "measure":
            p.add_argument("outdir", help="comity output folder with manifest.json and disputes.csv")
            p.add_argument("--scenario", help="the scenario that was run (default: from manifest.json)")
        else:
            p.add_argument("--comity", default=DEFAULT_COMITY, help="the comity binary (default: %(default)s)")
            p.add_argument("--world", default=DEFAULT_WORLD, help="the scenario to copy (default: %(default)s)")
            p.add_argument("--lenses-file", required=name == "fit",
                           help="TOML with [lens.NAME] tables appended to the scratch copy")
            p.add_argument("--lens", default="realist_cal,liberal_cal,constructivist_cal" if name == "fit" else
                           "realist,liberal,constructivist", help="lenses to run (default: %(default)s)")
            p.add_argument("--runs", type=int, default=100, help="runs per lens (default: %(default)s)")
            p.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
            p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "comity-calibration"),
                           help="comity output folder; comity's files there are replaced (default: %(default)s)")
        if name == "fit":
            p.add_argument("--iterations", type=int, default=6, help="most run-and-update rounds (default: %(default)s)")
            p.add_argument("--write", help="write the updated tables here after every iteration "
                           "(default: overwrite --lenses-file)")
            p.add_argument("--damping", type=float, default=0.85, help="step factor of every update (default: %(default)s)")
            p.add_argument("--nato", help="LENS=PARAM,...: also fit PARAM of LENS (e.g. onset_alliance) on the "
                           "like-for-like NATO rate of the world")
            p.add_argument("--fix", help="PARAM,...: levers left out of the update")
            p.add_argument("--tolerance", type=float, default=0.05,
                           help="stop when every lens's score is below this (default: %(default)s)")
            p.add_argument("--score-exclude", help="KEY,...: calibrated rows left out of the score (e.g. rate_all)")
    a = ap.parse_args(argv)
    if a.cmd == "targets":
        t = compute_targets(a.data, a.world)
        print_targets(t)
        if a.world:
            ref = same_world_reference(a.data, a.world)
            print("Reference: real onset rates %d-%d among the states of %s (its fixed categories):" % (
                world_start(load_world(a.world)), LAST, os.path.relpath(a.world)))
            print("  " + "; ".join("%s %s" % (k[5:], fmt_pct(v)) for k, v in sorted(ref.items()) if "0s" not in k))
            print("  by decade: " + "; ".join("%s %s" % (k[5:], fmt_pct(v)) for k, v in sorted(ref.items()) if "0s" in k))
            t["same_world"] = ref
        if a.json:
            with open(a.json, "w") as f:
                json.dump(t, f, indent=1, sort_keys=True)
        return 0
    if a.cmd == "fit":
        t = compute_targets(a.data, a.world)
        return cmd_fit(a, t)
    elapsed = None
    if a.cmd == "run":
        tmp = tempfile.mkdtemp(prefix="comity-cal-")
        try:
            scen = scratch_scenario(a.world, a.lenses_file, tmp)
            elapsed = run_comity(a.comity, scen, a.lens, a.runs, a.out, a.seed)
            res, info = measure(a.out, scen)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        info["scenario"] = os.path.relpath(a.world) + (" + " + os.path.relpath(a.lenses_file) if a.lenses_file else "")
        info["elapsed_seconds"] = elapsed
        info["same_world"] = same_world_reference(a.data, a.world)
        t = compute_targets(a.data, a.world)
    else:
        res, info = measure(a.outdir, a.scenario)
        info["same_world"] = same_world_reference(a.data, info["scenario"])
        t = compute_targets(a.data, info["scenario"])
    print_table(res, info, t)
    if elapsed is not None:
        print("comity run took %.1f s (manifest wall_seconds %s)" % (elapsed, info.get("wall_seconds")))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(info=info, targets=t, lenses=res), f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
