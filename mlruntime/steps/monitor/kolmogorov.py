"""Monitor step: the Kolmogorov distribution's survival function where SciPy's costs most.

``scipy.stats.kstwo.sf(d, n)`` (Simard and L'Ecuyer's choice of method by ``n`` and
``d``) computes, for ``n > 140`` and ``n d² < 2.2`` away from the Durbin matrix's
corner, the Pelz–Good series with a dozen small NumPy arrays: about 70 µs a
call, more than the KS distance itself on a 10k-row window, once per numeric
feature. :func:`pelz_good_sf` is the same series in Python floats, with the
same operations in the same order: the same bits (a test pins it against
SciPy over a grid of ``n`` and ``d``). Where SciPy takes the Durbin matrix for
``n > 140`` (windows nearly alike), :func:`durbin_sf` computes it without SciPy's
loop over ``n``. The other branches stay SciPy's.

Pelz and Good (1976), as in Simard and L'Ecuyer, "Computing the Two-Sided
Kolmogorov–Smirnov Distribution", J. Stat. Softw. 39(11), 2011:
``P(D_n <= x) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5`` with ``z = x√n``,
each ``K_i`` a theta-function series in ``q = exp(-π²/(8z²))``.
"""

from __future__ import annotations

import contextlib
import functools
import math
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

PI_SQUARED = math.pi**2
PI_FOUR = math.pi**4
PI_SIX = math.pi**6
SQRT_2PI = math.sqrt(2 * math.pi)
SQRT_3 = math.sqrt(3)
MIN_LOG = -708  # exp underflows below: the CDF is 0

PELZ_GOOD_MIN_N = 141  # SciPy computes n <= 140 otherwise (Durbin, Pomeranz)
PELZ_GOOD_MAX_NX2 = 2.2  # above, SciPy's SF is 2 * smirnov(n, x) (stats._smirnov here)
DURBIN_MAX_N = 100_000  # up to it, SciPy takes the Durbin matrix where n x^1.5 <= 1.4
DURBIN_MAX_NX15 = 1.4


def uses_pelz_good(n: int, x: float) -> bool:
    """Whether ``kstwo.sf(x, n)`` is SciPy's Pelz–Good branch (``_kolmogn``'s tests, in
    its order: not a Ruben–Gambino end, not ``x >= 0.5``, not the Durbin matrix)."""
    return _series_or_matrix(n, x) and not _durbin_corner(n, x)


def _series_or_matrix(n: int, x: float) -> bool:
    """``_kolmogn``'s tests before it picks Pelz–Good or Durbin's matrix for ``n > 140``:
    not a Ruben–Gambino end, not ``x >= 0.5``, not the tail (``n x² >= 2.2``)."""
    t = n * x
    if n < PELZ_GOOD_MIN_N or not 0.0 < x < 0.5 or t <= 1.0 or t >= n - 1:
        return False
    return t * x < PELZ_GOOD_MAX_NX2


def _durbin_corner(n: int, x: float) -> bool:
    return n <= DURBIN_MAX_N and n * x**1.5 <= DURBIN_MAX_NX15


def pelz_good_sf(n: int, x: float) -> float:
    """``1 - P(D_n <= x)`` by the Pelz–Good series, clipped to [0, 1] (:func:`uses_pelz_good`
    says where SciPy uses it)."""
    return min(max(1.0 - _pelz_good_cdf(n, x), 0.0), 1.0)


def _pelz_good_cdf(n: int, x: float) -> float:
    z = math.sqrt(n) * x
    z2, z3, z4, z6 = z**2, z**3, z**4, z**6
    qlog = -PI_SQUARED / 8 / z2
    if qlog < MIN_LOG:
        return 0.0
    q = math.exp(qlog)
    k1a, k1b = -z2, PI_SQUARED / 4
    k2a = 6 * z6 + 2 * z4
    k2b = (2 * z4 - 5 * z2) * PI_SQUARED / 4
    k2c = PI_FOUR * (1 - 2 * z2) / 16
    k3d = PI_SIX * (5 - 30 * z2) / 64
    k3c = PI_FOUR * (-60 * z2 + 212 * z4) / 16
    k3b = PI_SQUARED * (135 * z4 - 96 * z6) / 4
    k3a = -30 * z6 - 90 * z**8
    # Horner in q^(8k) over the odd m = 2k - 1, from the last term down
    k0 = k1 = k2 = k3 = 0.0
    top = math.ceil(16 * z / math.pi)
    for k in range(top, 0, -1):
        m2 = (2 * k - 1) ** 2
        m4, m6 = m2 * m2, m2 * m2 * m2
        power = q ** (8 * k)
        k0 = k0 * power + 1.0
        k1 = k1 * power + (k1a + k1b * m2)
        k2 = k2 * power + (k2a + k2b * m2 + k2c * m4)
        k3 = k3 * power + (k3a + k3b * m2 + k3c * m4 + k3d * m6)
    k0, k1, k2, k3 = (k * q * SQRT_2PI for k in (k0, k1, k2, k3))
    k0, k1, k2, k3 = k0 / z, k1 / (6 * z4), k2 / (72 * z**7), k3 / (6480 * z**10)
    # The sums over every integer k (K2's and K3's extra terms), largest k first, added
    # as NumPy's sum adds up to 8 terms: the first, plus the sum of the others in order.
    q = math.exp(-PI_SQUARED / 2 / z2)
    sqrt3z = SQRT_3 * z

    def terms(k: int) -> tuple[float, float]:
        k2s = k * k
        weight = k2s * q**k2s
        return weight, (sqrt3z + math.pi * k) * (sqrt3z - math.pi * k) * k2s * q**k2s

    first2, first3 = terms(top)
    rest2 = rest3 = 0.0
    for k in range(top - 1, 0, -1):
        term2, term3 = terms(k)
        rest2 += term2
        rest3 += term3
    k2 += (first2 + rest2) * (PI_SQUARED * SQRT_2PI / (-36 * z3))
    k3 += (first3 + rest3) * (PI_SQUARED * SQRT_2PI / (216 * z6))
    return k0 + k1 / math.pow(n, 0.5) + k2 / math.pow(n, 1.0) + k3 / math.pow(n, 1.5)


