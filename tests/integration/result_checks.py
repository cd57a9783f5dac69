#!/usr/bin/env python3
"""The checks of it_result_schema.sh, in one process (python starts slowly):

  result_checks.py craft IN OUT
  result_checks.py SCHEMA DIR...

craft writes OUT: IN with steps whose histograms are hard cases for the
percentile rule (counts that are multiples of 1000, values over the whole
range), for `wsgate report OUT --format json` to give their C figures.

Each DIR holds a result.json and, for a run, what `wsgate report` rendered
from it: report.csv (--format csv) and gitlab.json (--format
gitlab-load-performance). Checks that SCHEMA is valid JSON Schema 2020-12 and each result fits it;
that tools/wsgate_hist.py decodes every histogram to exactly the figures
the C code wrote; that the CSV and GitLab figures agree with the result;
and that each check notices a result tampered with its way. Prints what
differs and exits 1 when anything does.
"""
import copy
import csv
import json
import os
import sys

from jsonschema import Draft202012Validator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import wsgate_hist  # noqa: E402

PCTS = {"p50": 50, "p90": 90, "p95": 95, "p99": 99, "p99_9": 99.9}


class Problems(list):
    def expect(self, where, got, want):
        if got != want or type(got) is not type(want):
            self.append("%s: %r, want %r" % (where, got, want))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_schema(validator, r, out):
    for e in validator.iter_errors(r):
        out.append("schema: %s: %s" % ("/".join(map(str, e.absolute_path)), e.message))


def check_step(where, step, out):
    h = wsgate_hist.Hist(step["histogram"])
    lat = step["latency_us"]
    out.expect(where + " count", h.count, lat["count"])
    out.expect(where + " ok", h.count, step["ok"])
    if h.count == 0:
        return
    out.expect(where + " min", h.min, lat["min"])
    out.expect(where + " max", h.max, lat["max"])
    # avg is written with 15 significant digits (cJSON), not to the bit
    if abs(h.mean() - lat["avg"]) > 1e-14 * h.mean():
        out.append("%s avg: %r, want %r" % (where, lat["avg"], h.mean()))
    for key, p in PCTS.items():
        out.expect("%s %s" % (where, key), h.percentile(p), lat[key])


def check_hist(r, out):
    for step in r["steps"] + (r["baseline"]["steps"] if r["baseline"] else []):
        check_step("step " + step["name"], step, out)
    for sec in r["series"]:
        kinds = sec.get("errors_by_kind")
        if kinds is not None:  # the kinds add up to the second's errors
            out.expect("second %d errors by kind" % sec["t"], sum(kinds.values()), sec["errors"])
        for name, s in sec["steps"].items():
            h = wsgate_hist.Hist(s["histogram"])
            where = "second %d step %s" % (sec["t"], name)
            out.expect(where + " count", h.count, s["count"])
            for key, p in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
                out.expect("%s %s" % (where, key), h.percentile(p) / 1000, float(s[key]))


def check_csv(r, rows, out):
    names = [s["name"] for s in r["steps"]]
    out.expect("csv rows", len(rows), len(r["series"]) * len(names))
    ok = dict.fromkeys(names, 0)
    totals = dict.fromkeys(("sent", "received", "errors"), 0)
    for row in rows:
        sec = r["series"][int(row["second"])]
        ok[row["step"]] += int(row["ok"])
        s = sec["steps"].get(row["step"])
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            out.expect("csv second %s %s %s" % (row["second"], row["step"], key),
                       float(row[key]) if row[key] else None, float(s[key]) if s else None)
        if row["step"] == "connect":
            for key in totals:
                totals[key] += int(row[key])
    for step in r["steps"]:
        out.expect("csv ok of " + step["name"], ok[step["name"]], step["ok"])
    out.expect("csv sent", totals["sent"], r["messages"]["sent"])
    out.expect("csv received", totals["received"], r["messages"]["received"])
    out.expect("csv errors", totals["errors"], sum(sec["errors"] for sec in r["series"]))


