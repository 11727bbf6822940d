"""Exports of stored runs in other communities' formats.

- ``submission``: the MLPerf submission layout (``sciml-mlflow export mlperf``);
- ``official``: running MLCommons' own checkers and scorer (mlperf-logging) on what we produce.
"""
