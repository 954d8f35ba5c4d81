#!/usr/bin/python3
"""Differential-test oracle for src/period/cron.c: random robfig-valid six-field specs and
start times, with the next/previous fire times that Debian's python3-croniter computes.

Output (TSV, one case a line, '#' lines are comments):
    spec <TAB> start <TAB> next <TAB> prev
spec is in robfig's order (sec min hour dom month dow); start is unix seconds (UTC);
next is croniter's first fire time > start; prev its newest fire time <= start; '-' when
croniter finds none within 10 years. The raw croniter answers are written; the C test
(tests/unit/test_cron_diff.c) applies robfig's five-year limit itself.

croniter puts seconds last in six-field mode, so fields are reordered. Only syntax both
accept is generated, and the few places where croniter reads the same text differently
from robfig are translated or avoided (docs/cron.md lists them):
  * '?' is robfig's '*'; croniter does not know it: sent as '*'.
  * dow '*/1' keeps robfig's star bit (dom AND dow); croniter expands it to 0-7, a
    restricted field (dom OR dow): sent as '*'.
  * a restricted dom or dow that covers every day ('1-31', '0-6', '1/1') is restricted for
    robfig (OR) but '*' for croniter (AND): such specs are not generated.
  * '*' or '?' inside a list, '*-5', '+5', names in steps, 7 for Sunday: not generated
    (robfig-only or croniter-only syntax; the unit tests cover robfig's reading).

Usage: croniter_oracle.py [--seed N] [--count N]   (defaults: seed 1, 1500 specs)
"""
import argparse
import random
import sys
from datetime import datetime, timezone

from croniter import croniter, CroniterBadDateError

# robfig field order: sec, min, hour, dom, month, dow
BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
DOM, MONTH, DOW = 3, 4, 5


def value_text(rnd, field, v):
    """A number, sometimes with a leading zero, or a name in random case."""
    names = MONTHS if field == MONTH else DAYS if field == DOW else None
    if names and rnd.random() < 0.4:
        name = names[v - BOUNDS[field][0]]
        return "".join(c.upper() if rnd.random() < 0.5 else c for c in name)
    if rnd.random() < 0.05:
        return "0%d" % v
    return str(v)


def item(rnd, field):
    """One list item (never '*'); returns (robfig text, croniter text, set of values)."""
    text, values, cron_text = item_text(rnd, field)
    return text, cron_text or text, values


def item_text(rnd, field):
    lo, hi = BOUNDS[field]
    kind = rnd.random()
    if kind < 0.35:
        v = rnd.randint(lo, hi)
        return value_text(rnd, field, v), {v}, None
    a, b = sorted((rnd.randint(lo, hi), rnd.randint(lo, hi)))
    if kind < 0.6:
        text = "%s-%s" % (value_text(rnd, field, a), value_text(rnd, field, b))
        return text, set(range(a, b + 1)), None
    step = rnd.randint(1, hi - lo + 3)
    if kind < 0.8:
        return "%d-%d/%d" % (a, b, step), set(range(a, b + 1, step)), None
    # croniter reads dow "a/n" as a-7/n, and 7 is Sunday to it: spell robfig's a-6/n out
    cron_text = "%d-%d/%d" % (a, hi, step) if field == DOW else None
    return "%d/%d" % (a, step), set(range(a, hi + 1, step)), cron_text


def field_spec(rnd, field):
    """Returns (robfig text, croniter text, value set, robfig star bit)."""
    lo, hi = BOUNDS[field]
    r = rnd.random()
    if field == 0 and r < 0.3:  # most real specs fire at second 0
        return "0", "0", {0}, False
    if r < 0.3:
        star = "?" if field in (DOM, DOW) and rnd.random() < 0.3 else "*"
        return star, "*", set(range(lo, hi + 1)), True
    if r < 0.5:
        step = rnd.choice([1, 1, 2, 3, 5, 7, 10, 15, 30, hi - lo + 1, hi - lo + 5])
        text = "*/%d" % step
        cron_text = "*" if step == 1 else "0-6/%d" % step if field == DOW else text
        return text, cron_text, set(range(lo, hi + 1, step)), step == 1
    items = [item(rnd, field) for _ in range(rnd.choice([1, 1, 1, 2, 3]))]
    values = set().union(*(v for _, _, v in items))
    return ",".join(i[0] for i in items), ",".join(i[1] for i in items), values, False


def spec(rnd):
    while True:
        parts = [field_spec(rnd, f) for f in range(6)]
        full_days = any(not p[3] and len(p[2]) == BOUNDS[f][1] - BOUNDS[f][0] + 1
                        for f, p in ((DOM, parts[DOM]), (DOW, parts[DOW])))
        if not full_days:
            return parts


def to_croniter(parts):
    c = [p[1] for p in parts]
    return " ".join(c[1:] + c[:1])  # seconds last


def croniter_call(expr, start, prev):
    try:
        c = croniter(expr, start, max_years_between_matches=10)
        return int(c.get_prev(float) if prev else c.get_next(float))
    except CroniterBadDateError:
        return None


