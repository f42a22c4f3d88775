"""Verdicts of A vs B for one metric of one benchmark: the statistics of
scripts/compare (see docs/comparing.md).

  better / worse   the U test says the two differ (q < alpha after the
                   Benjamini-Hochberg adjustment over the whole table)
  same             not different, and the spread and n were enough to see a
                   change of the threshold size (minimum detectable effect)
  inconclusive     not different, but a change of the threshold size could
                   have been missed: says how many repetitions would see it;
                   or different, but within the drift band (the canaries'
                   largest change between the sides): "inconclusive (drift)"
"""
import functools
import math
from statistics import NormalDist

import results as R

POWER = 0.80  # of the minimum detectable effect
# Asymptotic relative efficiency of the U test against the t test on
# normal data (3/pi): it needs pi/3 times the repetitions.
U_EFFICIENCY = 3.0 / math.pi


def _ranks(xs):
    """Ranks from 1, ties given their average rank; and the tie term
    sum(t^3 - t) over groups of t equal values."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks, ties, i = [0.0] * len(xs), 0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    return ranks, ties


def utest(a, b):
    """Two-sided Mann-Whitney U p-value, computed the way scipy's
    mannwhitneyu does by default (the test compare.py runs): exact when a
    side has at most 8 values and nothing ties, else the normal
    approximation with tie and continuity corrections.  1.0 when every
    value on both sides is the same."""
    n1, n2 = len(a), len(b)
    if not n1 or not n2 or len(set(a) | set(b)) <= 1:
        return 1.0
    ranks, ties = _ranks(list(a) + list(b))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    u = max(u1, n1 * n2 - u1)
    if (n1 <= 8 or n2 <= 8) and not ties:
        cdf = _u_cdf(min(n1, n2), max(n1, n2))
        p = 2.0 * (1.0 - cdf[int(u) - 1]) if u >= 1 else 2.0
    else:
        n = n1 + n2
        s = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1.0))))
        p = 2.0 * NormalDist().cdf(-(u - n1 * n2 / 2.0 - 0.5) / s)
    return min(1.0, max(0.0, p))


def min_p(na, nb):
    """The smallest two-sided p-value the U test can give for these sizes
    (every B above every A)."""
    if not na or not nb:
        return 1.0
    return min(1.0, 2.0 / math.comb(na + nb, na))


def utest_min_n(alpha):
    """Repetitions per side below which the U test cannot reach alpha."""
    n = 1
    while min_p(n, n) > alpha:
        n += 1
    return n


def _z(alpha):
    return NormalDist().inv_cdf(1.0 - alpha / 2.0) + NormalDist().inv_cdf(POWER)


def mde(sd_a, sd_b, na, nb, alpha):
    """The relative change (0.1 = 10 %) the U test sees with POWER at
    alpha, from each side's spread of the logarithms (normal theory scaled
    by the U test's efficiency).  None when a spread is unknown."""
    if sd_a is None or sd_b is None or not na or not nb:
        return None
    se = math.sqrt((sd_a ** 2 / na + sd_b ** 2 / nb) / U_EFFICIENCY)
    return math.expm1(_z(alpha) * se)


def reps_needed(sd_a, sd_b, threshold, alpha):
    """Repetitions per side to see a change of threshold (0.1 = 10 %)."""
    need = utest_min_n(alpha)
    if sd_a is None or sd_b is None or threshold <= 0:
        return need
    per = (_z(alpha) / math.log1p(threshold)) ** 2 * \
        (sd_a ** 2 + sd_b ** 2) / U_EFFICIENCY
    return max(need, math.ceil(per))


@functools.lru_cache(maxsize=64)
def _u_cdf(m, n):
    """P(U <= u) for u = 0..m*n under the null, no ties: the coefficients
    of the Gaussian binomial [m+n choose m] over C(m+n, m)."""
    size = m * n + 1
    poly = [1] + [0] * (size - 1)
    for i in range(1, m + 1):
        for k in range(size - 1, n + i - 1, -1):  # times (1 - q^(n+i))
            poly[k] -= poly[k - n - i]
        for k in range(i, size):                 # over (1 - q^i)
            poly[k] += poly[k - i]
    total = math.comb(m + n, m)
    out, acc = [], 0
    for c in poly:
        acc += c
        out.append(acc / total)
    return out


