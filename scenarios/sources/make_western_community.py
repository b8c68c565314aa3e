#!/usr/bin/env python3
"""Generate scenarios/western_community.toml from the peace-science data in shared/data/ir.

Usage (from anywhere):
    python3 scenarios/sources/make_western_community.py [--data DIR] [--out FILE]

Defaults: --data is ../../../shared/data/ir relative to this script (i.e. <repo>/../shared/data/ir),
--out is ../western_community.toml relative to this script (i.e. <repo>/scenarios/western_community.toml).

Standard library only. The output is deterministic: running the script twice gives the same bytes.
Every number written to the TOML is either read from the data files (with the rule stated here and in
the TOML header) or comes from a table in this script that says where it comes from and whether it is
a published figure, an estimate or a modelling judgement.

Rounding: all roundings are decimal ROUND_HALF_UP on the decimal text of the value (not binary
floating point), so e.g. a polyarchy of 0.865 becomes 0.87.
"""

import argparse
import csv
import gzip
import itertools
import json
import math
import os
import sys
import textwrap
from decimal import Decimal, ROUND_HALF_UP

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "ir"))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "western_community.toml"))

DATA_YEAR = 2016          # state / dyad snapshot year
TRADE_YEAR = 2014         # last year of COW trade v4 and COW IGO v3

# ---------------------------------------------------------------------------------------------
# States. Order = order in the TOML. (COW stateabb, display name). ccode is looked up in the data.
# ---------------------------------------------------------------------------------------------
STATES = [
    ("USA", "United States"),
    ("CAN", "Canada"),
    ("UKG", "United Kingdom"),
    ("FRN", "France"),
    ("GMY", "Germany"),
    ("ITA", "Italy"),
    ("NTH", "Netherlands"),
    ("BEL", "Belgium"),
    ("SPN", "Spain"),
    ("POL", "Poland"),
    ("TUR", "Turkey"),
    ("JPN", "Japan"),
    ("AUL", "Australia"),
    ("ROK", "South Korea"),
    ("CHN", "China"),
    ("RUS", "Russia"),
]
WEST = [s for s, _ in STATES if s not in ("CHN", "RUS")]
EU_2016 = ["UKG", "FRN", "GMY", "ITA", "NTH", "BEL", "SPN", "POL"]  # EU members among the 16 in 2016

# World Bank, World Development Indicators, NY.GDP.MKTP.CD (GDP, current US$), trillion USD.
# Published figures quoted from memory of the WDI (not in the data folder); rounded to 2 significant
# digits but never to fewer than 1 decimal place (so 18.7, 11.2 keep 3 digits). Vintages differ by a
# few per cent (e.g. BEL 2016 is 0.466 in older and 0.476 in newer vintages).
GDP_2016 = {
    "USA": "18.7", "CHN": "11.2", "JPN": "4.9", "GMY": "3.5", "UKG": "2.7", "FRN": "2.5",
    "ITA": "1.9", "CAN": "1.5", "ROK": "1.5", "RUS": "1.3", "AUL": "1.2", "SPN": "1.2",
    "TUR": "0.87", "NTH": "0.78", "POL": "0.47", "BEL": "0.47",
}
# Same source, 2014 (the year of the COW national trade figures), used only as the denominator of
# the trade-openness ratio in the open-trade norm. Using 2016 GDP there would distort the ratio
# for states whose currency fell sharply in 2014-16 (RUS GDP in USD fell from 2.1 to 1.3 tn).
GDP_2014 = {
    "USA": "17.5", "CHN": "10.5", "JPN": "4.9", "GMY": "3.9", "UKG": "3.1", "FRN": "2.9",
    "ITA": "2.2", "CAN": "1.8", "ROK": "1.5", "RUS": "2.1", "AUL": "1.5", "SPN": "1.4",
    "TUR": "0.93", "NTH": "0.88", "POL": "0.54", "BEL": "0.53",
}

# Orientation, 0 nationalist .. 1 internationalist, early 2016. MODELLING JUDGEMENT, NOT DATA.
# Rule: 0.75 for every consolidated Western democracy (EU/NATO members, Japan, Australia, South
# Korea, and the United States before the 2017 change of administration); the UK starts at 0.75 and
# moves to 0.65 after the 23 June 2016 EU referendum (an event below); Turkey 0.45 (NATO member,
# but nationalist turn and post-coup-attempt purge in 2016); China 0.40 (active in the UN system and
# WTO but sovereignty-first); Russia 0.30 (annexation of Crimea 2014, confrontational).
ORIENTATION = {s: "0.75" for s in WEST}
ORIENTATION.update({"TUR": "0.45", "CHN": "0.40", "RUS": "0.30"})
UKG_POST_REFERENDUM = "0.65"   # judgement
USA_AMERICA_FIRST = "0.30"     # judgement

# Paris Agreement: all 16 signed at the New York signing ceremony, 22 April 2016. Ratification
# (deposit of the instrument with the UN Secretary-General, UN Treaty Collection ch. XXVII.7.d)
# by 31 December 2016, for the climate-cooperation norm:
PARIS_RATIFIED_2016 = {
    "USA": "3 Sep 2016 (acceptance)", "CHN": "3 Sep 2016", "CAN": "5 Oct 2016",
    "FRN": "5 Oct 2016", "GMY": "5 Oct 2016", "POL": "7 Oct 2016", "ROK": "3 Nov 2016",
    "JPN": "8 Nov 2016 (acceptance)", "AUL": "9 Nov 2016", "ITA": "11 Nov 2016",
    "UKG": "18 Nov 2016",
}
PARIS_LATER = {"SPN": "12 Jan 2017", "BEL": "6 Apr 2017", "NTH": "28 Jul 2017",
               "RUS": "2019 (acceptance)", "TUR": "2021"}
CLIMATE_RATIFIED, CLIMATE_NOT = Decimal("0.70"), Decimal("0.50")

TPP_SIGNATORIES = ["USA", "CAN", "JPN", "AUL"]  # signed Auckland, 4 February 2016 (among the 16)

