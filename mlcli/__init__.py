"""The ``mlproject`` command line: a thin layer over ``compiler`` and ``mlruntime``.

It parses arguments, calls one function, prints the result and maps errors onto
exit codes. It is the only package that prints.
"""
