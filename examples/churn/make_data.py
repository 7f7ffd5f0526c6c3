"""Synthetic telecom churn data for the churn example (deterministic, no downloads).

Run ``python examples/churn/make_data.py`` to (re)write ``data/customers.csv``;
the same bytes come out on every run. Import :func:`make_window` to simulate
production traffic, optionally drifted::

    from examples.churn.make_data import make_window
    current = make_window(2000, seed=7, shift=0.6)  # pricier, more calls, unlimited plans

Churn is a logistic function of tenure, monthly charges, support calls, late
payments, contract type and payment method, plus noise, so a gradient-boosting
model reaches a ROC AUC of roughly 0.85 on a random 20% test split.

A drifted window (``shift`` > 0) also changes that relation (concept drift): a
new segment of customers on unlimited-data plans appears, recognisable by their
heavy data usage, and they churn far more than the old model says (data usage
played no part in churn before). A model trained on the old rows misranks them;
one retrained on rows that include them learns it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
ROWS = 4000
START = "2023-01-01"
DAYS = 546  # eighteen months of observations
# Concept drift (shift > 0): the share of customers on unlimited-data plans per unit of
# shift, and how much likelier they are to churn (log-odds) than their other features say.
UNLIMITED_SHARE = 0.5
UNLIMITED_CHURN = 3.0

CONTRACTS = ("month-to-month", "one-year", "two-year")
PAYMENT_METHODS = ("bank-transfer", "credit-card", "electronic-check", "mailed-check")
REGIONS = ("east", "north", "south", "west")
COLUMNS = (
    "customer_id",
    "email",
    "event_date",
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
    "data_usage_gb",
    "late_payments",
    "contract",
    "payment_method",
    "region",
    "churned",
)

_FIRST = ("ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kim", "leo")
_LAST = ("smith", "garcia", "kowalski", "nguyen", "okafor", "rossi", "silva", "tanaka", "weber")
_DOMAINS = ("example.com", "example.org", "example.net")


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def make_window(
    n: int,
    seed: int,
    shift: float = 0.0,
    *,
    start: str = START,
    days: int = DAYS,
    first_id: int = 1,
) -> pd.DataFrame:
    """``n`` customer records observed over ``days`` days from ``start``.

    ``shift`` (0 = the training distribution, 1 = strong drift) raises monthly
    charges, support calls and the share of month-to-month contracts, so the
    churn rate rises with it; and it moves ``UNLIMITED_SHARE * shift`` of the
    customers to unlimited-data plans: more data usage, and a churn log-odds
    ``UNLIMITED_CHURN`` higher than the old relation gives (shift 0: none, the
    training data's relation). ``first_id`` numbers the customers, so windows
    can be given disjoint ids.
    """
    if n < 1:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    ids = np.arange(first_id, first_id + n)

    # Contract mix moves towards month-to-month as the shift grows.
    mtm = 0.50 + 0.30 * shift
    one = (1.0 - mtm) * 0.55
    contract_idx = rng.choice(3, size=n, p=[mtm, one, 1.0 - mtm - one])
    contract = np.array(CONTRACTS, dtype=object)[contract_idx]

    # Longer contracts go with longer tenure.
    tenure_scale = np.array([14.0, 30.0, 45.0])[contract_idx]
    tenure = np.clip(np.round(rng.exponential(tenure_scale)), 0, 72).astype(np.int64)

    monthly = rng.normal(65.0 + 15.0 * shift, 22.0, size=n)
    monthly = np.round(np.clip(monthly, 18.25, 119.75), 2)

    # Billed so far: about tenure × monthly, with price changes; not billed yet at tenure 0.
    total = tenure * monthly * rng.normal(1.0, 0.05, size=n)
    total = np.where(tenure == 0, np.nan, np.round(np.clip(total, 0.0, None), 2))

    support = np.minimum(rng.poisson(1.3 * (1.0 + shift), size=n), 15).astype(np.int64)
    late = np.minimum(rng.poisson(0.6, size=n), 12).astype(np.int64)

    # The drifted period's new segment: a share of customers (half the shift) moved to
    # unlimited-data plans and use far more data. Drawn from a generator of their own,
    # so that shift 0 leaves every other draw, hence the training data, as it was.
    segment = np.random.default_rng((seed, 1))
    unlimited = segment.random(n) < UNLIMITED_SHARE * shift
    extra_usage = np.where(unlimited, segment.gamma(6.0, 10.0, size=n), 0.0)
    usage = rng.gamma(2.0, 6.0, size=n) + 0.08 * monthly + extra_usage
    usage = np.round(np.clip(usage, 0.0, 200.0), 2)
    usage[rng.random(n) < 0.03] = np.nan  # meter outages: about 3% missing

    payment_idx = rng.choice(4, size=n, p=[0.22, 0.22, 0.34, 0.22])
    payment = np.array(PAYMENT_METHODS, dtype=object)[payment_idx]
    region = np.array(REGIONS, dtype=object)[rng.choice(4, size=n, p=[0.3, 0.25, 0.25, 0.2])]

    z = (
        -2.0
        + 1.6 * (contract_idx == 0)
        - 1.0 * (contract_idx == 2)
        - 0.05 * tenure
        + 0.03 * (monthly - 65.0)
        + 0.55 * support
        + 0.45 * late
        + 0.5 * (payment_idx == 2)
        + rng.normal(0.0, 0.3, size=n)
        + UNLIMITED_CHURN * unlimited  # concept drift: a competitor courts these customers
    )
    churned = (rng.random(n) < _logistic(z)).astype(np.int64)

    offsets = np.sort(rng.integers(0, days, size=n))
    event_date = (pd.Timestamp(start) + pd.to_timedelta(offsets, unit="D")).strftime("%Y-%m-%d")

    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), size=n)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), size=n)]
    domain = np.array(_DOMAINS, dtype=object)[rng.integers(0, len(_DOMAINS), size=n)]
    email = [f"{f[0]}{s}{i}@{d}" for f, s, i, d in zip(first, last, ids, domain, strict=True)]

    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in ids],
            "email": email,
            "event_date": event_date,
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": total,
            "support_calls": support,
            "data_usage_gb": usage,
            "late_payments": late,
            "contract": contract,
            "payment_method": payment,
            "region": region,
            "churned": churned,
        }
    )
    return frame.loc[:, list(COLUMNS)]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` with fixed formatting, so equal data gives equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.2f", lineterminator="\n")


def main() -> None:
    out = Path(__file__).resolve().parent / "data" / "customers.csv"
    write_csv(make_window(ROWS, SEED), out)
    print(f"wrote {out} ({ROWS} rows)")


if __name__ == "__main__":
    main()
