#!/usr/bin/env python3
"""Calibration of comity's dispute model to COW MID 5.0, 1946-1989 (brief section 6).

Usage (from the repository root; standard library only, Python >= 3.11):

    # (a) the targets, computed from the data, next to the brief's figures
    python3 scenarios/history/calibrate.py targets

    # (b) measure a comity output folder made with --disputes on the calibration world
    comity run scenarios/history/world_1950/scenario.toml --lens realist,liberal,constructivist \
        --runs 100 --disputes --quiet --out /tmp/cal --force
    python3 scenarios/history/calibrate.py measure /tmp/cal

    # (a)+(b) end to end: run comity on a scratch copy of the world with extra [lens.NAME] tables
    # (e.g. the calibrated overrides), then measure
    python3 scenarios/history/calibrate.py run --lenses-file scenarios/history/calibrated_lenses.toml \
        --lens realist_cal,liberal_cal,constructivist_cal --runs 100 --out /tmp/cal

Options of `measure` and `run`: `--json FILE` writes every figure as JSON; `--data DIR` (default:
<repo>/../shared/data/ir); `--scenario FILE` (`measure`; default: the scenario named in the output's
manifest.json, else scenarios/history/world_1950). `run` also takes `--comity BIN` (default:
target/release/comity), `--world FILE`, `--lens`, `--runs`, `--seed` and `--out` (default
/tmp/comity-calibration; comity's own files there are replaced).

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
  derived/nato_members_from_atop5.1.csv (and system members).
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
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "ir"))
DEFAULT_WORLD = os.path.join(HERE, "world_1950", "scenario.toml")
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
    "rate_nato_founders": "onset rate, NATO founders only (1950-89)",
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


def compute_targets(data):
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
    # NATO: all members (1949-1989) and the 12 founders only (1950-1989, as in the 1950 world)
    founders = d["nato"][NATO_FIRST]
    for key, first, sel in (("nato", NATO_FIRST, None), ("nato_founders", 1950, founders)):
        for y in range(first, LAST + 1):
            mem = d["members"][y] & d["nato"][y]
            if sel is not None:
                mem &= sel
            for a, b in _pairs(mem):
                n[key] += 1
                o[key] += (a, b, y) in d["onsets"]
    for g, (codes, first, last) in GROUPS.items():
        for y in range(first, last + 1):
            for a, b in _pairs(d["members"][y] & codes):
                n["group_" + g] += 1
                o["group_" + g] += (a, b, y) in d["onsets"]
    t = {}
    for g in GROUPS:
        t["group_onsets_" + g] = o["group_" + g]
        t["group_n_" + g] = n["group_" + g]
    for cat in ("all", "prd", "nonprd", "contiguous", "major", "nato", "nato_founders"):
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
    """Real onset rates 1950-1989 among the world's own states, with the world's fixed categories."""
    d = load_data(data)
    w = load_world(world)
    by_ccode = {s["ccode"]: s for s in w["states"].values()}
    n = collections.Counter()
    o = collections.Counter()
    for y in range(1950, LAST + 1):
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
    for k in RATES + ["rate_nato", "rate_nato_founders"]:
        cat = k[5:]
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
            e = extra[ln]
            e["entry_%s" % r["entry_level"]] += 1
            e["reciprocated"] += int(r["reciprocated"])
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
        res[ln] = r
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
             (LABEL["rate_nato_founders"], t["rate_nato_founders"], "rate_nato", False, 3),
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
          "NATO is the world's `nato` community (the 12 founders); the world's PRD share is %.1f%%, the "
          "data's %.1f%%)" % (100 * TOLERANCE, 100 * any_r["prd_share"], 100 * t["n_prd"] / t["n_all"]), file=out)
    ref = info.get("same_world")
    print("by decade (onset rate, all / PRD dyads)%s:" % (
        "; data: the real rates among the world's states" if ref else ""), file=out)
    for lo, hi in DECADES:
        line = "  %d-%d" % (lo, hi)
        if ref:
            line += "  data %s / %s" % (fmt_pct(ref.get("rate_all_%ds" % lo)), fmt_pct(ref.get("rate_prd_%ds" % lo)))
        for ln, r in res.items():
            line += " | %s %s / %s" % (ln[:14], fmt_pct(r.get("rate_all_%ds" % lo)), fmt_pct(r.get("rate_prd_%ds" % lo)))
        print(line, file=out)
    for g in GROUPS:
        line = "%s dyads (data %d MIDs):" % (g, t["group_onsets_" + g])
        for ln, r in res.items():
            line += " | %s %d onsets, %s" % (ln[:14], r["onsets_rate_group_" + g], fmt_pct(r["rate_group_" + g]))
        print(line, file=out)
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_t = sub.add_parser("targets", help="compute the 1946-1989 targets from the data")
    p_t.add_argument("--data", default=DEFAULT_DATA)
    p_t.add_argument("--world", default=DEFAULT_WORLD, help="also give the real rates among this world's states")
    p_t.add_argument("--json")
    for name, hlp in (("measure", "measure a comity output folder (made with --disputes) against the targets"),
                      ("run", "run comity on a scratch copy of the world, then measure")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("--data", default=DEFAULT_DATA, help="the IR data folder (default: %(default)s)")
        p.add_argument("--json", help="also write every figure to this JSON file")
        if name == "measure":
            p.add_argument("outdir", help="comity output folder with manifest.json and disputes.csv")
            p.add_argument("--scenario", help="the scenario that was run (default: from manifest.json)")
        else:
            p.add_argument("--comity", default=DEFAULT_COMITY, help="the comity binary (default: %(default)s)")
            p.add_argument("--world", default=DEFAULT_WORLD, help="the scenario to copy (default: %(default)s)")
            p.add_argument("--lenses-file", help="TOML with [lens.NAME] tables appended to the scratch copy")
            p.add_argument("--lens", default="realist,liberal,constructivist", help="lenses to run (default: %(default)s)")
            p.add_argument("--runs", type=int, default=100, help="runs per lens (default: %(default)s)")
            p.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
            p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "comity-calibration"),
                           help="comity output folder; comity's files there are replaced (default: %(default)s)")
    a = ap.parse_args(argv)
    if a.cmd == "targets":
        t = compute_targets(a.data)
        print_targets(t)
        if a.world:
            ref = same_world_reference(a.data, a.world)
            print("Reference: real onset rates 1950-1989 among the states of %s (its fixed categories):" % (
                os.path.relpath(a.world)))
            print("  " + "; ".join("%s %s" % (k[5:], fmt_pct(v)) for k, v in sorted(ref.items()) if "0s" not in k))
            print("  by decade: " + "; ".join("%s %s" % (k[5:], fmt_pct(v)) for k, v in sorted(ref.items()) if "0s" in k))
            t["same_world"] = ref
        if a.json:
            with open(a.json, "w") as f:
                json.dump(t, f, indent=1, sort_keys=True)
        return 0
    t = compute_targets(a.data)
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
    else:
        res, info = measure(a.outdir, a.scenario)
        info["same_world"] = same_world_reference(a.data, info["scenario"])
    print_table(res, info, t)
    if elapsed is not None:
        print("comity run took %.1f s (manifest wall_seconds %s)" % (elapsed, info.get("wall_seconds")))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(info=info, targets=t, lenses=res), f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
