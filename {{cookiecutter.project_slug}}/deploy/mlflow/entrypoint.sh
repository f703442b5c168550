#!/bin/sh
# Start the tracking server; with MLFLOW_AUTH=true, behind basic auth whose admin password
# comes from the environment (written to MLflow's auth config, never to the image).
set -eu
set -- --host 0.0.0.0 --port 5000 \
    --backend-store-uri "${BACKEND_STORE_URI}" \
    --artifacts-destination "${ARTIFACTS_DESTINATION}" --serve-artifacts
if [ "${MLFLOW_AUTH:-false}" = "true" ]; then
    : "${MLFLOW_ADMIN_PASSWORD:?MLFLOW_AUTH=true needs MLFLOW_ADMIN_PASSWORD}"
    config="${HOME}/basic_auth.ini"
    # Users and permissions live in a SQLite file in the container; admin is re-created from
    # the environment on every start.
    printf '%s\n' "[mlflow]" "default_permission = READ" \
        "database_uri = sqlite:///${HOME}/basic_auth.db" \
        "admin_username = admin" "admin_password = ${MLFLOW_ADMIN_PASSWORD}" \
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth" \
        > "${config}"
    export MLFLOW_AUTH_CONFIG_PATH="${config}"
    set -- "$@" --app-name basic-auth
fi
exec mlflow server "$@"
