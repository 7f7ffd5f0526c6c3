"""The runtime: the built-in steps the generated pipelines call (``mlproject step ...``).

This package is separate from the compile path. ``mlproject compile`` never
imports it, because it needs scikit-learn, pandas and pyarrow. Each step reads
the compiled configuration (the IR as JSON, at ``pipeline_layout.CONFIG``) and
``params.yaml``, never the YAML spec, and writes the paths named in
``mlcontract.pipeline_layout``: the contract it shares with the ``dvc`` target.
"""
