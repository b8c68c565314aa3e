#!/usr/bin/env python3
"""Calibration of comity's dispute model to COW MID 5.0, 1946-1989 (brief section 6): the fitting loop.

Every measurement comes from `comity backtest --json` (docs/validation.md): the targets are its
observed rows over 1946-1989 (`--from 1946 --to 1989`), the simulated figures its rows for the
output. This script runs comity, reads those figures, and moves the levers.

Usage (from the repository root; standard library only, Python >= 3.11; build comity first with
`cargo build --release`):

    # (a) the targets, computed from the data by `comity backtest` (a one-run output is made to read them)
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

Options of every command: `--comity BIN` (default: target/release/comity), `--data DIR` (default:
<repo>/../shared/data/ir), `--from Y` and `--to Y` (the targets' years, default 1946-1989; the
simulated figures cover the simulated years up to `--to`: `fit --to 1974` fits on 1960-1974 only,
the pseudo out-of-sample test of docs/validation.md), `--json FILE` (every figure as JSON).
`measure` also takes `--scenario FILE` (default: the scenario named in the output's manifest.json);
`run` and `fit` take `--world FILE`, `--lens`, `--runs`, `--seed` and `--out` (default
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

Definitions (docs/calibration.md and docs/validation.md have the full account; `comity backtest`
computes every figure):

* Targets: onset rates of non-directed dyad-years of COW system members (a state counts in every
  year it is a member for any part of), 1946-1989, by category (all, PRD, non-PRD, contiguous,
  major, and the four contiguity x major cells); the highest hostility level of the disputes that
  began in those years; the like-for-like NATO target: the pairs of the world's `nato` community,
  from the world's start to 1989, both system members.
* Simulated: every pair of the scenario's states x simulated years x runs; categories fixed at the
  scenario's values; onsets are the unique (run, year, pair) of the (initiator, target) pair of
  each row of disputes.csv; hostility is per simulated dispute (one row).
"""

import argparse
import csv
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
    "rate_nato_world": "onset rate, the world's NATO members",
    "rate_all_adjusted": "onset rate, all, at the world's PRD share",
}
# backtest's names of the categories and levels -> this script's keys
CATEGORY_KEY = {"all": "rate_all", "prd": "rate_prd", "nonprd": "rate_nonprd", "contiguous": "rate_contiguous",
                "major": "rate_major", "noncontig_minor": "cell_noncont_minor", "contig_minor": "cell_cont_minor",
                "noncontig_major": "cell_noncont_major", "contig_major": "cell_cont_major"}
LEVEL_KEY = {"threat": "host_2", "display": "host_3", "use_of_force": "host_4", "war": "host_5"}
# pacified zones of brief section 6 (the brief says 0 MIDs; the data have 0 and 1): COW codes
GROUPS = {"EC-6": {210, 211, 212, 220, 260, 325}, "Nordic": {375, 380, 385, 390, 395}}

# the quantities calibrated to +/-25% (relative); NATO "as close as possible"
CALIBRATED = RATES + HOST
TOLERANCE = 0.25


def fmt_pct(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return ("%." + str(digits) + "f%%") % (100 * x)


def rel(sim, tgt):
    if sim is None or tgt is None or not tgt:
        return float("nan")
    return (sim - tgt) / tgt


def score(r, t, keys=CALIBRATED):
    """Largest relative error over the calibrated quantities (the +/-25% criterion)."""
    return max(abs(rel(r[k], t[k])) for k in keys)


# ---------------------------------------------------------------------------------------------
# every figure from `comity backtest --json`


def world_codes(scenario):
    """The COW codes of a scenario's states (its states.csv and [[state]] tables)."""
    with open(scenario, "rb") as f:
        sc = tomllib.load(f)
    codes = set()
    name = sc.get("scenario", {}).get("states_csv")
    if name:
        with open(os.path.join(os.path.dirname(os.path.abspath(scenario)), name), newline="") as f:
            for r in csv.DictReader(f):
                if r.get("ccode"):
                    codes.add(int(float(r["ccode"])))
    for s in sc.get("state", []):
        if "ccode" in s:
            codes.add(int(s["ccode"]))
    return codes


def backtest(a, outdir, scenario=None):
    """`comity backtest OUT --json` over the targets' years, with the EC-6 and Nordic groups."""
    cmd = [a.comity, "backtest", outdir, "--data", a.data, "--from", str(a.frm), "--to", str(a.to), "--json",
           "--csv", os.path.join(outdir, "backtest.csv"), "--force"]
    if scenario:
        cmd += ["--scenario", scenario]
        codes = world_codes(scenario)
        for g, members in GROUPS.items():
            present = sorted(members & codes)
            if len(present) >= 2:
                cmd += ["--group", "%s=%s" % (g, ",".join(map(str, present)))]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(shlex.quote(c) for c in cmd), p.stderr))
    return json.loads(p.stdout)


