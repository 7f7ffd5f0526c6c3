"""Synthetic daily product demand for the demand example (deterministic, no downloads).

Run ``python examples/demand/make_data.py`` to (re)write ``data/daily_demand.csv``:
one row per product and day, the same bytes on every run. Demand follows a
weekly and a yearly cycle, reacts to price, promotions, holidays and the
weather, and carries Poisson noise; ``units_sold_lag_7`` (the demand a week
earlier) is empty for each product's first week.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240115
START = "2023-01-01"
DAYS = 500
PRODUCTS = ("bread", "coffee", "milk")

# Base units a day, list price, weekly profile (Mon..Sun) and sensitivity to warmth.
_BASE = {"bread": 120.0, "coffee": 45.0, "milk": 90.0}
_PRICE = {"bread": 2.49, "coffee": 8.99, "milk": 1.29}
_WEEK = {
    "bread": (0.9, 0.85, 0.9, 0.95, 1.1, 1.35, 1.2),
    "coffee": (1.1, 1.05, 1.0, 1.0, 1.0, 0.85, 0.8),
    "milk": (1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.1),
}
_WARMTH = {"bread": 0.0, "coffee": -0.03, "milk": 0.01}
_HOLIDAYS = ("01-01", "04-07", "05-01", "07-04", "10-03", "12-24", "12-25", "12-26", "12-31")


def make_demand(days: int = DAYS, seed: int = SEED, start: str = START) -> pd.DataFrame:
    """Daily demand of every product over ``days`` days from ``start``."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    day_of_year = dates.day_of_year.to_numpy()
    # One temperature series shared by all products: a yearly cycle plus weather noise.
    temperature = 11.0 - 9.0 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    temperature = temperature + rng.normal(0.0, 3.0, size=days)
    holiday = np.isin(dates.strftime("%m-%d"), _HOLIDAYS)

    frames = []
    for product in PRODUCTS:
        promotion = rng.random(days) < 0.12
        discount = np.where(promotion, rng.choice([0.10, 0.20, 0.25], size=days), 0.0)
        price = np.round(_PRICE[product] * (1.0 - discount) * rng.normal(1.0, 0.02, size=days), 2)
        weekly = np.array(_WEEK[product])[dates.day_of_week.to_numpy()]
        trend = 1.0 + 0.0004 * np.arange(days)  # slow growth of the shop
        expected = (
            _BASE[product]
            * weekly
            * trend
            * np.exp(_WARMTH[product] * (temperature - 11.0))  # warm days: less coffee
            * (price / _PRICE[product]) ** -1.6  # price elasticity
            * np.where(promotion, 1.25, 1.0)  # promotion visibility beyond the discount
            * np.where(holiday, 0.6, 1.0)  # the shop closes early on holidays
        )
        units = rng.poisson(expected).astype(np.int64)
        lag = pd.Series(units).shift(7).astype("Int64")
        temp = np.round(temperature, 1)
        temp_obs = np.where(rng.random(days) < 0.02, np.nan, temp)  # weather-feed gaps
        frames.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "product": product,
                    "day_of_week": dates.day_of_week.to_numpy(),
                    "month": dates.month.to_numpy(),
                    "price": price,
                    "promotion": promotion,
                    "holiday": holiday,
                    "temperature_c": temp_obs,
                    "units_sold_lag_7": lag,
                    "units_sold": units,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["date", "product"], kind="stable").reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` with fixed formatting, so equal data gives equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.2f", lineterminator="\n")


def main() -> None:
    out = Path(__file__).resolve().parent / "data" / "daily_demand.csv"
    frame = make_demand()
    write_csv(frame, out)
    print(f"wrote {out} ({len(frame)} rows)")


if __name__ == "__main__":
    main()