def uses_durbin(n: int, x: float) -> bool:
    """Whether ``kstwo.sf(x, n)`` is SciPy's Durbin-matrix branch for ``n > 140``: a
    distance so small for its ``n`` (``n x^1.5 <= 1.4``) that the windows are alike and
    the p-value is close to 1. SciPy ends that branch with a Python loop over the ``n``
    factors of ``n!/n^n`` (4-8 ms at n = 10,000, 70-150 ms at 100,000 on a quiet
    machine; more on a busy one): a slow corner of a window nearly equal to its reference."""
    return _series_or_matrix(n, x) and _durbin_corner(n, x)


# Terms this much smaller than the matrix's largest (a factorial's inverse: 1/100! is
# 1e-158) change no digit of the result, but their products are subnormal numbers,
# which make a matrix product a hundred times slower: they are set to zero.
NEGLIGIBLE = 1e-100


def _flushed(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    magnitude = np.abs(matrix)
    matrix[magnitude < magnitude.max() * NEGLIGIBLE] = 0.0
    return matrix


def _one_blas_thread() -> AbstractContextManager[object]:
    """The products on one BLAS thread: OpenBLAS splits even a 100 x 100 product
    between its threads, and on a busy machine their hand-offs cost a hundred times
    the product (3 ms -> 360 ms for n = 100,000 on two busy cores; SciPy's own
    kstwo.sf pays it too)."""
    controller = _controller()
    if controller is None:
        return contextlib.nullcontext()
    limit: AbstractContextManager[object] = controller.limit(limits=1, user_api="blas")
    return limit


@functools.cache
def _controller() -> ThreadpoolController | None:
    """threadpoolctl comes with scikit-learn (the runtime extra's), not declared apart:
    the generated requirement locks list what the extras name."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a scikit-learn without it
        return None
    return ThreadpoolController()  # scans the loaded libraries once (ms)


SCALE_LOG2 = 128  # the matrix power is rescaled by 2^-128 when its element grows past 2^128


def durbin_sf(n: int, x: float) -> float:
    """``1 - P(D_n <= x)`` by Durbin's matrix (Marsaglia, Tsang and Wang, "Evaluating
    Kolmogorov's Distribution", J. Stat. Softw. 8(18), 2003): ``P(D_n < x)`` is
    ``n!/n^n`` times the (k, k) element of ``H^n``, ``k = ceil(n x)``, H an m x m
    matrix (``m = 2k - 1``) of ``1/i!`` terms with corrections by ``h = k - n x`` in
    its first column and last row. The power by squaring, rescaled as it grows; the
    factor ``n!/n^n`` in logarithms (``lgamma``), not as n products: the same value as
    SciPy's to about 1e-13 (a test compares them), in a millisecond or less."""
    k = math.ceil(n * x)
    h = k - n * x
    m = 2 * k - 1
    factorials = np.array([math.factorial(i) for i in range(m + 1)], dtype=np.float64)
    inverse = 1.0 / factorials  # 1/i!, i = 0..m
    rows = np.arange(m)[:, None] - np.arange(m)[None, :] + 1  # i - j + 1
    matrix = np.where(rows >= 0, inverse[np.clip(rows, 0, m)], 0.0)
    powers = h ** np.arange(1, m + 1)
    matrix[:, 0] = (1.0 - powers) * inverse[1 : m + 1]
    matrix[-1, :] = matrix[:, 0][::-1]
    matrix[-1, 0] = (1.0 - 2.0 * h**m + max(2.0 * h - 1.0, 0.0) ** m) * inverse[m]
    matrix = _flushed(matrix)
    result = np.eye(m)
    result_scale = matrix_scale = 0
    remaining = n
    with _one_blas_thread():
        while remaining:
            if remaining % 2:
                result = _flushed(result @ matrix)
                result_scale += matrix_scale
            matrix = _flushed(matrix @ matrix)
            matrix_scale *= 2
            if abs(matrix[k - 1, k - 1]) > 2.0**SCALE_LOG2:
                matrix /= 2.0**SCALE_LOG2
                matrix_scale += SCALE_LOG2
            remaining //= 2
    element = float(result[k - 1, k - 1])
    if element <= 0.0:
        return 1.0
    log_cdf = (
        math.log(element) + result_scale * math.log(2.0) + math.lgamma(n + 1.0) - n * math.log(n)
    )
    cdf = math.exp(log_cdf) if log_cdf < 0.0 else 1.0
    return min(max(1.0 - cdf, 0.0), 1.0)
