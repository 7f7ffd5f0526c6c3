"""Runtime step ``mlproject step monitor``: reference data vs a current window.

Runtime, not the compile path (it needs NumPy, SciPy and pyarrow). One module
per concern:

- :mod:`~mlruntime.steps.monitor.stats`: the drift statistics, vectorised NumPy;
- :mod:`~mlruntime.steps.monitor.tables`: reading a window into typed columns;
- :mod:`~mlruntime.steps.monitor.drift`: per-feature tests with the IR's method
  and threshold;
- :mod:`~mlruntime.steps.monitor.quality`: data quality, schema, freshness, volume,
  performance;
- :mod:`~mlruntime.steps.monitor.result`: the result and its JSON form;
- :mod:`~mlruntime.steps.monitor.render`: Markdown, HTML and Prometheus text;
- :mod:`~mlruntime.steps.monitor.run`: the step itself, and its command line.

The outputs, gauge names and exit codes are fixed by
:mod:`mlcontract.monitoring_contract`, which the ``prometheus`` target reads too.
"""