def ratio_ci(a, b, level=0.95):
    """(estimate, lo, hi, confidence) of B/A: the Hodges-Lehmann shift of
    the logarithms and its distribution-free interval (the one that goes
    with the U test), at level, or at the best confidence these sizes
    allow when they are too few for level.  None when a value is <= 0."""
    m, n = len(a), len(b)
    if not m or not n or min(a) <= 0 or min(b) <= 0 or m * n > 40000:
        return None
    la, lb = [math.log(x) for x in a], [math.log(y) for y in b]
    d = sorted(y - x for x in la for y in lb)
    est = math.exp(R.median(d))
    cdf = _u_cdf(min(m, n), max(m, n))
    c = 0  # P(U <= c - 1) <= (1 - level) / 2, the largest such c
    while c < len(cdf) and cdf[c] <= (1.0 - level) / 2.0:
        c += 1
    c = max(c, 1)
    if 2 * c > len(d):
        return (est, None, None, None)
    conf = 1.0 - 2.0 * cdf[c - 1]
    return (est, math.exp(d[c - 1]), math.exp(d[len(d) - c]), conf)


def benjamini_hochberg(rows):
    """Sets row["q"]: p-values adjusted for the false discovery rate over
    every row that has one, so that a table of hundreds of rows does not
    flag a few by chance alone."""
    judged = sorted((r for r in rows if r["p"] is not None),
                    key=lambda r: r["p"])
    m = len(judged)
    q = 1.0
    for k in range(m, 0, -1):
        r = judged[k - 1]
        q = min(q, r["p"] * m / k)
        r["q"] = q


def side_stats(xs):
    """One side of a row: n, median, its CI, the spread and stability."""
    lo, hi, level = R.median_ci(xs)
    st = R.stability(xs)
    return {"n": len(xs), "median": R.median(xs), "ci_lo": lo, "ci_hi": hi,
            "ci_level": level, "cv": st["cv"], "log_sd": R.log_sd(xs),
            "unstable": st["unstable"], "why": st["why"]}


def new_row(metric, va, vb):
    """A row with the statistics that need no other row (q comes from
    benjamini_hochberg(), the verdict from decide())."""
    row = {"metric": metric, "a": side_stats(va), "b": side_stats(vb),
           "higher_is_better": bool(R.HIGHER_IS_BETTER.search(metric)),
           "gated": bool(R.GATED.search(metric)),
           "ratio": None, "delta_pct": None, "ratio_ci": None, "p": None,
           "q": None, "verdict": "", "mde_pct": None, "reps_needed": None,
           "regression": False, "drift": False, "without_band": None}
    if not va or not vb:
        row["verdict"] = "missing in " + ("A" if not va else "B")
        return row
    ma, mb = row["a"]["median"], row["b"]["median"]
    if ma:
        row["ratio"] = mb / ma
        row["delta_pct"] = (row["ratio"] - 1.0) * 100.0
    row["ratio_ci"] = ratio_ci(va, vb)
    row["p"] = utest(va, vb)
    return row


def _went_up(row):
    if row["ratio"] is not None and row["ratio"] != 1.0:
        return row["ratio"] > 1.0
    if row["ratio_ci"]:
        return row["ratio_ci"][0] > 1.0
    return row["b"]["median"] > row["a"]["median"]


def _worse(row):
    return _went_up(row) != row["higher_is_better"]


def beyond_band(row, band):
    """Whether B/A's interval (else its estimate) lies wholly outside
    [exp(-band), exp(band)]."""
    ci = row["ratio_ci"]
    if ci and ci[1] is not None:
        lo, hi = ci[1], ci[2]
    else:
        lo = hi = ci[0] if ci else row["ratio"]
    if lo is None:
        return True
    return lo > math.exp(band) or hi < math.exp(-band)


def decide(row, alpha, threshold, band=None):
    """Sets row["verdict"] (better, worse, same, inconclusive), the minimum
    detectable effect, the repetitions a threshold-size change needs, and
    row["regression"]: worse beyond threshold (0.1 = 10 %) on a gated
    metric.  band (|log B/A|, or None): a worse or better whose interval
    stays within it becomes inconclusive with row["drift"] set, and
    row["without_band"] keeps the verdict and regression it would have."""
    if row["verdict"] or row["p"] is None:
        return
    a, b = row["a"], row["b"]
    effect = mde(a["log_sd"], b["log_sd"], a["n"], b["n"], alpha)
    row["mde_pct"] = None if effect is None else effect * 100.0
    if row["q"] is not None and row["q"] < alpha:
        row["verdict"] = "worse" if _worse(row) else "better"
    elif min_p(a["n"], b["n"]) <= alpha and effect is not None and \
            effect <= threshold:
        row["verdict"] = "same"
    else:
        row["verdict"] = "inconclusive"
        row["reps_needed"] = reps_needed(a["log_sd"], b["log_sd"],
                                         threshold, alpha)
    beyond = row["delta_pct"] is not None and \
        abs(row["delta_pct"]) > threshold * 100.0
    row["regression"] = row["verdict"] == "worse" and row["gated"] and beyond
    if band is not None and row["verdict"] in ("worse", "better") and \
            not beyond_band(row, band):
        row["without_band"] = {"verdict": row["verdict"],
                               "regression": row["regression"]}
        row["verdict"], row["drift"], row["regression"] = \
            "inconclusive", True, False
