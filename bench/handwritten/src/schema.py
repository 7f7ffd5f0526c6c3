"""The churn data's declared schema, copied by hand from the spec."""

COLUMNS = {
    "customer_id": {"type": "string"},
    "email": {"type": "string"},
    "event_date": {"type": "datetime"},
    "tenure_months": {"type": "integer", "min": 0, "max": 72},
    "monthly_charges": {"type": "float", "min": 0, "max": 200},
    "total_charges": {"type": "float", "min": 0, "max": 20000, "nullable": True},
    "support_calls": {"type": "integer", "min": 0, "max": 30},
    "data_usage_gb": {"type": "float", "min": 0, "max": 500, "nullable": True},
    "late_payments": {"type": "integer", "min": 0, "max": 12},
    "contract": {"type": "category", "categories": ["month-to-month", "one-year", "two-year"]},
    "payment_method": {
        "type": "category",
        "categories": ["bank-transfer", "credit-card", "electronic-check", "mailed-check"],
    },
    "region": {"type": "category", "categories": ["east", "north", "south", "west"]},
    "churned": {"type": "integer", "min": 0, "max": 1},
}
TEXT = [name for name, column in COLUMNS.items() if column["type"] in ("string", "category")]
DATES = [name for name, column in COLUMNS.items() if column["type"] == "datetime"]
TARGET = "churned"
