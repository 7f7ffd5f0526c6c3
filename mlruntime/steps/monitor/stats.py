"""Monitor step: the drift statistics, vectorised NumPy (runtime, not the compile path).

Every function takes arrays already prepared by the caller: counts over shared
bins (the last bin holds the missing values), or the sorted non-missing values
of each window. Nothing here loops over rows in Python.

- PSI: ``sum((c - r) * ln(c / r))`` over shares; an empty bin's share becomes
  ``EPSILON`` (the smoothing Evidently and most PSI write-ups use), so unseen
  categories and empty bins give a large but finite value.
- Jensen–Shannon: the distance (square root of the divergence), base 2, in [0, 1];
  equal to ``scipy.spatial.distance.jensenshannon(r, c, base=2)``.
- chi-squared: Pearson's test of homogeneity on the 2×k table of counts
  (reference, current), without continuity correction; a category seen in only
  one window is a column like any other. Equal to
  ``scipy.stats.chi2_contingency(table, correction=False)``.
- Kolmogorov–Smirnov: the two-sample statistic, with the p-value
  ``scipy.stats.ks_2samp(method="auto")`` gives: exact when both samples have at
  most ``KS_EXACT_MAX_N`` values (SciPy's own exact computation; the lattice
  path sum here only where SciPy gives up), else Smirnov's asymptotic
  distribution. For a verdict, :func:`ks_2samp_for_verdict` pays for the exact
  value only where it can change the verdict.
- Wasserstein-1: the area between the two empirical CDFs, equal to
  ``scipy.stats.wasserstein_distance``; the caller scales it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from mlruntime.steps.monitor import kolmogorov

EPSILON = 1e-4
KS_EXACT_MAX_N = 10_000  # scipy's MAX_AUTO_N: exact p-values up to this sample size

Floats = NDArray[np.float64]
Counts = NDArray[np.int64]

# scipy.special is imported where a function needs it, not here: its import (~0.2 s, most
# of it SciPy's array-API layer loading every NumPy submodule, numpy.f2py included) would
# be paid by every process that imports the monitor, even where no test needs it.


def quantile_edges(reference: Floats, bins: int) -> Floats:
    """Interior bin edges at the reference's quantiles (duplicates merged)."""
    inner = np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def numeric_counts(values: Floats, edges: Floats) -> Counts:
    """Counts per bin (``len(edges) + 1`` bins, right-closed edges), then one for NaN."""
    missing = np.isnan(values)
    n_missing = int(missing.sum())
    valid = values[~missing] if n_missing else values
    index = np.searchsorted(edges, valid, side="left")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return np.append(counts, n_missing).astype(np.int64)


def _shares(counts: Counts) -> Floats:
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def psi(reference: Counts, current: Counts, epsilon: float = EPSILON) -> float:
    """Population stability index of two count vectors over the same bins."""
    r = _shares(reference)
    c = _shares(current)
    r = np.where(r == 0, epsilon, r)
    c = np.where(c == 0, epsilon, c)
    return float(np.sum((c - r) * np.log(c / r)))


def psi_no_drift_level(reference: Counts, current: Counts) -> float:
    """What PSI averages between two samples of one distribution over these bins:
    ``(k - 1)(1/n_ref + 1/n_cur)``, ``k`` the bins either window fills (PSI is the
    J-divergence, ~ chi-squared with k - 1 degrees of freedom over the sizes). Many
    categories or a small window put it near any fixed threshold."""
    n_ref, n_cur = int(reference.sum()), int(current.sum())
    if not n_ref or not n_cur:
        return 0.0
    filled = int(np.count_nonzero(reference + current))
    return max(filled - 1, 0) * (1.0 / n_ref + 1.0 / n_cur)


def js_no_drift_level(reference: Counts, current: Counts) -> float:
    """The Jensen–Shannon distance (base 2) between two samples of one distribution over
    these bins: the divergence is a quarter of the chi-squared sum, so about
    ``sqrt(psi_no_drift_level / (8 ln 2))``."""
    return math.sqrt(psi_no_drift_level(reference, current) / (8.0 * math.log(2.0)))


