"""Registry operations, run by `make register`, `make promote` and `make bento-model` (not DVC
stages: they change the MLflow registry and the BentoML store, not files DVC tracks)."""
