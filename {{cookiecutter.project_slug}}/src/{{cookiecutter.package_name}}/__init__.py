"""{{ cookiecutter.project_name }}: a reproducible {{ cookiecutter.task }} pipeline.

Pure core: `config`, `schema`, `features`, `metrics`. Edges: `data_io` (files), `tracking`
(MLflow), `plots` (images), `stages` (DVC entry points) and `cli`.
"""

TASK = "{{ cookiecutter.task }}"
