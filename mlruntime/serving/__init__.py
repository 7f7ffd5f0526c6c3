"""Serving runtime: ``mlproject serve``, ``mlproject loadtest`` and ``mlproject step score``.

Runtime, not the compile path: these modules read the compiled configuration
(:data:`mlcontract.pipeline_layout.CONFIG`) and a model version, and run real
things (an MLServer process, an HTTP load, a batch scoring). pandas, joblib and
scikit-learn are imported inside the functions that need them; MLServer only
ever runs as a subprocess.

- :mod:`.project`: the compiled project and which model version to use;
- :mod:`.artifacts`: that version's model bytes (work tree, git, DVC cache or
  local remote), checked against the hashes DVC recorded;
- :mod:`.materialise`: a self-contained MLServer model repository for it;
- :mod:`.server`: the MLServer process: ports, start, readiness, stop;
- :mod:`.serve`: the whole ``serve`` session, from version to ready endpoint;
- :mod:`.samples`: feature rows (PII dropped) and V2 inference requests;
- :mod:`.loadgen`, :mod:`.calibration`: the open-loop load generator and its
  own overhead against a trivial server;
- :mod:`.report`, :mod:`.loadtest`: percentiles, SLO verdicts, the command
  (its progress events are rendered by the CLI, :mod:`mlcli.progress`);
- :mod:`.score`: batch scoring with lineage columns.
"""

from __future__ import annotations
