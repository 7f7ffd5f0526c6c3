"""``mlproject demo``: the whole lifecycle of an example, end to end, offline.

Runtime, not the compile path. The demo drives the same commands a user or a
generated workflow runs (``mlproject compile``, ``dvc repro``, ``mlproject
register|promote|serve|loadtest|lineage`` and the ``step monitor|decide|abtest``
steps), each as a real subprocess, against a fresh git repository made from an
example. Only the "world" is simulated: production traffic drawn from the
example's own data generator with a growing shift, late-arriving labels, and
A/B outcomes.

- :mod:`.plan`: sizes, seeds and the drift schedule (default and ``--quick``);
- :mod:`.workspace`: the working directory, git identity, environment;
- :mod:`.runner`: subprocesses, their logs, loud failures;
- :mod:`.timeline`: progress lines and the final timeline;
- :mod:`.state`: what the phases share, and the simulated clock;
- :mod:`.serving`: ``mlproject serve`` in the background, stopped by PID;
- :mod:`.traffic`: V2 inference requests and the prediction log;
- :mod:`.windows`: a window as the monitor reads it, and as training data;
- :mod:`.experiment`: the simulated A/B outcomes;
- :mod:`.phases` / :mod:`.lifecycle`: the nine phases;
- the click command is :mod:`mlcli.demo`.
"""

from __future__ import annotations
