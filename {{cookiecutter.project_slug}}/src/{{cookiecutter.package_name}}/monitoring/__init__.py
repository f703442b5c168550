"""Monitoring: production compared with the model's reference profile (`make monitor`).

`drift` and `shifts` are pure; `reference`, `logs`, `report`, `traffic` and `shipping` are the
edges (files, HTTP, object stores); `monitor` puts them together for the command line.
"""