def jensen_shannon(reference: Counts, current: Counts) -> float:
    """Jensen–Shannon distance, base 2, of two count vectors over the same bins."""
    from scipy import special

    p = _shares(reference)
    q = _shares(current)
    m = (p + q) / 2.0
    divergence = special.rel_entr(p, m).sum() + special.rel_entr(q, m).sum()
    return float(math.sqrt(max(divergence / math.log(2.0), 0.0) / 2.0))


def chi_squared(reference: Counts, current: Counts) -> tuple[float, float, int]:
    """Pearson chi-squared test of homogeneity: (statistic, p-value, degrees of freedom).

    The 2×k table's sums, without ``vstack``/``outer``/``np.sum``'s wrappers: a column's
    total is its two cells added, the expected counts each row total times each column
    total over the table's total (the same operations, so the same bits as the generic
    formulation, which a test keeps as the oracle)."""
    table = np.array((reference, current), dtype=np.float64)
    columns = table[0] + table[1]
    kept = columns > 0
    if not kept.all():
        table, columns = table[:, kept], columns[kept]
    dof = table.shape[1] - 1
    rows = table.sum(axis=1)
    if dof < 1 or rows[0] == 0 or rows[1] == 0:
        return 0.0, 1.0, max(dof, 0)
    expected = rows[:, np.newaxis] * columns / table.sum()
    gap = table - expected
    gap *= gap
    gap /= expected
    statistic = float(gap.sum())
    from scipy import special

    return statistic, float(special.chdtrc(dof, statistic)), dof


def chi_squared_2x2(a: int, b: int, c: int, d: int) -> float:
    """The p-value of :func:`chi_squared` for the table ``[[a, b], [c, d]]``, in scalars:
    the same operations in the same order (equal bits), without the arrays' overhead."""
    cells = [(a, b), (c, d)]
    rows = [float(a + b), float(c + d)]
    columns = [float(a + c), float(b + d)]
    kept = [j for j in (0, 1) if columns[j] > 0]
    if len(kept) < 2 or rows[0] == 0 or rows[1] == 0:
        return 1.0
    total = rows[0] + rows[1]
    statistic = 0.0
    for i in (0, 1):
        for j in (0, 1):
            expected = rows[i] * columns[j] / total
            gap = cells[i][j] - expected
            statistic += gap * gap / expected
    from scipy import special

    return float(special.chdtrc(1, statistic))


def merged_gap(reference: Floats, current: Floats) -> tuple[Floats, Floats]:
    """Both sorted arrays merged, and ``F_ref - F_cur`` just after each merged value.

    A stable sort of two sorted runs is a linear merge (timsort), so this costs
    far less than searching every value in both arrays.
    """
    n1, n2 = len(reference), len(current)
    values = np.concatenate([reference, current])
    order = np.argsort(values, kind="stable")
    merged = values[order]
    del values
    gap = np.cumsum(order < n1).astype(np.float64)  # reference values so far
    del order
    gap *= 1.0 / n1 + 1.0 / n2  # F_ref - F_cur = r/n1 - (k - r)/n2 after the k-th value
    gap -= np.arange(1, n1 + n2 + 1) / n2
    return merged, gap


def ks_statistic(reference: Floats, current: Floats) -> float:
    """Two-sample KS statistic of two sorted, non-empty arrays."""
    merged, gap = merged_gap(reference, current)
    ends = merged[:-1] != merged[1:]  # the CDFs jump only after the last of equal values
    inner = np.abs(gap[:-1][ends])
    return float(inner.max()) if len(inner) else 0.0


def ks_2samp(reference: Floats, current: Floats) -> tuple[float, float]:
    """(statistic, two-sided p-value) of two sorted, non-empty arrays, as scipy's 'auto'."""
    d = ks_statistic(reference, current)
    n1, n2 = len(reference), len(current)
    if max(n1, n2) <= KS_EXACT_MAX_N:
        return d, exact_pvalue(n1, n2, d)
    return d, ks_asymptotic_pvalue(n1, n2, d)


EXACT_BAND = 10.0  # exact p-values only within this factor of the threshold
VERDICT_EXACT_MAX_N = 2_000  # above, the asymptotic p-value (SciPy's own above 10,000)


