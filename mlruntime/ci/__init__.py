"""What the generated GitHub Actions jobs run (runtime, not the compile path).

Each job of the github target is a few steps, each one ``mlproject`` command
with its inputs in ``env:``; the logic lives here, in tested Python, not in
shell inside YAML: the pull-request report, the release (gate, register, push
the tag), publishing a version to the model store, deploying one environment
(render, apply, wait, roll back), the monitor window and the latency gate.
:mod:`mlcli.ci` is the thin click layer over these modules.
"""
