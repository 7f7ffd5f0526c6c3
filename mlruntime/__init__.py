"""Run time: the built-in steps, serving, the model registry and lineage, the demo.

Nothing here runs during ``mlproject compile``. It reads the compiled project
through ``mlcontract`` and never imports ``compiler`` or ``targets``.
"""