def figures(b):
    """From a backtest: the targets t, and per lens r, in this script's keys."""
    observed = "%d-%d" % tuple(b["observed_years"])
    compared = "%d-%d" % tuple(b["compared_years"])
    t, res, world_data, blocks, pairs = {}, {ln: {} for ln in b["lenses"]}, {}, {}, {}
    for row in b["rows"]:
        sec, src, cat, ln, per = row["section"], row["source"], row["category"], row["lens"], row["period"]
        if sec == "rate" and cat in CATEGORY_KEY:
            key = CATEGORY_KEY[cat]
            if per == observed and row["scope"] == "system" and src == "observed":
                t[key] = row["value"]
                t["onsets_" + key], t["n_" + key] = row["events"], row["exposure"]
            if per == compared and row["scope"] == "world" and src == "observed":
                world_data[key] = row["value"]
            if per == compared and row["scope"] == "world" and src == "simulated":
                k = key if key.startswith("rate_") else "rate_" + key
                res[ln][k] = row["value"]
                # the keys fit_update reads: onsets_rate_<category>, n_<category>
                res[ln]["onsets_" + k], res[ln]["n_" + k[5:]] = row["events"], row["exposure"]
            if per not in (observed, compared) and row["scope"] == "world" and cat in ("all", "prd"):
                blocks.setdefault(per, {})[(cat, src, ln)] = row["value"]
        elif sec == "hostility" and cat in LEVEL_KEY:
            key = LEVEL_KEY[cat]
            if src == "observed":
                t[key], t["disputes_" + key[-1]], t["disputes"] = row["value"], row["events"], row["exposure"]
            elif src == "simulated":
                res[ln][key] = row["value"]
                res[ln]["disputes"] = row["exposure"]
        elif sec == "group" and cat == "onset_rate":
            g = row["scope"]
            if src == "observed":
                t["rate_group_" + g], t["onsets_group_" + g], t["n_group_" + g] = row["value"], row["events"], row["exposure"]
            elif src == "simulated":
                res[ln]["rate_group_" + g] = row["value"]
                res[ln]["onsets_rate_group_" + g], res[ln]["n_group_" + g] = row["events"], row["exposure"]
        elif sec == "group" and src == "simulated" and cat == "runs_without_war":
            res[ln]["group_nowar_runs_" + row["scope"]] = row["value"]
        elif sec == "pair" and src == "simulated":
            pairs.setdefault((ln, row["scope"]), []).append((row["category"], row["events"]))
    if "rate_group_nato" in t:
        t["rate_nato_world"] = t["rate_group_nato"]
    for ln, r in res.items():
        if "rate_group_nato" in r:
            r["rate_nato"], r["onsets_rate_nato"], r["n_nato"] = (
                r["rate_group_nato"], r["onsets_rate_group_nato"], r["n_group_nato"])
        r["prd_share"] = r["n_prd"] / r["n_all"] if r.get("n_all") else float("nan")
        nato = sorted(pairs.get((ln, "nato"), []), key=lambda p: (-p[1], p[0]))
        total = r.get("onsets_rate_group_nato") or 0
        gt = [k for name, k in nato if set(name.split("-")) == {"GRC", "TUR"}]
        r["nato_grc_tur_share"] = gt[0] / total if gt and total else float("nan")
        r["nato_top_pairs"] = ["%s %d" % (name, k) for name, k in nato[:5] if k]
    info = dict(scenario=b["scenario"], runs=b["runs"], lenses=b["lenses"], observed=observed, compared=compared,
                world_data=world_data, blocks=blocks, notes=b["notes"])
    return res, info, t


def measure(a, outdir, scenario=None):
    """The figures of an output folder (its scenario from manifest.json unless given)."""
    if scenario is None:
        with open(os.path.join(outdir, "manifest.json")) as f:
            man = json.load(f)["scenario"]
        scenario = next((c for c in (man.get("path"), man.get("absolute_path")) if c and os.path.exists(c)), None)
        if scenario is None:
            raise SystemExit("the scenario of %s cannot be found from here: pass --scenario FILE" % outdir)
    return figures(backtest(a, outdir, scenario))


