"""Runtime step ``mlproject step monitor``: reference data vs a current window.

Runtime, not the compile path (it needs NumPy, SciPy and pyarrow). One module
per concern:

- :mod:`~compiler.runtime.monitor.stats`: the drift statistics, vectorised NumPy;
- :mod:`~compiler.runtime.monitor.tables`: reading a window into typed columns;
- :mod:`~compiler.runtime.monitor.drift`: per-feature tests with the IR's method
  and threshold;
- :mod:`~compiler.runtime.monitor.quality`: data quality, schema, freshness, volume,
  performance;
- :mod:`~compiler.runtime.monitor.result`: the result and its JSON form;
- :mod:`~compiler.runtime.monitor.render`: Markdown, HTML and Prometheus text;
- :mod:`~compiler.runtime.monitor.run`: the step itself, and its command line.

The outputs, gauge names and exit codes are fixed by
:mod:`compiler.monitoring_contract`, which the ``prometheus`` target reads too.
"""
