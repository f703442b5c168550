"""A reproducible {{ cookiecutter.task }} pipeline: DVC stages, MLflow tracking, scikit-learn.

Pure core: `config`, `schema`, `features`, `metrics`. Edges: `data_io` (files), `tracking`
(MLflow), `plots` (images), `stages` (DVC entry points) and `cli`.
"""

TASK = "{{ cookiecutter.task }}"
