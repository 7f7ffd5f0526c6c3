"""The contract between compile time and run time.

``compiler`` writes ``mlproject.compiled.json`` (the IR, see ``ir`` and
``ir_codec``); ``mlruntime`` reads it. The IR, its codec, the file layout of a
compiled project, the monitoring metric names and the error model are the only
code both sides import.
"""