# Names for non-NATO ATOP defence pledges we expect among the 16.
BILATERAL_NAMES = {
    frozenset(("USA", "JPN")): ("US-Japan", "Treaty of Mutual Cooperation and Security, 19 January 1960"),
    frozenset(("USA", "ROK")): ("US-ROK", "Mutual Defense Treaty, 1 October 1953"),
    frozenset(("USA", "AUL")): ("ANZUS", "ANZUS Treaty, 1 September 1951 (USA-AUL leg; NZ not modelled)"),
}

# ---------------------------------------------------------------------------------------------
# Tariff estimates. rate = sum(statutory rate x value of the covered goods) / total bilateral
# exports of the exporter to the importer (2017, the year before the measures). All values in
# billion USD, ESTIMATES from the best published figures I know (US Census 2017 goods trade; the
# governments' own statements on the value of trade covered). Not from the data folder.
# ---------------------------------------------------------------------------------------------
def q(x, places):
    """Round half up to `places` decimals, from the decimal text (no binary artefacts)."""
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def est(parts, total):
    """parts: list of (statutory_rate, covered_value_bn, label). Returns (rate Decimal 3dp, text)."""
    duty = sum(Decimal(r) * Decimal(v) for r, v, _ in parts)
    rate = q(duty / Decimal(total), 3)
    text = " + ".join(f"{r} x {v} ({lab})" for r, v, lab in parts)
    return rate, f"estimate: ({text}) / {total} total = {rate}"

# US Section 232 duties on partners' exports to the US (total = US goods imports from partner, 2017)
T_US_JPN = est([("0.25", "1.9", "steel"), ("0.10", "0.2", "aluminium")], "136")
T_US_CHN = est([("0.25", "1.0", "steel"), ("0.10", "1.8", "aluminium")], "505")
T_US_TUR = est([("0.25", "1.1", "steel"), ("0.10", "0.1", "aluminium")], "10.4")
T_US_TUR_X2 = est([("0.50", "1.1", "steel"), ("0.10", "0.1", "aluminium")], "10.4")
T_US_RUS = est([("0.25", "1.4", "steel"), ("0.10", "1.6", "aluminium")], "17.0")
# EU: Commission figure of EUR 6.4bn of EU steel+aluminium exports affected, split ~5.3 steel /
# ~1.1 aluminium (my split), of EUR 375bn EU goods exports to the US in 2017 (EUR used on both sides).
T_US_EU = est([("0.25", "5.3", "steel"), ("0.10", "1.1", "aluminium")], "375")
T_US_CAN = est([("0.25", "5.1", "steel"), ("0.10", "7.2", "aluminium")], "300")
# Retaliation (total = partner's goods imports from the US, 2017)
# China: US$3bn of US goods, 8 lines at 25% (pork, aluminium scrap; ~2.0bn) and 120 at 15% (~1.0bn).
T_CHN_US = est([("0.25", "2.0", "pork, scrap aluminium"), ("0.15", "1.0", "fruit, nuts, wine etc.")], "130")
# EU: EUR 2.8bn of US goods at (mostly) 25%, of EUR 256bn EU goods imports from the US in 2017.
T_EU_US = est([("0.25", "2.8", "rebalancing list")], "256")
# Canada: C$16.6bn (~US$12.8bn) of US goods, 25% on steel and 10% on aluminium and other goods;
# the split is assumed about half/half (my assumption).
T_CAN_US = est([("0.25", "6.4", "steel"), ("0.10", "6.4", "aluminium and other goods")], "282")
# Turkey: additional duties announced as worth US$266.5m a year on ~US$1.8bn of US goods; doubled
# in August 2018 (~US$533m). Written here as duty value x 1.0 over US exports to Turkey (US$9.6bn).
T_TUR_US = est([("1.0", "0.2665", "announced duty value")], "9.6")
T_TUR_US_X2 = est([("1.0", "0.533", "announced duty value after doubling")], "9.6")
# Russia: additional 25-40% duties said to compensate US$87.6m a year, of US$7.0bn US exports.
T_RUS_US = est([("1.0", "0.0876", "announced duty value")], "7.0")
ZERO = (Decimal("0.000"), "lifted")


def ev(at, kind, comment, **fields):
    return {"at": at, "kind": kind, "comment": comment, "fields": fields}


