"""A reproducible machine-learning pipeline: DVC stages, MLflow tracking, scikit-learn, BentoML.

Pure core (no I/O):
  task           what the task means: estimators, scores, plot data, the shape of answers
  config         typed params.yaml
  data_contract  what raw and prepared tables must look like (pandera)
  feature_matrix features as one float matrix: the contract's value rules, the model's copy for it
  estimator      the estimator pipeline: impute, scale, the configured estimator
  split          the seeded train/test split
  metrics        scores of a fitted model, thresholds, the promotion rule
  charts         what each evaluation image shows
  api            the HTTP API: types, feature bounds, body limits, OpenAPI description
  reports.markdown  the pull-request report, the gate's verdict, the model card
  registry.audit     the audit trail's events as tags, the history table, retirement's choice
  monitoring.drift   drift tests per window, the k-of-n rule, live scores, the verdict
  monitoring.shifts  synthetic traffic: the test split as it is or shifted (`make traffic`)
  scoring.batches  batch scoring: a chunk of rows -> validated features -> a predictions table
Names shared by many modules:
  paths          every file the pipeline, registry steps and reports read or write
  vocabulary     aliases, MLflow tag keys, BentoML label keys
  errors         expected failures and the one-line rule for showing them
Edges:
  data_io        files: the configured source, tables, JSON, md5
  tracking       MLflow (the only module that imports it)
  git            git
  plots          PNG images (matplotlib)
  service        the HTTP service (BentoML)
  model_loader   the served model read from its MLflow folder with skops, without MLflow
  request_guard  what reaches it: request ids, content types, body sizes, bounded errors (ASGI)
  prediction_log the service's log of answered rows and feedback (JSON lines, background thread)
  stages/        DVC stage entry points: ingest, prepare, api_schema, train, evaluate
  registry/      register, promote, retire, trail (audit events in, history out), bento_store
  reports.facts  what the reports say, gathered from git, uv, MLflow and the pipeline's files
  release        the container image's OCI labels
  monitoring/    reference profile, logs reader, report, monitor, traffic sender, shipping
  scoring/       `make score`: run (input files or URLs, the model, the Parquet writer)
  cli            the command line the Makefile runs
"""
