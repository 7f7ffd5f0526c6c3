"""``python -m mlcli`` runs the mlproject CLI."""

from __future__ import annotations

from mlcli.app import main

main()