def print_targets(t, out=sys.stdout):
    print("Targets (comity backtest), COW MID 5.0, non-directed dyad-years of COW members, %d-%d" % (FIRST, LAST), file=out)
    print("%-42s %9s %9s  %s" % ("quantity", "computed", "brief", "counts"), file=out)
    for k in RATES + ["cell_noncont_minor", "cell_cont_minor", "cell_noncont_major", "cell_cont_major"]:
        print("%-42s %9s %9s  %d / %d" % (LABEL.get(k, "onset rate, " + k[5:]), fmt_pct(t[k]),
                                          fmt_pct(BRIEF[k]) if k in BRIEF else "-", t["onsets_" + k], t["n_" + k]), file=out)
    for k in HOST:
        print("%-42s %9s %9s  %d / %d disputes" % (LABEL[k], fmt_pct(t[k], 1), fmt_pct(BRIEF[k], 1),
                                                   t["disputes_" + k[-1]], t["disputes"]), file=out)
    if "rate_nato_world" in t:
        print("%-42s %9s %9s  %d / %d" % (LABEL["rate_nato_world"], fmt_pct(t["rate_nato_world"]), "-",
                                          t["onsets_group_nato"], t["n_group_nato"]), file=out)
    for g in GROUPS:
        if "n_group_" + g in t:
            print("%s dyads: %d onsets in %d dyad-years" % (g, t["onsets_group_" + g], t["n_group_" + g]), file=out)


def print_table(res, info, t, out=sys.stdout):
    """Calibrated rows (targets vs simulated dispute dyads), then NATO, the cells, blocks and zones."""
    print("Simulated vs target: %s, %d runs per lens; targets %s, simulated %s" % (
        info["scenario"], info["runs"], info["observed"], info["compared"]), file=out)
    any_r = next(iter(res.values()))
    adj = any_r["prd_share"] * t["rate_prd"] + (1 - any_r["prd_share"]) * t["rate_nonprd"]
    rows = [(LABEL[k], t[k], k, True, 1 if k in HOST else 3) for k in RATES + HOST]
    if "rate_nato_world" in t:
        rows += [(LABEL["rate_nato_world"], t["rate_nato_world"], "rate_nato", False, 3)]
    rows += [(LABEL["rate_all_adjusted"], adj, "rate_all", False, 3)]
    rows += [("cell: " + c[5:], t[c], "rate_" + c, False, 3) for c in CELLS]
    head = "%-44s %8s" % ("quantity", "target")
    for ln in res:
        head += " | %-14s %6s" % (ln[:14], "error")
    print(head, file=out)
    print("-" * len(head), file=out)
    for label, tgt, key, calibrated, dig in rows:
        line = "%-44s %8s" % (label, fmt_pct(tgt, dig))
        for ln, r in res.items():
            e = rel(r.get(key), tgt)
            mark = "*" if calibrated and abs(e) > TOLERANCE else " "
            line += " | %-14s %+5.0f%%%s" % (fmt_pct(r.get(key), dig), 100 * e, mark)
        print(line, file=out)
    print("(* outside +/-%d%%. Onsets are (run, year, dyad) triples of the sim's initiator-target pairs; "
          "NATO is the world's `nato` community, fixed; the world's PRD share is %.1f%%, the "
          "data's %.1f%%)" % (100 * TOLERANCE, 100 * any_r["prd_share"], 100 * t["n_rate_prd"] / t["n_rate_all"]), file=out)
    wd = info["world_data"]
    print("data among the world's states, %s (its fixed categories): %s" % (info["compared"], "; ".join(
        "%s %s" % (k[5:], fmt_pct(wd.get(k))) for k in RATES)), file=out)
    print("by 5-year block (onset rate, all / PRD dyads of the world; data: the real rates among its states):", file=out)
    for per in sorted(info["blocks"]):
        v = info["blocks"][per]
        if ("all", "simulated", next(iter(res))) not in v:
            continue
        line = "  %s  data %s / %s" % (per, fmt_pct(v.get(("all", "observed", ""))), fmt_pct(v.get(("prd", "observed", ""))))
        for ln in res:
            line += " | %s %s / %s" % (ln[:14], fmt_pct(v.get(("all", "simulated", ln))), fmt_pct(v.get(("prd", "simulated", ln))))
        print(line, file=out)
    for g in GROUPS:
        if "n_group_" + g not in t:
            continue
        line = "%s dyads (data %d MIDs in %d dyad-years):" % (g, t["onsets_group_" + g], t["n_group_" + g])
        for ln, r in res.items():
            line += " | %s %d onsets, %s, no war in %.1f%% of runs" % (
                ln[:14], r["onsets_rate_group_" + g], fmt_pct(r["rate_group_" + g]),
                100 * r["group_nowar_runs_" + g])
        print(line, file=out)
    if "rate_nato_world" in t:
        line = "NATO: Greece-Turkey share of NATO-pair onsets (data 11 of 23):"
        for ln, r in res.items():
            line += " | %s %.0f%%" % (ln[:14], 100 * r["nato_grc_tur_share"])
        print(line, file=out)
        for ln, r in res.items():
            print("NATO pairs with most onsets, %s: %s" % (ln, ", ".join(r["nato_top_pairs"])), file=out)
    for ln, r in res.items():
        print("%-18s max |error| %3.0f%% (calibrated rows), %3.0f%% (without the raw all-dyads rate); %d disputes" % (
            ln, 100 * score(r, t), 100 * score(r, t, [k for k in CALIBRATED if k != "rate_all"]), r["disputes"]), file=out)
    for n in info["notes"]:
        print("note (comity backtest): " + n, file=out)


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