EVENTS = [
    ev("2016-06", "orientation",
       ["UK EU membership referendum, 23 June 2016: Leave 51.9% (Electoral Commission, 'EU referendum",
        "results', 2016). Value is a modelling judgement (0.75 -> 0.65)."],
       state="UKG", value=UKG_POST_REFERENDUM),
    ev("2017-01", "orientation",
       ["New US administration, inaugural address ('America First'), 20 January 2017 (The White",
        "House, 'The Inaugural Address', 20 Jan 2017). Value is a modelling judgement (0.75 -> 0.30)."],
       state="USA", value=USA_AMERICA_FIRST),
    ev("2017-01", "withdraw",
       ["Presidential Memorandum Regarding Withdrawal of the United States from the Trans-Pacific",
        "Partnership Negotiations and Agreement, 23 January 2017 (82 FR 8497)."],
       state="USA", treaty="TPP"),
    ev("2017-03", "announce",
       ["UK notifies the European Council under Art. 50 TEU, letter of 29 March 2017 (Brexit announced;",
        "membership kept until the withdrawal of 31 January 2020 below)."],
       state="UKG", treaty="EU"),
    ev("2017-06", "announce",
       ["'Statement by President Trump on the Paris Climate Accord', Rose Garden, 1 June 2017 (withdrawal",
        "could only take effect 4 Nov 2020 under Art. 28 of the Agreement)."],
       state="USA", treaty="Paris"),
    ev("2018-03", "tariff",
       ["Section 232: Proclamation 9704 (aluminium 10%, 83 FR 11619) and 9705 (steel 25%, 83 FR 11625),",
        "8 March 2018, effective 23 March 2018. Japan not exempted. " + T_US_JPN[1]],
       by="USA", against=["JPN"], rate=T_US_JPN[0]),
    ev("2018-03", "tariff",
       ["Section 232 (Proclamations 9704/9705, effective 23 March 2018) on China. Section 301 tariffs",
        "(from 6 July 2018) are NOT modelled. " + T_US_CHN[1]],
       by="USA", against=["CHN"], rate=T_US_CHN[0]),
    ev("2018-03", "tariff",
       ["Section 232 (Proclamations 9704/9705, effective 23 March 2018) on Turkey. " + T_US_TUR[1]],
       by="USA", against=["TUR"], rate=T_US_TUR[0]),
    ev("2018-03", "tariff",
       ["Section 232 (Proclamations 9704/9705, effective 23 March 2018) on Russia (not exempted;",
        "Russia was a major steel-slab and aluminium supplier). " + T_US_RUS[1],
        "Australia: exempted (Proclamations 9710/9711, 22 March 2018; permanent from 30 April 2018).",
        "South Korea: steel exempted in exchange for a quota (Proclamation 9740, 30 April 2018); the 10%",
        "aluminium duty from 1 May 2018 covers well under 1% of Korean exports to the US, so the",
        "effective rate rounds to ~0.000 and is not modelled."],
       by="USA", against=["RUS"], rate=T_US_RUS[0]),
    ev("2018-04", "tariff",
       ["China's retaliation on 128 US products (US$3bn), State Council Customs Tariff Commission,",
        "effective 2 April 2018. " + T_CHN_US[1]],
       by="CHN", against=["USA"], rate=T_CHN_US[0]),
    ev("2018-06", "tariff",
       ["EU exemption from Section 232 expires 1 June 2018 (Proclamations 9758/9759, 31 May 2018). One",
        "EU-wide effective rate (trade policy is an EU competence; member-level shares not estimated).",
        T_US_EU[1]],
       by="USA", against=["UKG", "FRN", "GMY", "ITA", "NTH", "BEL", "SPN", "POL"], rate=T_US_EU[0]),
    ev("2018-06", "tariff",
       ["Canada exemption from Section 232 expires 1 June 2018 (Proclamations 9758/9759, 31 May 2018).",
        "Canadian steel+aluminium exports to the US ~US$12.3bn of ~US$300bn. " + T_US_CAN[1]],
       by="USA", against=["CAN"], rate=T_US_CAN[0]),
] + [
    ev("2018-06", "tariff",
       ["EU rebalancing duties, Commission Implementing Regulation (EU) 2018/886 of 20 June 2018,",
        "applied from 22 June 2018 (same EU-wide rate for each member). " + T_EU_US[1]]
       if i == 0 else [f"EU rebalancing duties (Reg. (EU) 2018/886, 22 June 2018), same EU-wide rate: {m}."],
       by=m, against=["USA"], rate=T_EU_US[0])
    for i, m in enumerate(EU_2016)
] + [
    ev("2018-06", "tariff",
       ["Turkish additional duties on about US$1.8bn of US goods (incl. cars, rice, spirits,",
        "cosmetics), announced by the Turkish Ministry of Economy on 21 June 2018." + T_TUR_US[1]],
       by="TUR", against=["USA"], rate=T_TUR_US[0]),
    ev("2018-07", "tariff",
       ["Canadian countermeasures: United States Surtax Orders (Steel and Aluminum 2018; Other Goods),",
        "C$16.6bn of US goods, in force 1 July 2018 (Department of Finance Canada)." + T_CAN_US[1]],
       by="CAN", against=["USA"], rate=T_CAN_US[0]),
    ev("2018-07", "tariff",
       ["Russian additional duties (25-40%) on US road-building and oil-and-gas equipment, tools and",
        "optical fibre: Government Resolution No. 788 of 6 July 2018 (entry-into-force day not verified",
        "here). " + T_RUS_US[1]],
       by="RUS", against=["USA"], rate=T_RUS_US[0]),
    ev("2018-08", "tariff",
       ["Proclamation 9772, 10 August 2018: steel duty on Turkey doubled to 50%, effective 13 August",
        "2018 (aluminium not changed by proclamation). " + T_US_TUR_X2[1]],
       by="USA", against=["TUR"], rate=T_US_TUR_X2[0]),
    ev("2018-08", "tariff",
       ["Turkey doubles its additional duties on US goods, Presidential Decision published in the",
        "Official Gazette, 15 August 2018. " + T_TUR_US_X2[1]],
       by="TUR", against=["USA"], rate=T_TUR_US_X2[0]),
    ev("2019-05", "tariff",
       ["Joint Statement by the United States and Canada on Section 232 Duties on Steel and Aluminum,",
        "17 May 2019: US duties removed (effective 20 May 2019)."],
       by="USA", against=["CAN"], rate=ZERO[0]),
    ev("2019-05", "tariff",
       ["Same joint statement, 17 May 2019: Canada removes its retaliatory surtaxes (20 May 2019)."],
       by="CAN", against=["USA"], rate=ZERO[0]),
    ev("2019-05", "tariff",
       ["Proclamation 9886, 16 May 2019: steel duty on Turkey back to 25%, effective 21 May 2019.",
        "Turkey's reciprocal cut of its retaliation (reported for late May/June 2019) is NOT modelled",
        "(date not verified). " + T_US_TUR[1]],
       by="USA", against=["TUR"], rate=T_US_TUR[0]),
    ev("2020-01", "withdraw",
       ["The UK leaves the EU, 31 January 2020 (Withdrawal Agreement, OJ L 29, 31.1.2020, p. 7)."],
       state="UKG", treaty="EU"),
    ev("2020-11", "withdraw",
       ["US withdrawal from the Paris Agreement takes effect 4 November 2020 (notified to the UN",
        "Secretary-General 4 November 2019, Art. 28)."],
       state="USA", treaty="Paris"),
]