def ks_2samp_for_verdict(
    reference: Floats, current: Floats, threshold: float
) -> tuple[float, float]:
    """(statistic, p-value) for a verdict at ``threshold``: as :func:`ks_2samp`, except
    that the exact p-value is computed only where it can decide the verdict (the
    asymptotic one within ``EXACT_BAND`` of the threshold) and where it is cheap (at
    most ``VERDICT_EXACT_MAX_N`` values per window; SciPy's exact method costs tens to
    hundreds of ms at 10,000, more per row than the whole monitor at 1M rows). Between
    2,000 and 10,000 values Smirnov's asymptotic distribution, which SciPy itself uses
    above 10,000, is within a few percent of the exact p-value."""
    d = ks_statistic(reference, current)
    return d, pvalue_for_verdict(len(reference), len(current), d, threshold)


def pvalue_for_verdict(n1: int, n2: int, d: float, threshold: float) -> float:
    """The p-value of the KS distance ``d`` between windows of ``n1`` and ``n2`` values, for
    a verdict at ``threshold`` (the policy of :func:`ks_2samp_for_verdict`): asymptotic,
    or exact where that can decide the verdict and is cheap."""
    p_value = ks_asymptotic_pvalue(n1, n2, d)
    near = threshold / EXACT_BAND <= p_value <= threshold * EXACT_BAND
    if max(n1, n2) <= VERDICT_EXACT_MAX_N and near:
        p_value = exact_pvalue(n1, n2, d)
    return p_value


def exact_pvalue(n1: int, n2: int, d: float) -> float:
    """SciPy's exact p-value (``ks_2samp(method="exact")``) of the KS distance ``d`` between
    samples of ``n1`` and ``n2`` values: the lattice path count depends on nothing else.
    The function behind ``ks_2samp`` is called directly: the wrapper's checks, its sorts
    and its own distance cost about 0.5 ms, more than the count at 1,000 values.

    Where SciPy's exact formula fails (``ks_2samp`` would warn and fall back to the
    asymptotic distribution) the lattice path sum of :func:`ks_exact_pvalue` gives the
    exact value instead (only small samples reach that branch).
    """
    g = math.gcd(n1, n2)
    if n1 // g < np.iinfo(np.int32).max / (n2 // g):  # else SciPy switches to asymp
        success, _, p_value = _exact_attempt()(n1, n2, g, d, "two-sided")
        if success:
            return float(min(max(p_value, 0.0), 1.0))
    return ks_exact_pvalue(n1, n2, d)


@functools.cache
def _exact_attempt() -> Callable[[int, int, int, float, str], tuple[bool, float, float]]:
    """SciPy's ``_attempt_exact_2kssamp`` (behind ``ks_2samp``'s exact method since SciPy
    1.5); without it, a stand-in that always fails: the lattice path sum then answers."""
    try:
        from scipy.stats._stats_py import _attempt_exact_2kssamp
    except ImportError:  # pragma: no cover - a SciPy that moved it
        return lambda n1, n2, g, d, alternative: (False, d, math.nan)
    return _attempt_exact_2kssamp  # type: ignore[no-any-return]


def ks_asymptotic_pvalue(n1: int, n2: int, d: float) -> float:
    """Smirnov's asymptotic p-value: ``kstwo.sf(d, round(n1 * n2 / (n1 + n2)))``, as scipy.

    In the tail (``n d² >= 2.2``, where scipy itself takes ``2 * smirnov(n, d)``)
    the one-sided probability is summed here, vectorised, with the
    Birnbaum–Tingey formula: the same value (to ~1e-9) at a fraction of the
    cost of ``scipy.special.smirnov`` for a large ``n``. Where scipy takes the
    Pelz–Good series, :func:`kolmogorov.pelz_good_sf` computes it (the same bits);
    where it takes the Durbin matrix (windows alike, p near 1),
    :func:`kolmogorov.durbin_sf` (to ~1e-13, without SciPy's loop over ``n``).
    """
    m, n = float(max(n1, n2)), float(min(n1, n2))
    effective = round(m * n / (m + n))
    t = effective * d * d
    if effective > 140 and 1.0 < effective * d < effective - 1 and d < 0.5 and t >= 2.2:
        return 0.0 if t >= 370.0 else min(2.0 * _smirnov(effective, d), 1.0)
    if kolmogorov.uses_pelz_good(effective, d):
        return kolmogorov.pelz_good_sf(effective, d)
    if kolmogorov.uses_durbin(effective, d):
        return kolmogorov.durbin_sf(effective, d)
    return float(np.clip(_kstwo_sf()(d, effective), 0.0, 1.0))