def cmd_fit(a):
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
        "".join("; %s also %s (the NATO rate)" % (n, nato[n]) for n in nato if nato[n] not in fixed),
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
            res, info, t = measure(a, a.out, scen)
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
    print_table(res, info, t)
    print("wrote %s%s" % (write, "" if done else "; its tables are the update after the last run (not yet run: "
                          "check them with `calibrate.py run --lenses-file %s`)" % write))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(info=info, targets=t, lenses=res, history=history, written={n: tables[n] for n in names}),
                      f, indent=1, sort_keys=True)
    return 0


def add_common(p):
    p.add_argument("--comity", default=DEFAULT_COMITY, help="the comity binary (default: %(default)s)")
    p.add_argument("--data", default=DEFAULT_DATA, help="the IR data folder (default: %(default)s)")
    p.add_argument("--from", dest="frm", type=int, default=FIRST, help="first year of the targets (default: %(default)s)")
    p.add_argument("--to", type=int, default=LAST, help="last year of the targets and of the simulated figures "
                   "(default: %(default)s)")
    p.add_argument("--json", help="also write every figure to this JSON file")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, hlp in (("targets", "the targets, computed from the data by comity backtest"),
                      ("measure", "measure a comity output folder (made with --disputes) against the targets"),
                      ("run", "run comity on a scratch copy of the world, then measure"),
                      ("fit", "search the onset, hostility (and NATO) levers of a lenses file (docs/calibration.md 4)")):
        p = sub.add_parser(name, help=hlp)
        add_common(p)
        if name == "measure":
            p.add_argument("outdir", help="comity output folder with manifest.json and disputes.csv")
            p.add_argument("--scenario", help="the scenario that was run (default: from manifest.json)")
            continue
        p.add_argument("--world", default=DEFAULT_WORLD, help="the scenario to copy (default: %(default)s)")
        if name == "targets":
            continue
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
    if not os.path.exists(a.comity):
        raise SystemExit("%s not found: build it with `cargo build --release`, or pass --comity BIN" % a.comity)
    if a.cmd == "fit":
        return cmd_fit(a)
    elapsed = None
    if a.cmd in ("run", "targets"):
        tmp = tempfile.mkdtemp(prefix="comity-cal-")
        try:
            if a.cmd == "targets":
                a.lenses_file, a.lens, a.runs, a.out, a.seed = None, "constructivist", 1, os.path.join(tmp, "out"), None
            scen = scratch_scenario(a.world, a.lenses_file, tmp)
            elapsed = run_comity(a.comity, scen, a.lens, a.runs, a.out, a.seed)
            res, info, t = measure(a, a.out, scen)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        info["scenario"] = os.path.relpath(a.world) + (" + " + os.path.relpath(a.lenses_file) if a.lenses_file else "")
        info["elapsed_seconds"] = elapsed
    else:
        res, info, t = measure(a, a.outdir, a.scenario)
    if a.cmd == "targets":
        print_targets(t)
        res = {}
    else:
        print_table(res, info, t)
        if elapsed is not None:
            print("comity run took %.1f s" % elapsed)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(info={k: v for k, v in info.items() if k != "blocks"}, targets=t, lenses=res), f,
                      indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