EVENT_FIELDS = {
    "withdraw": ("state", "treaty"), "announce": ("state", "treaty"), "join": ("state", "treaty"),
    "tariff": ("by", "against", "rate"), "orientation": ("state", "value"),
    "crisis": ("aggressor", "target", "level"), "shock": ("state", "power_factor", "gdp_factor"),
    "summit": ("states", "trust"), "common_threat": ("severity", "addressed_by"),
}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def die(msg):
    print(f"make_western_community.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def sig4(x):
    """4 significant digits, plain decimal notation."""
    d = Decimal(str(x))
    if d == 0:
        return "0"
    exp = d.adjusted()           # power of ten of the leading digit
    out = q(d, 3 - exp)
    s = format(out, "f")
    assert "e" not in s.lower()
    return s


def clamp(x, lo=Decimal("0"), hi=Decimal("0.95")):
    return max(lo, min(hi, x))


def kv(key, value, comment=None, col=26):
    """`key = value` with an inline comment aligned at column `col`."""
    line = f"{key} = {value}"
    if comment:
        line = line.ljust(col - 1) + " # " + comment
    return line


def comments(lines, width=100):
    """Join comment fragments and re-wrap them as `# ...` lines of at most `width` characters."""
    text = " ".join(x.strip() for x in lines)
    return ["# " + x for x in textwrap.wrap(text, width - 2, break_on_hyphens=False)]


def tstr(s):
    return json.dumps(s)  # ASCII, double-quoted: a valid TOML basic string


def tval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return tstr(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(tval(x) for x in v) + "]"
    raise TypeError(type(v))


def open_csv(data, name):
    path = os.path.join(data, name)
    if not os.path.isfile(path):
        die(f"data file missing: {path}")
    if name.endswith(".gz"):
        return csv.DictReader(gzip.open(path, "rt", newline=""))
    return csv.DictReader(open(path, newline=""))


def na(v):
    return v is None or v.strip() == "" or v.strip().upper() == "NA"


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

def load(data):
    ids = [s for s, _ in STATES]
    d = {}
    # ccodes (a state must be a system member in DATA_YEAR)
    ccode = {}
    for r in open_csv(data, "cow_states_v2016.csv"):
        if r["stateabb"] in ids and int(r["styear"]) <= DATA_YEAR <= int(r["endyear"]):
            ccode[r["stateabb"]] = int(r["ccode"])
    for s in ids:
        if s not in ccode:
            die(f"{s} not found as a COW state in {DATA_YEAR} in cow_states_v2016.csv")
    abb = {c: s for s, c in ccode.items()}
    d["ccode"], d["abb"] = ccode, abb

    def mine(r, k="ccode"):
        return abb.get(int(r[k]))

    cinc = {}
    for r in open_csv(data, "cow_nmc_v7.csv"):
        if int(r["year"]) == DATA_YEAR and mine(r) and not na(r["cinc"]):
            cinc[mine(r)] = r["cinc"]
    d["cinc"] = cinc

    major = set()
    for r in open_csv(data, "cow_majors_v2016.csv"):
        if mine(r) and int(r["styear"]) <= DATA_YEAR <= int(r["endyear"]):
            major.add(mine(r))
    d["major"] = major

    poly = {}
    for r in open_csv(data, "ccode_democracy.csv"):
        if int(r["year"]) == DATA_YEAR and mine(r) and not na(r["v2x_polyarchy"]):
            poly[mine(r)] = r["v2x_polyarchy"]
    d["poly"] = poly

    igo = {}
    for r in open_csv(data, "cow_igo_v3_state_year.csv"):
        if int(r["year"]) == TRADE_YEAR and mine(r) and not na(r["sum_igo_full"]):
            igo[mine(r)] = int(r["sum_igo_full"])
    d["igo"] = igo

    ntrade = {}
    for r in open_csv(data, "cow_trade_v4_national.csv"):
        if int(r["year"]) == TRADE_YEAR and mine(r) and not (na(r["imports"]) or na(r["exports"])):
            ntrade[mine(r)] = Decimal(r["imports"]) + Decimal(r["exports"])  # million USD
    d["ntrade"] = ntrade

    nato = set()
    for r in open_csv(data, os.path.join("derived", "nato_members_from_atop5.1.csv")):
        if int(r["year"]) == DATA_YEAR and mine(r):
            nato.add(mine(r))
    d["nato"] = nato

    atop = {}
    for r in open_csv(data, "atop5.1_directed_dyad_years.csv.gz"):
        if int(r["year"]) == DATA_YEAR and mine(r, "ccode1") and mine(r, "ccode2"):
            flags = tuple(k[5:] for k in ("atop_defense", "atop_offense", "atop_neutral",
                                          "atop_nonagg", "atop_consul") if r[k] == "1")
            atop[(mine(r, "ccode1"), mine(r, "ccode2"))] = flags
    d["atop"] = atop

    trade = {}
    for r in open_csv(data, "cow_trade_v4_dyadic_ndy.csv.gz"):
        if int(r["year"]) == TRADE_YEAR and mine(r, "ccode1") and mine(r, "ccode2"):
            trade[frozenset((mine(r, "ccode1"), mine(r, "ccode2")))] = r
    d["trade"] = trade

    cont = {}
    for r in open_csv(data, "cow_contdir_v3.2.csv"):
        a, b = mine(r, "ccode1"), mine(r, "ccode2")
        if a and b and int(r["stdate"][:4]) <= DATA_YEAR <= int(r["enddate"][:4]):
            t = int(r["conttype"])
            if 1 <= t <= 4:
                k = frozenset((a, b))
                cont[k] = min(t, cont.get(k, 9))
    d["cont"] = cont

    dist = {}
    for r in open_csv(data, "cshapes2_mindist_ndy_1946_2019.csv.gz"):
        if int(r["year"]) == DATA_YEAR and mine(r, "ccode1") and mine(r, "ccode2") \
                and not na(r["mindist"]):
            dist[frozenset((mine(r, "ccode1"), mine(r, "ccode2")))] = r["mindist"]
    d["dist"] = dist

    for name, table in (("cow_nmc_v7 cinc", cinc), ("v2x_polyarchy", poly),
                        ("COW IGO sum_igo_full", igo), ("COW national trade", ntrade)):
        for s in ids:
            if s not in table:
                die(f"{name} missing for {s}")
    return d


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------

def build(d):
    ids = [s for s, _ in STATES]
    dem = {s: q(d["poly"][s], 2) for s in ids}

    # multilateralism: linear rescale of IGO full memberships (2014) onto [0.3, 0.9]
    lo, hi = min(d["igo"].values()), max(d["igo"].values())
    multi = {s: q(Decimal("0.3") + Decimal("0.6") * Decimal(d["igo"][s] - lo) / Decimal(hi - lo), 2)
             for s in ids}
    # open trade: (imports+exports 2014, COW, million USD) / GDP 2014 (WB); log-rescaled onto [0.3, 0.9]
    ratio = {s: d["ntrade"][s] / (Decimal(GDP_2014[s]) * Decimal(1000000)) for s in ids}
    lr = {s: math.log(float(ratio[s])) for s in ids}
    llo, lhi = min(lr.values()), max(lr.values())
    opent = {s: q(Decimal("0.3") + Decimal("0.6") * Decimal(repr((lr[s] - llo) / (lhi - llo))), 2)
             for s in ids}
    climate = {s: CLIMATE_RATIFIED if s in PARIS_RATIFIED_2016 else CLIMATE_NOT for s in ids}
    for s in ids:
        assert s in PARIS_RATIFIED_2016 or s in PARIS_LATER, s

    states = []
    for s, name in STATES:
        states.append(dict(
            id=s, name=name, ccode=d["ccode"][s], cinc_raw=d["cinc"][s], power=sig4(d["cinc"][s]),
            gdp=Decimal(GDP_2016[s]), democracy=dem[s], poly_raw=d["poly"][s],
            orientation=Decimal(ORIENTATION[s]), major=s in d["major"],
            norms=[multi[s], dem[s], opent[s], climate[s]],
            igo=d["igo"][s], ratio=q(ratio[s], 3),
        ))

    # ATOP defence pledges (either direction) among the 16
    defence = {}
    for (a, b), flags in d["atop"].items():
        if "defense" in flags:
            defence.setdefault(frozenset((a, b)), set()).add((a, b))
    nato = [s for s in ids if s in d["nato"]]
    treaties = [
        dict(id="NATO", kind="defense", members=nato, salience=Decimal("0.9"),
             comment=["North Atlantic Treaty, 4 April 1949. Members among the 16 in 2016 from",
                      "derived/nato_members_from_atop5.1.csv (ATOP v5.1, see data README)."]),
        dict(id="EU", kind="community", members=[s for s in ids if s in EU_2016],
             salience=Decimal("0.9"),
             comment=["European Union (Treaty on European Union / Lisbon); members among the 16 in 2016."]),
        dict(id="TPP", kind="trade", members=[s for s in ids if s in TPP_SIGNATORIES],
             salience=Decimal("0.6"),
             comment=["Trans-Pacific Partnership, signed Auckland 4 February 2016; signatories among the",
                      "16. Never entered into force in this form (members = signatories)."]),
        dict(id="Paris", kind="regime", members=list(ids), salience=Decimal("0.7"),
             comment=["Paris Agreement (UNFCCC), all 16 signed 22 April 2016. Ratified by end-2016: "
                      + ", ".join(f"{s} {PARIS_RATIFIED_2016[s]}" for s in ids if s in PARIS_RATIFIED_2016) + ".",
                      "Later: " + ", ".join(f"{s} {PARIS_LATER[s]}" for s in ids if s in PARIS_LATER)
                      + " (UN Treaty Collection, ch. XXVII.7.d)."]),
    ]
    unknown = []
    for pair in sorted(defence, key=lambda p: sorted(ids.index(x) for x in p)):
        if pair <= d["nato"]:
            continue  # covered by NATO
        a, b = sorted(pair, key=ids.index)
        dirs = defence[pair]
        dirtext = "both directions" if len(dirs) == 2 else \
            "one-way pledge " + "->".join(next(iter(dirs))) + " only"
        if pair in BILATERAL_NAMES:
            tid, title = BILATERAL_NAMES[pair]
        else:
            tid, title = f"{a}-{b}", "UNEXPECTED ATOP defence pledge, treaty not identified"
            unknown.append(pair)
        extra = ""
        if pair == frozenset(("USA", "JPN")) and len(dirs) == 1:
            extra = " (Art. V covers only territories under Japanese administration)"
        treaties.append(dict(id=tid, kind="defense", members=[a, b], salience=Decimal("0.7"),
                             comment=[f"{title}. ATOP v5.1 atop_defense 2016: {dirtext}{extra}."]))

    communities = [
        dict(id="west", members=list(WEST),
             comment=["The 14 Western states (EU/NATO members among the 16 plus Japan, Australia, South Korea)."]),
        dict(id="nato", members=[s for s in WEST if s in d["nato"]],
             comment=["NATO members among the Western states (2016)."]),
    ]

    # Dyads: all pairs in state order
    dyads, missing_trade = [], []
    for a, b in itertools.combinations(ids, 2):
        k = frozenset((a, b))
        allied = 1 if k in defence else 0
        eu = 1 if (a in EU_2016 and b in EU_2016) else 0
        dmin = min(dem[a], dem[b])
        identity = q(clamp(Decimal("0.10") + Decimal("0.35") * allied + Decimal("0.25") * dmin
                           + Decimal("0.20") * eu), 2)
        trust = q(clamp(Decimal("0.20") + Decimal("0.35") * allied + Decimal("0.30") * dmin
                        + Decimal("0.10") * eu), 2)
        r = d["trade"].get(k)
        tcomment = f"bn USD, COW dyadic trade v4 {TRADE_YEAR}, flow1+flow2"
        total, used_smooth, miss = Decimal(0), False, 0
        for i in ("1", "2"):
            if r is not None and not na(r["flow" + i]):
                total += Decimal(r["flow" + i])
            elif r is not None and not na(r["smoothflow" + i]):
                total += Decimal(r["smoothflow" + i])
                used_smooth = True
            else:
                miss += 1
        if miss == 2:
            tcomment = f"MISSING in COW dyadic trade v4 {TRADE_YEAR}; written as 0"
            missing_trade.append((a, b))
        elif miss == 1:
            tcomment += " (one direction missing, counted as 0)"
            missing_trade.append((a, b))
        elif used_smooth:
            tcomment += " (smoothflow used where flow missing)"
        if k not in d["dist"]:
            die(f"CShapes mindist {DATA_YEAR} missing for {a}-{b}")
        dyads.append(dict(
            states=[a, b], trust=trust, identity=identity, trade=q(total / 1000, 1),
            contiguous=k in d["cont"], conttype=d["cont"].get(k), distance=q(d["dist"][k], 1),
            proxy=f"allied={allied} dem={dmin} eu={eu}", tcomment=tcomment,
        ))

    # other ATOP pledges among the 16 (documented, not modelled as treaties)
    other = []
    seen = set()
    for (a, b), flags in sorted(d["atop"].items(), key=lambda x: (ids.index(x[0][0]), ids.index(x[0][1]))):
        k = frozenset((a, b))
        if k in seen:
            continue
        seen.add(k)
        fl = sorted(set(flags) | set(d["atop"].get((b, a), ())))
        if "defense" in fl:
            continue
        if "neutral" in fl or "offense" in fl:
            x, y = sorted(k, key=ids.index)
            other.append(f"{x}-{y} ({'+'.join(fl)})")
    return dict(states=states, treaties=treaties, communities=communities, dyads=dyads,
                unknown=unknown, missing_trade=missing_trade, other_atop=other,
                igo_range=(lo, hi))


# ---------------------------------------------------------------------------------------------
# Render
# ---------------------------------------------------------------------------------------------

HEADER = """\
# =============================================================================================
# Western security community, 2016-2030
# GENERATED FILE - do not edit by hand. Regenerate with:
#     python3 scenarios/sources/make_western_community.py [--data DIR]
# (default DIR: ../shared/data/ir relative to the repository root). Same inputs -> same bytes.
#
# Run:  cargo run --release -- run scenarios/western_community.toml
#
# WHAT: 16 states - the 14 states of the Western security community (USA CAN UKG FRN GMY ITA NTH
# BEL SPN POL TUR JPN AUL ROK) plus China and Russia - initialised from real 2016 data, then
# driven by the dated events of 2016-2020: the UK EU referendum and Brexit, the US "America First"
# turn, US withdrawal from TPP and the Paris Agreement, and the 2018-19 Section 232 steel/aluminium
# tariffs and the partners' retaliation. After 2020 no scheduled events: the model runs free.
# QUESTION: does the Western (Deutschian, pluralistic) security community - mutual trust,
# collective identity, dependable expectations of peaceful change - survive a period in which its
# leading state turns nationalist and trades tariffs with its allies? Which dyads erode first, and
# is the community (and NATO) still a community in 2030?
#
# SOURCES (data values read from shared/data/ir unless stated; see its README.md)
#  * power: COW National Material Capabilities v7.0, cinc 2016, 4 significant digits. Singer,
#    Bremer & Stuckey 1972, "Capability Distribution, Uncertainty, and Major Power War, 1820-1965",
#    in Russett (ed.), Peace, War, and Numbers, 19-48; Singer 1987, International Interactions 14:115-32.
#  * major: COW Major Powers v2016 (Correlates of War Project 2017, "State System Membership List,
#    v2016"). ccode/id: COW State System Membership v2016.
#  * gdp: World Bank, World Development Indicators, NY.GDP.MKTP.CD, 2016, current trillion USD
#    (published figures, not in the data folder), 2 significant digits, at least 1 decimal.
#  * democracy: V-Dem v10 v2x_polyarchy 2016, 2 decimals (Coppedge et al. 2020, V-Dem Codebook v10;
#    via ccode_democracy.csv).
#  * trade (dyads): COW Dyadic Trade v4.0, 2014 (last year), flow1+flow2 in current million USD / 1000
#    -> bn USD, 1 decimal; smoothflow where flow is missing; 0 with a comment if both are missing.
#    Barbieri & Keshk 2016, COW Trade Data Set Codebook v4.0; Barbieri, Keshk & Pollins 2009,
#    "Trading Data", Conflict Management and Peace Science 26(5): 471-491.
#  * contiguous: COW Direct Contiguity v3.2, a record in force in 2016 with conttype 1..4 (land, or
#    <= 150 miles of water). Stinnett, Tir, Schafer, Diehl & Gochman 2002, CMPS 19(2): 58-66.
#  * distance: CShapes 2.0 minimum distance between borders, 2016 (1 Jan), km, 1 decimal. Schvitz
#    et al. 2022, "Mapping the International System, 1886-2017: The CShapes 2.0 Dataset", Journal of
#    Conflict Resolution 66(1): 144-161 (computed by peacesciencer: Miller 2022, CMPS).
#  * alliances: ATOP v5.1 directed dyad-years, atop_defense 2016. Leeds, Ritter, Mitchell & Long
#    2002, "Alliance Treaty Obligations and Provisions, 1815-1944", International Interactions 28:
#    237-60. NATO membership from derived/nato_members_from_atop5.1.csv (rule in the data README).
#  * IGOs: COW IGO v3.0 state-year sum_igo_full 2014. Pevehouse, Nordstrom, McManus & Jamison 2020,
#    Journal of Peace Research 57(3): 492-503.
#  * national trade: COW National Trade v4.0, imports+exports 2014 (same citation as dyadic trade).
#  * events: official documents cited on each event; tariff rates are ESTIMATES (see below).
#
# RULES AND JUDGEMENTS
#  * orientation (0 nationalist .. 1 internationalist) is a MODELLING JUDGEMENT, not data: 0.75 for
#    every consolidated Western democracy (EU/NATO democracies, JPN, AUL, ROK, and the USA before
#    2017); TUR 0.45, CHN 0.40, RUS 0.30. Events move UKG to 0.65 (June 2016 referendum) and the USA
#    to 0.30 (January 2017); both values are judgements.
#  * norms = [multilateralism, pacific settlement, open trade, climate cooperation], each in [0,1]:
#    - multilateralism = 0.3 + 0.6 * (IGO_full_2014 - min) / (max - min) over the 16 (min {igo_lo}, max {igo_hi});
#    - pacific settlement = democracy (polyarchy 2016, 2 decimals);
#    - open trade = 0.3 + 0.6 * (ln r - min ln r) / (max ln r - min ln r) over the 16, with
#      r = (COW imports+exports 2014) / (World Bank GDP 2014, current USD; the ratio uses 2014 GDP so
#      that numerator and denominator are the same year). Log scale because big economies trade
#      less relative to GDP; note COW's 2014 China totals are above customs figures;
#    - climate = 0.7 if the state had ratified/accepted the Paris Agreement by 31 Dec 2016, else 0.5.
#  * initial dyad trust and identity (proxies, symmetric at start, 2 decimals):
#      allied = 1 if ATOP v5.1 atop_defense = 1 in 2016 in either direction, else 0
#      eu     = 1 if both states are EU members in 2016, else 0
#      dem    = min of the two states' democracy values (as written below)
#      identity = clamp(0.10 + 0.35*allied + 0.25*dem + 0.20*eu, 0, 0.95)
#      trust    = clamp(0.20 + 0.35*allied + 0.30*dem + 0.10*eu, 0, 0.95)
#  * tariff rate = effective ad-valorem rate on ALL bilateral trade = sum over covered goods of
#    (statutory rate x value of covered 2017 exports) / total 2017 goods exports of the exporter to
#    the imposing state. The covered values and totals are ESTIMATES from published 2017 figures
#    (US Census goods trade; governments' own statements of the trade covered); each event shows its
#    arithmetic. 3 decimals.
#  * Not modelled: US Section 301 tariffs on China (2018-), US-EU/UK/JPN steel quota deals (2022),
#    US re-entry to Paris (2021), Turkey's May/June 2019 cut of its retaliation.
#  * Rounding: decimal round-half-up throughout.
# =============================================================================================
"""


def render(b):
    L = [HEADER.format(igo_lo=b["igo_range"][0], igo_hi=b["igo_range"][1])]
    L.append("[scenario]")
    L.append('name = "Western security community, 2016-2030"')
    L.append("description = " + tstr(
        "Does the Western security community (14 states, with China and Russia as outsiders) survive "
        "the 2017-2020 US nationalist turn, TPP and Paris withdrawals, Brexit and the 2018-19 "
        "steel/aluminium tariff dispute? Initialised from 2016 COW/ATOP/V-Dem/CShapes data; runs to 2030."))
    L += ["start = 2016", "end = 2030", 'step = "year"', "seed = 42", "runs = 1000", ""]

    L.append("# ---- States (2016). power: COW NMC v7 cinc; gdp: World Bank WDI NY.GDP.MKTP.CD 2016;")
    L.append("# democracy: V-Dem v10 v2x_polyarchy; orientation: judgement; major: COW majors v2016;")
    L.append("# norms: [multilateralism, pacific settlement, open trade, climate] (rules in header).")
    for s in b["states"]:
        L.append("")
        L.append("[[state]]")
        L.append(kv("id", tstr(s["id"])))
        L.append(kv("name", tstr(s["name"])))
        L.append(kv("ccode", s["ccode"], "COW State System Membership v2016"))
        L.append(kv("power", s["power"], f"COW NMC v7 cinc 2016 = {s['cinc_raw']}"))
        L.append(kv("gdp", tval(s["gdp"]), "trillion current USD, World Bank WDI NY.GDP.MKTP.CD 2016"))
        L.append(kv("democracy", tval(s["democracy"]), f"V-Dem v10 v2x_polyarchy 2016 = {s['poly_raw']}"))
        L.append(kv("orientation", tval(s["orientation"]), "modelling judgement (rule in header)"))
        L.append(kv("major", tval(s["major"]), "COW Major Powers v2016"))
        n = s["norms"]
        L.append(kv("norms", tval(n),
                    f"IGO_full 2014 = {s['igo']}; pacific = democracy; trade/GDP 2014 = {s['ratio']}; Paris "
                    + ("ratified 2016" if n[3] == CLIMATE_RATIFIED else "not ratified in 2016")))

    L.append("")
    L.append("# ---- Treaties")
    for t in b["treaties"]:
        L.append("")
        L += comments(t["comment"])
        L.append("[[treaty]]")
        L.append(f"id = {tstr(t['id'])}")
        L.append(f"kind = {tstr(t['kind'])}")
        L.append(f"members = {tval(t['members'])}")
        L.append(kv("salience", tval(t["salience"]), "modelling judgement"))
    if b["other_atop"]:
        L.append("")
        L += comments(["Other ATOP v5.1 2016 pledges among the 16 with neutrality/offence (not modelled as",
                       "treaties): " + ", ".join(b["other_atop"]) + ". Non-aggression/consultation-only",
                       "pledges are also present for most pairs and are not modelled."])

    L.append("")
    L.append("# ---- Communities")
    for c in b["communities"]:
        L.append("")
        L += comments(c["comment"])
        L.append("[[community]]")
        L.append(f"id = {tstr(c['id'])}")
        L.append(f"members = {tval(c['members'])}")

    L.append("")
    L.append("# Fallbacks for any dyad not listed (all 120 are listed below).")
    L.append("[defaults]")
    L += ["trust = 0.3", "identity = 0.1", "trade = 0.0"]

    L.append("")
    L.append("# ---- Dyads (all 120 pairs). trust/identity: proxies (formula in header);")
    L.append("# trade: COW dyadic trade v4 2014, bn USD; contiguous: COW contdir v3.2 2016 type 1-4;")
    L.append("# distance: CShapes 2.0 mindist 2016, km.")
    for dy in b["dyads"]:
        L.append("")
        L.append("[[dyad]]")
        L.append(kv("states", tval(dy["states"])))
        L.append(kv("trust", tval(dy["trust"]), "proxy: " + dy["proxy"]))
        L.append(kv("identity", tval(dy["identity"]), "proxy: " + dy["proxy"]))
        L.append(kv("trade", tval(dy["trade"]), dy["tcomment"]))
        ct = f"conttype {dy['conttype']}" if dy["contiguous"] else "no record with conttype 1-4"
        L.append(kv("contiguous", tval(dy["contiguous"]), f"COW contdir v3.2, 2016: {ct}"))
        L.append(kv("distance", tval(dy["distance"]), "km, CShapes 2.0 mindist 2016"))

    L.append("")
    L.append("# ---- Events (ordered by date; same-date events apply in file order)")
    for e in EVENTS:
        L.append("")
        L += comments(e["comment"])
        L.append("[[event]]")
        L.append(f"at = {tstr(e['at'])}")
        L.append(f"kind = {tstr(e['kind'])}")
        for k, v in e["fields"].items():
            if isinstance(v, str) and k in ("value",):
                v = Decimal(v)
            L.append(f"{k} = {tval(v)}")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------------------------
# Validate (on the parsed TOML, so we check what we wrote)
# ---------------------------------------------------------------------------------------------

def validate(text):
    try:
        import tomllib
    except ImportError:  # Python < 3.11: skip the parse check
        print("warning: tomllib not available; output not re-parsed", file=sys.stderr)
        return
    doc = tomllib.loads(text)
    errs = []

    def err(m):
        errs.append(m)

    def unit(x, what, lo=0.0, hi=1.0):
        if not isinstance(x, (int, float)) or isinstance(x, bool) or not (lo <= x <= hi):
            err(f"{what} = {x!r} not in [{lo},{hi}]")

    sc = doc["scenario"]
    if not (sc["start"] <= sc["end"]):
        err("start > end")
    sids = [s["id"] for s in doc["state"]]
    if len(set(sids)) != len(sids):
        err("duplicate state ids")
    if len(set(s["ccode"] for s in doc["state"])) != len(sids):
        err("duplicate ccodes")
    for s in doc["state"]:
        unit(s["power"], f"{s['id']}.power")
        if s["gdp"] <= 0:
            err(f"{s['id']}.gdp <= 0")
        unit(s["democracy"], f"{s['id']}.democracy")
        unit(s["orientation"], f"{s['id']}.orientation")
        if not isinstance(s["major"], bool):
            err(f"{s['id']}.major not bool")
        if len(s["norms"]) != 4:
            err(f"{s['id']}.norms length")
        for i, x in enumerate(s["norms"]):
            unit(x, f"{s['id']}.norms[{i}]")
    tids = [t["id"] for t in doc["treaty"]]
    if len(set(tids)) != len(tids):
        err("duplicate treaty ids")
    for t in doc["treaty"]:
        if t["kind"] not in ("defense", "trade", "regime", "community"):
            err(f"treaty {t['id']} kind {t['kind']}")
        unit(t["salience"], f"{t['id']}.salience")
        if len(set(t["members"])) != len(t["members"]) or not set(t["members"]) <= set(sids):
            err(f"treaty {t['id']} members")
    cids = [c["id"] for c in doc["community"]]
    if len(set(cids)) != len(cids):
        err("duplicate community ids")
    for c in doc["community"]:
        if len(set(c["members"])) != len(c["members"]) or not set(c["members"]) <= set(sids):
            err(f"community {c['id']} members")
    for k in ("trust", "identity"):
        unit(doc["defaults"][k], f"defaults.{k}")
    seen = set()
    for dy in doc["dyad"]:
        a, b = dy["states"]
        key = frozenset((a, b))
        if a == b or a not in sids or b not in sids:
            err(f"dyad {a}-{b} bad states")
        if key in seen:
            err(f"dyad {a}-{b} listed twice")
        seen.add(key)
        unit(dy["trust"], f"dyad {a}-{b} trust")
        unit(dy["identity"], f"dyad {a}-{b} identity")
        if dy["trade"] < 0 or dy["distance"] < 0:
            err(f"dyad {a}-{b} negative trade/distance")
        if not isinstance(dy["contiguous"], bool):
            err(f"dyad {a}-{b} contiguous not bool")
        if dy["contiguous"] and dy["distance"] > 300:
            err(f"dyad {a}-{b} contiguous but {dy['distance']} km apart")
    n = len(sids)
    if len(seen) != n * (n - 1) // 2:
        err(f"{len(seen)} dyads, expected {n * (n - 1) // 2}")
    prev = None
    for e in doc["event"]:
        at = e["at"]
        key = (at, 0) if isinstance(at, int) else (int(at[:4]), int(at[5:7]))
        if isinstance(at, str) and (len(at) != 7 or at[4] != "-" or not 1 <= key[1] <= 12):
            err(f"event date {at!r}")
        if prev is not None and key < prev:
            err(f"events out of order at {at}")
        prev = key
        if not sc["start"] <= key[0] <= sc["end"]:
            err(f"event {at} outside scenario")
        kind = e["kind"]
        if kind not in EVENT_FIELDS:
            err(f"event kind {kind}")
            continue
        for f in EVENT_FIELDS[kind]:
            if f not in e:
                err(f"event {at} {kind} lacks {f}")
        for f in ("state", "by", "aggressor", "target"):
            if f in e and e[f] not in sids:
                err(f"event {at} {f}={e[f]} unknown")
        for f in ("against", "states"):
            if f in e and not set(e[f]) <= set(sids):
                err(f"event {at} {f} unknown state")
        if "treaty" in e and e["treaty"] not in tids:
            err(f"event {at} treaty {e['treaty']} unknown")
        if "addressed_by" in e and e["addressed_by"] not in tids:
            err(f"event {at} addressed_by unknown")
        if kind in ("withdraw", "announce") and e["state"] not in \
                next(t["members"] for t in doc["treaty"] if t["id"] == e["treaty"]):
            err(f"event {at}: {e['state']} is not a member of {e['treaty']}")
        for f in ("rate", "value", "severity"):
            if f in e:
                unit(e[f], f"event {at} {f}")
        if "probability" in e and not (0 < e["probability"] <= 1):
            err(f"event {at} probability")
    if errs:
        die("generated TOML failed validation:\n  " + "\n  ".join(errs))
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output TOML (default {DEFAULT_OUT})")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        die(f"data folder not found: {a.data}\n"
            "  expected the peace-science data (README.md, cow_nmc_v7.csv, ...); pass --data DIR")
    b = build(load(a.data))
    text = render(b)
    doc = validate(text)
    with open(a.out, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print(f"wrote {a.out}", file=sys.stderr)
    if doc is not None:
        print(f"  {len(doc['state'])} states, {len(doc['treaty'])} treaties, {len(doc['community'])} "
              f"communities, {len(doc['dyad'])} dyads, {len(doc['event'])} events", file=sys.stderr)
    for pair in b["unknown"]:
        print(f"  NOTE: unexpected ATOP defence pledge {'-'.join(sorted(pair))}: treaty added with a "
              "generic id; please identify it", file=sys.stderr)
    if b["other_atop"]:
        print("  ATOP neutrality/offence pledges (not modelled): " + ", ".join(b["other_atop"]),
              file=sys.stderr)
    if b["missing_trade"]:
        print("  dyads with missing trade: " + ", ".join("-".join(p) for p in b["missing_trade"]),
              file=sys.stderr)


if __name__ == "__main__":
    main()