@functools.cache
def _kstwo_sf() -> Callable[[float, int], float]:
    """``scipy.stats.kstwo.sf``, or the function behind it when SciPy has it where it
    has had it since 1.4: the distribution object's argument checks cost about 100 µs
    a call, more than the test itself on a 10k-row window. Equal values (a test pins
    it against ``kstwo.sf``)."""
    try:
        from scipy.stats._ksstats import _kolmogn
    except ImportError:  # pragma: no cover - a SciPy that moved it
        from scipy.stats import kstwo

        return lambda d, n: float(kstwo.sf(d, n))
    return lambda d, n: float(_kolmogn(n, d, cdf=False))


def _smirnov(n: int, d: float) -> float:
    """P(D+ >= d) for n observations: Birnbaum–Tingey, every term positive, in logs."""
    j = np.arange(0, math.ceil(n * (1.0 - d)), dtype=np.float64)  # 1 - d - j/n > 0
    log_terms = (
        _log_binomials(n)[: len(j)] + (n - j) * np.log1p(-d - j / n) + (j - 1.0) * np.log(d + j / n)
    )
    top = float(log_terms.max())
    return float(d * math.exp(top) * np.exp(log_terms - top).sum())


@functools.lru_cache(maxsize=4)
def _log_binomials(n: int) -> Floats:
    """``log C(n, j)`` for j = 0..n: two thirds of a tail p-value's cost, and the same for
    every feature of a run whose columns have the same number of values."""
    from scipy import special

    j = np.arange(0, n + 1, dtype=np.float64)
    values: Floats = (
        special.gammaln(n + 1.0) - special.gammaln(j + 1.0) - special.gammaln(n - j + 1.0)
    )
    values.flags.writeable = False  # shared between calls (and threads)
    return values


def ks_exact_pvalue(n1: int, n2: int, d: float) -> float:
    """Exact P(D >= d) for samples of sizes n1, n2 without ties (a Python loop over
    ``n1 + n2`` anti-diagonals: the fallback where SciPy's exact method fails).

    D >= d exactly when the random lattice path from (0, 0) to (n1, n2), one step
    per observation in sorted order, touches ``|x * n2 - y * n1| >= h * g``
    (``g = gcd``, ``h = round(d * lcm)``). The probability mass of the path is
    carried along anti-diagonals inside that band, and the mass that steps
    onto the boundary is summed, so a tiny p-value keeps its precision
    (no ``1 - inside`` cancellation) and nothing overflows.
    """
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    h = round(d * lcm)
    if h == 0:
        return 1.0
    total = n1 + n2
    band = h * g
    mass = np.ones(1)
    low = 0  # x of mass[0] on the current anti-diagonal
    outside = 0.0
    for k in range(total):
        x = np.arange(low, low + len(mass))
        remaining = total - k
        right = mass * ((n1 - x) / remaining)
        up = mass * ((n2 - (k - x)) / remaining)
        step = np.zeros(len(mass) + 1)
        step[:-1] += up
        step[1:] += right
        xs = np.arange(low, low + len(step))
        inside = np.abs(xs * total - (k + 1) * n1) < band
        outside += float(step[~inside].sum())
        if not inside.any():
            break
        first = int(np.argmax(inside))
        last = len(inside) - int(np.argmax(inside[::-1]))
        mass = step[first:last]
        low += first
    return float(min(max(outside, 0.0), 1.0))


def wasserstein(reference: Floats, current: Floats) -> float:
    """Wasserstein-1 distance between the empirical distributions of two sorted arrays."""
    merged, gap = merged_gap(reference, current)
    return float(np.sum(np.abs(gap[:-1]) * np.diff(merged)))
