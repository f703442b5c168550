"""Registry operations, run by `make register`, `promote`, `history`, `retire` and `bento-model`
(not DVC stages: they change the MLflow registry and the BentoML store, not files DVC tracks).
Every change of an alias leaves an audit event on the versions involved (`audit`, `trail`)."""