def croniter_day_or(expr, start, prev=False):
    """croniter computes dom OR dow as two searches, and gives up on both when one of them
    finds nothing (e.g. "30 2 fri": Feb 30 never comes, Fridays in February do; see
    docs/cron.md). Running the two searches here keeps the other one's answer."""
    e = croniter(expr, start).expanded
    if e[2][0] == "*" or e[4][0] == "*":
        return croniter_call(expr, start, prev)
    f = expr.split()
    dom_only = " ".join(f[:4] + ["*"] + f[5:])
    dow_only = " ".join(f[:2] + ["*"] + f[3:])
    found = [t for t in (croniter_call(dom_only, start, prev), croniter_call(dow_only, start, prev))
             if t is not None]
    return (max(found) if prev else min(found)) if found else None


def croniter_next_raw(expr, start):
    return croniter_day_or(expr, start)


def day_matches(expanded, day):
    """Whether a day (days since the epoch) matches croniter's own parse of the spec."""
    d = datetime.fromtimestamp(day * 86400, tz=timezone.utc)
    dom, month, dow = expanded[2], expanded[3], expanded[4]
    in_month = month[0] == "*" or d.month in month
    dom_ok = dom[0] == "*" or d.day in dom
    dow_ok = dow[0] == "*" or d.isoweekday() % 7 in dow
    both = dom[0] != "*" and dow[0] != "*"
    return in_month and (dom_ok or dow_ok if both else dom_ok and dow_ok)


next_corrected = 0


def croniter_next(expr, start):
    """croniter 1.3.5's get_next can jump over the first days of a month when the dom list
    holds a day the current month lacks (docs/cron.md): each day it jumped over is checked
    against croniter's own parse, and get_next is asked again from that day."""
    global next_corrected
    n = croniter_next_raw(expr, start)
    expanded = croniter(expr, start).expanded
    last_day = n // 86400 if n is not None else start // 86400 + 10 * 366
    for day in range(start // 86400 + 1, last_day):
        if day_matches(expanded, day):
            m = croniter_next_raw(expr, day * 86400 - 1)
            if m is not None and (n is None or m < n):
                next_corrected += 1
                return m
    return n


corrected = 0


def croniter_prev_le(expr, start):
    """croniter 1.3.5's get_prev skips some fire times (Feb 29 among them, see docs/cron.md),
    so its answer is moved forward over any fire get_next still finds in (prev, start]."""
    global corrected
    p = croniter_day_or(expr, start + 1, prev=True)
    if p is None:
        p = start - 10 * 366 * 86400  # it may have missed them all: walk 10 years forward
    n = croniter_next(expr, p)
    if n is not None and n <= start:
        corrected += 1
        while n is not None and n <= start:
            p, n = n, croniter_next(expr, n)
    return p if p > start - 10 * 366 * 86400 else None


# Sparse specs, to reach robfig's five-year limit and the non-leap year 2100.
FIXED = ["0 0 0 29 2 *", "0 0 0 30 2 *", "0 0 0 31 4,6,9,11 *", "0 0 12 29 2 1",
         "0 0 0 29 2 mon", "59 59 23 31 12 *", "0 0 0 29 2 */1", "0 30 12 29 feb ?",
         "0 0 0 1 1 *", "0 0 0 13 * fri", "1 2 3 29 2 *", "0 0 0 29,30 2 *"]


def fixed_cases(rnd, out):
    t0 = int(datetime(2000, 1, 1, tzinfo=timezone.utc).timestamp())
    t1 = int(datetime(2110, 1, 1, tzinfo=timezone.utc).timestamp())
    for text in FIXED:
        f = text.split()
        expr = " ".join(f[1:] + f[:1]).replace("?", "*").replace("*/1", "*")
        for _ in range(12):
            start = rnd.randint(t0, t1)
            write_case(out, text, expr, start)


def write_case(out, text, expr, start):
    n = croniter_next(expr, start)
    p = croniter_prev_le(expr, start)
    out.write("%s\t%d\t%s\t%s\n" % (text, start, "-" if n is None else n, "-" if p is None else p))


def start_times(rnd, expr):
    """A random instant, an instant at a month/year edge, and one right at a fire time."""
    t0 = int(datetime(2000, 1, 1, tzinfo=timezone.utc).timestamp())
    t1 = int(datetime(2040, 1, 1, tzinfo=timezone.utc).timestamp())
    out = [rnd.randint(t0, t1)]
    y = rnd.randint(2000, 2039)
    m = rnd.randint(1, 12)
    edge = int(datetime(y, m, 1, tzinfo=timezone.utc).timestamp()) + rnd.choice([-1, 0, 1, -86400])
    out.append(edge)
    fire = croniter_next(expr, rnd.randint(t0, t1))
    if fire is not None:
        out.append(fire + rnd.choice([-1, 0, 0, 1]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1500)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out = sys.stdout
    try:
        from importlib.metadata import version
        cv = version("croniter")
    except Exception:  # pragma: no cover - only for the comment line
        cv = "?"
    out.write("# croniter_oracle.py --seed %d --count %d (croniter %s)\n" % (args.seed, args.count, cv))
    out.write("# spec\tstart\tnext\tprev\n")
    for _ in range(args.count):
        parts = spec(rnd)
        text = " ".join(p[0] for p in parts)
        expr = to_croniter(parts)
        for start in start_times(rnd, expr):
            write_case(out, text, expr, start)
    if args.count:
        fixed_cases(rnd, out)
    out.write("# croniter get_next answers corrected: %d; get_prev answers corrected by "
              "walking get_next: %d\n" % (next_corrected, corrected))


if __name__ == "__main__":
    main()