def check_gitlab(r, g, out):
    main = next(s for s in r["steps"] if s["name"] == r["main_step"])
    m = g["metrics"]
    out.expect("gitlab http_reqs.count", m["http_reqs"]["count"], main["ok"] + main["failed"])
    lat = main["latency_us"]
    if lat["count"]:
        for key, field in (("med", "p50"), ("p(90)", "p90"), ("p(95)", "p95"), ("min", "min"),
                           ("max", "max")):
            out.expect("gitlab http_req_waiting " + key, float(m["http_req_waiting"][key]),
                       lat[field] / 1000)
    else:
        out.expect("gitlab http_req_waiting", "http_req_waiting" in m, False)
    fails = sum(not a["passed"] for a in r["assertions"])
    if r["assertions"]:
        out.expect("gitlab checks.fails", m["checks"]["fails"], fails)
        out.expect("gitlab checks.passes", m["checks"]["passes"], len(r["assertions"]) - fails)


def check_dir(validator, d):
    out = Problems()
    r = load(os.path.join(d, "result.json"))
    check_schema(validator, r, out)
    check_hist(r, out)
    if os.path.exists(os.path.join(d, "report.csv")):
        with open(os.path.join(d, "report.csv"), newline="", encoding="utf-8") as f:
            check_csv(r, list(csv.DictReader(f)), out)
        check_gitlab(r, load(os.path.join(d, "gitlab.json")), out)
    return ["%s: %s" % (d, p) for p in out]


def encode(values):
    """hist_encode of values (an encoder for the test only)."""
    buckets = {}
    for v in values:
        top = v.bit_length() - 1
        i = v if v < 2048 else 2048 + (top - 11) * 1024 + (v >> (top - 10)) - 1024
        buckets[i] = buckets.get(i, 0) + 1
    pairs = ",".join("%d:%d" % (i, buckets[i]) for i in sorted(buckets))
    return "v1;%d;%d;%d;%d;%s" % (len(values), min(values), max(values), sum(values), pairs)


def craft(src, dst):
    r = load(src)
    cases = {
        "1 to 1000": list(range(1, 1001)),
        "2000 over 9 decades": [int(1500 * 1.01**k) for k in range(2000)],
        "99.9% fast": [5000] * 99900 + [10**9] * 100,
    }
    steps = [r["steps"][0]]
    for name, values in cases.items():
        steps.append({"name": name, "ok": len(values), "failed": 0, "histogram": encode(values)})
    r.update(steps=steps, main_step=steps[1]["name"], series=[], baseline=None)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(r, f)


def set_path(r, path, fn):
    """Applies fn to the value at path (a list of keys) in a copy of r."""
    r = copy.deepcopy(r)
    o = r
    for k in path[:-1]:
        o = o[k]
    o[path[-1]] = fn(o.get(path[-1]))
    return r


def tamper(validator, d):
    """Each check must notice its break; a new top-level key is allowed."""
    r = load(os.path.join(d, "result.json"))
    last = len(r["steps"]) - 1
    step = r["steps"][last]["name"]
    cases = [
        (check_schema, ["verdict"], lambda v: "maybe", True),
        (check_schema, ["steps", 0, "latency_us", "extra"], lambda v: 1, True),
        (check_schema, ["errors", "timeout", "samples"], lambda v: ["a", "b", "c", "d"], True),
        (check_schema, ["generator"], lambda v: {"name": "wsgate"}, False),
        (check_hist, ["steps", last, "latency_us", "p99"], lambda v: v + 1, True),
        (check_hist, ["series", 1, "steps", step, "p50_ms"], lambda v: v + 0.001, True),
    ]
    problems = []
    for fn, path, change, caught in cases:
        out = Problems()
        if fn is check_schema:
            fn(validator, set_path(r, path, change), out)
        else:
            fn(set_path(r, path, change), out)
        if bool(out) != caught:
            problems.append("%s %s: %s" % (fn.__name__, path, "missed" if caught else out))
    return problems


def main(argv):
    if argv[1] == "craft":
        craft(argv[2], argv[3])
        return
    schema = load(argv[1])
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    problems = []
    for d in argv[2:]:
        problems += check_dir(validator, d)
    problems += tamper(validator, argv[2])
    for p in problems[:30]:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main(sys.argv)
