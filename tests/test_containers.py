"""Tier 2 (seconds): the generated containers, compose stack and Kubernetes manifests, statically.

hadolint on every Dockerfile, the compose spec's schema, kubernetes-validate on the rendered
production and canary overlays and the batch-scoring CronJob, shellcheck on the MLflow
entrypoint, the log shipper and the CronJob's command,
promtool on the stack's Prometheus config, alert rules and their unit tests (both tasks), the
Grafana dashboard's metrics, and the rules behind them: non-root users, probes, resource limits, a
read-only root filesystem and an image tag that is never `latest`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.helpers import TEMPLATE

TOOLS = Path(sys.executable).parent
DOCKERFILES = ("Dockerfile", "deploy/mlflow/Dockerfile")
RELEASED_TAG = "model-3-0123abc"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("containers")
    return Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output)))


@pytest.fixture(scope="module")
def manifests(project) -> list[dict]:
    """`make k8s-render IMAGE_TAG=...` output, parsed (needs kustomize or kubectl)."""
    if not (shutil.which("kustomize") or shutil.which("kubectl")):
        pytest.fail("neither kustomize nor kubectl is installed (.ci/run installs kubectl)")
    rendered = subprocess.run(["make", "--silent", "k8s-render", f"IMAGE_TAG={RELEASED_TAG}"],
                              cwd=project, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


def by_kind(manifests: list[dict], kind: str) -> dict:
    (found,) = [doc for doc in manifests if doc["kind"] == kind]
    return found


def check(*command: str, cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_hadolint_finds_nothing(project, dockerfile):
    """hadolint reports no error, warning or info (its one ignore is justified inline)."""
    check(str(TOOLS / "hadolint"), dockerfile, cwd=project)


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_images_run_as_a_numeric_non_root_user(project, dockerfile):
    """The last USER of every Dockerfile is a non-zero uid."""
    users = [line.split()[1] for line in (project / dockerfile).read_text().splitlines()
             if line.startswith("USER ")]  # fmt: skip
    assert users, dockerfile
    assert users[-1].split(":")[0] not in {"0", "root"}


def test_compose_file_matches_the_compose_spec(project):
    """check-jsonschema's vendored compose-spec schema accepts docker-compose.yml."""
    check(str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
          str(project / "docker-compose.yml"))  # fmt: skip


def test_compose_stack_has_postgres_minio_mlflow_dev_and_service(project):
    """The team stack: MLflow on PostgreSQL proxying artifacts to MinIO, plus dev and service."""
    services = yaml.safe_load((project / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "minio", "buckets", "mlflow", "dev", "service"} <= set(services)
    mlflow = services["mlflow"]["environment"]
    assert mlflow["BACKEND_STORE_URI"].startswith("postgresql://")
    assert mlflow["ARTIFACTS_DESTINATION"].startswith("s3://")
    entrypoint = (project / "deploy/mlflow/entrypoint.sh").read_text()
    assert "--serve-artifacts" in entrypoint
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{port} is published beyond this machine"


def test_passwords_come_from_a_git_ignored_env_file(project):
    """.env.example is committed, .env is ignored, and compose reads every password from it."""
    assert ".env" in (project / ".gitignore").read_text().splitlines()
    example = dict(
        line.split("=", 1) for line in (project / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    compose = (project / "docker-compose.yml").read_text()
    for key in (
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_PASSWORD",
        "MLFLOW_ADMIN_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    ):
        assert key in example
        assert f"${{{key}" in compose


def test_mlflow_entrypoint_passes_shellcheck(project):
    """The tracking server's start script is clean POSIX sh."""
    check(str(TOOLS / "shellcheck"), str(project / "deploy/mlflow/entrypoint.sh"))


def test_devcontainer_uses_the_dev_image_extensions_and_make_setup(project):
    """VS Code attaches to the dev Dockerfile with Python, Ruff and Jupyter, then `make setup`."""
    config = json.loads((project / ".devcontainer/devcontainer.json").read_text())
    assert config["build"]["dockerfile"] == "../Dockerfile"
    assert config["postCreateCommand"] == "make setup"
    assert set(config["customizations"]["vscode"]["extensions"]) == {
        "ms-python.python", "charliermarsh.ruff", "ms-toolsai.jupyter"
    }  # fmt: skip


def test_rendered_manifests_pass_kubernetes_validate(project, manifests):
    """kubernetes-validate (strict) accepts every rendered resource."""
    check(str(TOOLS / "kubernetes-validate"), "--strict", "build/k8s.yaml", cwd=project)
    kinds = {doc["kind"] for doc in manifests}
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}


def test_deployment_runs_the_released_tag_never_latest(manifests):
    """The image is pinned to the tag the release passed in."""
    (container,) = by_kind(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"].endswith(f":{RELEASED_TAG}")


def test_rendering_refuses_the_latest_tag(project):
    """`make k8s-render IMAGE_TAG=latest` stops with a message instead of rendering."""
    result = subprocess.run(["make", "k8s-render", "IMAGE_TAG=latest"], cwd=project,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "IMAGE_TAG=latest is refused" in result.stderr


def test_image_tag_needs_the_labels_of_a_build(project):
    """`make image-tag` without build/oci-labels names the target to run instead of a bad tag."""
    result = subprocess.run(["make", "--silent", "image-tag"], cwd=project,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "run make oci-labels" in result.stderr
    assert result.stdout == ""


def test_deployment_is_non_root_probed_and_limited(manifests):
    """Non-root, no privilege escalation, startup/readiness on /readyz, liveness on /livez."""
    pod = by_kind(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    probes = {name: container[name]["httpGet"]["path"]
              for name in ("startupProbe", "readinessProbe", "livenessProbe")}  # fmt: skip
    assert probes == {"startupProbe": "/readyz", "readinessProbe": "/readyz",
                      "livenessProbe": "/livez"}  # fmt: skip
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])


def test_pods_are_scraped_by_prometheus(manifests):
    """Prometheus annotations point at BentoML's /metrics on the service port."""
    annotations = by_kind(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"


CANARY_TAG = "model-4-4567def"


@pytest.fixture(scope="module")
def canary_manifests(project, tmp_path_factory) -> tuple[Path, list[dict]]:
    """`make k8s-render OVERLAY=canary` output, written beside (not over) build/k8s.yaml."""
    rendered = subprocess.run(
        ["make", "--silent", "k8s-render", "OVERLAY=canary", f"IMAGE_TAG={RELEASED_TAG}",
         f"CANARY_TAG={CANARY_TAG}"], cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    path = tmp_path_factory.mktemp("canary") / "k8s.yaml"
    path.write_text(rendered.stdout)
    return path, [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


def deployments_by_track(manifests: list[dict]) -> dict[str, dict]:
    deployments = [doc for doc in manifests if doc["kind"] == "Deployment"]
    return {d["spec"]["selector"]["matchLabels"]["track"]: d for d in deployments}


def test_canary_overlay_passes_kubernetes_validate(canary_manifests):
    """The canary overlay renders the champion's resources plus one canary Deployment, valid."""
    path, manifests = canary_manifests
    check(str(TOOLS / "kubernetes-validate"), "--strict", str(path))
    kinds = sorted(doc["kind"] for doc in manifests)
    assert kinds == sorted(
        ["Deployment", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]
    )


def test_canary_runs_the_challenger_image_labelled_with_its_model_version(canary_manifests):
    """Each track's pods run their own tag and carry its `model-<version>` label."""
    tracks = deployments_by_track(canary_manifests[1])
    assert set(tracks) == {"stable", "canary"}
    for track, tag in (("stable", RELEASED_TAG), ("canary", CANARY_TAG)):
        template = tracks[track]["spec"]["template"]
        (service,) = template["spec"]["containers"]
        assert service["image"].endswith(f":{tag}")
        assert template["metadata"]["labels"]["app.kubernetes.io/version"] == tag.rsplit("-", 1)[0]


def test_one_service_selects_both_tracks_and_deployments_do_not_overlap(canary_manifests):
    """The Service's selector matches both tracks' pods; each Deployment selects only its own."""
    manifests = canary_manifests[1]
    selector = by_kind(manifests, "Service")["spec"]["selector"]
    tracks = deployments_by_track(manifests)
    for track, deployment in tracks.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        other = next(d for name, d in tracks.items() if name != track)
        assert not other["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_canary_share_of_traffic_is_one_replica_in_ten_at_the_hpa_minimum(canary_manifests):
    """One fixed canary replica beside the champion's HPA minimum of nine; the HPA scales only
    the champion's Deployment."""
    manifests = canary_manifests[1]
    tracks = deployments_by_track(manifests)
    hpa = by_kind(manifests, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == tracks["stable"]["metadata"]["name"]
    assert tracks["canary"]["spec"]["replicas"] / (hpa["minReplicas"] + 1) == 0.1


def test_canary_without_its_tag_is_refused_in_one_line(project):
    """`make k8s-render OVERLAY=canary` without CANARY_TAG names what to pass."""
    result = subprocess.run(["make", "--no-print-directory", "k8s-render", "OVERLAY=canary"],
                            cwd=project, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "OVERLAY=canary needs CANARY_TAG=model-<challenger's version>-<git sha>" in result.stderr
    assert result.stdout == ""


def pod_spec(manifests: list[dict]) -> dict:
    return by_kind(manifests, "Deployment")["spec"]["template"]["spec"]


def env_of(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}


def mount_path(container: dict, volume: str) -> str:
    (path,) = [m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume]
    return path


def log_shipper(manifests: list[dict]) -> dict:
    (shipper,) = [c for c in pod_spec(manifests)["initContainers"] if c["name"] == "log-shipper"]
    return shipper


def test_prediction_log_is_on_a_volume_where_its_env_points(manifests):
    """The service writes PREDICTION_LOG_DIR, an emptyDir mount; the root fs stays read-only."""
    pod = pod_spec(manifests)
    (service,) = pod["containers"]
    log_dir = env_of(service)["PREDICTION_LOG_DIR"]
    (volume,) = [v for v in pod["volumes"] if v.get("emptyDir") is not None
                 and mount_path(service, v["name"]) == log_dir]  # fmt: skip
    assert volume["emptyDir"]["sizeLimit"]
    assert service["securityContext"]["readOnlyRootFilesystem"] is True


def test_log_shipper_is_a_native_sidecar_on_the_same_volume(manifests):
    """An init container with restartPolicy Always runs the project's log push (`make
    logs-push`'s) on the service's log folder, from the same image, read-only root fs,
    resources limited."""
    pod = pod_spec(manifests)
    (service,) = pod["containers"]
    shipper = log_shipper(manifests)
    assert shipper["restartPolicy"] == "Always"
    assert shipper["image"] == service["image"]
    log_dir = env_of(service)["PREDICTION_LOG_DIR"]
    assert env_of(shipper)["PREDICTION_LOG_DIR"] == log_dir
    volume = next(m["name"] for m in service["volumeMounts"] if m["mountPath"] == log_dir)
    assert mount_path(shipper, volume) == log_dir
    assert ".monitoring.shipping as s" in shipper["args"][0]
    assert "s.push(pathlib.Path(os.environ['PREDICTION_LOG_DIR'])" in shipper["args"][0]
    assert shipper["securityContext"]["readOnlyRootFilesystem"] is True
    assert shipper["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"cpu", "memory"} <= set(shipper["resources"]["limits"])


def test_log_shipper_credentials_come_from_a_secret(manifests):
    """The log store's URL and credentials are a Secret reference, never literal values."""
    shipper = log_shipper(manifests)
    (source,) = shipper["envFrom"]
    assert source["secretRef"]["name"].endswith("-log-store")
    literal = set(env_of(shipper))
    assert literal == {"PACKAGE", "PREDICTION_LOG_DIR", "LOG_SHIP_SECONDS", "HOME"}


def test_log_shipper_script_passes_shellcheck(manifests, tmp_path):
    """The sidecar's loop is clean POSIX sh and ships once more on SIGTERM."""
    shipper = log_shipper(manifests)
    assert shipper["command"] == ["sh", "-c"]
    script = tmp_path / "ship.sh"
    script.write_text("#!/bin/sh\n" + shipper["args"][0], encoding="utf-8")
    check(str(TOOLS / "shellcheck"), "--severity=style", str(script))
    assert "trap 'ship; exit 0' TERM" in shipper["args"][0]


@pytest.fixture(scope="module")
def batch_manifests(project, tmp_path_factory) -> tuple[Path, list[dict]]:
    """deploy/k8s/batch rendered with the image pinned as the README says (a copy of it)."""
    folder = tmp_path_factory.mktemp("batch") / "batch"
    shutil.copytree(project / "deploy" / "k8s" / "batch", folder)
    kustomization = folder / "kustomization.yaml"
    text = kustomization.read_text().replace("newTag: unreleased", f"newTag: {RELEASED_TAG}")
    kustomization.write_text(text)
    build = ["kustomize", "build"] if shutil.which("kustomize") else ["kubectl", "kustomize"]
    rendered = check(*build, str(folder))
    path = folder.parent / "batch.yaml"
    path.write_text(rendered)
    return path, [doc for doc in yaml.safe_load_all(rendered) if doc]


def score_container(manifests: list[dict]) -> dict:
    pod = by_kind(manifests, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return container


def test_batch_cronjob_passes_kubernetes_validate(batch_manifests):
    """deploy/k8s/batch renders one CronJob, valid (strict), in the project's namespace."""
    path, manifests = batch_manifests
    check(str(TOOLS / "kubernetes-validate"), "--strict", str(path))
    (cronjob,) = manifests
    assert cronjob["kind"] == "CronJob"
    assert cronjob["metadata"]["namespace"] == cronjob["metadata"]["name"].removesuffix("-score")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"


def test_batch_cronjob_scores_with_the_released_images_packed_model(batch_manifests):
    """The job runs the CLI's `score --packed` in the released image (never `latest`), in the
    bento's sources, non-root with a read-only root fs and limits; its URLs and credentials
    come from a Secret."""
    container = score_container(batch_manifests[1])
    assert container["image"].endswith(f":{RELEASED_TAG}")
    assert container["workingDir"] == "/home/bentoml/bento/src"
    assert container["command"] == ["sh", "-c"]
    assert 'python -m "src.${PACKAGE}.cli" score --packed' in container["args"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    (source,) = container["envFrom"]
    assert source["secretRef"]["name"].endswith("-score-store")
    assert set(env_of(container)) == {"PACKAGE", "SCORE_CHUNK_ROWS", "HOME"}


def test_batch_cronjob_script_passes_shellcheck(batch_manifests, tmp_path):
    """The job's command is clean POSIX sh."""
    script = tmp_path / "score.sh"
    script.write_text("#!/bin/sh\n" + score_container(batch_manifests[1])["args"][0])
    check(str(TOOLS / "shellcheck"), "--severity=style", str(script))


# What the service exposes on /metrics (BentoML's request metrics, the project's counters and
# histogram of DESIGN's names) plus Prometheus's own `up`; test_gate scrapes a served bento and
# checks the same names against its real /metrics.
SERVICE_METRICS = {
    "up", "bentoml_service_request_total", "bentoml_service_request_duration_seconds_bucket",
    "prediction_log_records_total", "prediction_log_dropped_total",
}  # fmt: skip
TASK_METRICS = {
    "classification": {"predictions_total"},
    "regression": {"predicted_value_bucket", "predicted_value_count", "predicted_value_sum"},
}
DRIFT_ALERTS = {
    "classification": {"PredictedClassShareShifted"},
    "regression": {"PredictedValueMedianShifted", "PredictedValueMeanShifted"},
}
# A selector followed by a range (`name[5m]`, `name{...}[5m]`) or by labels (`name{...}`).
SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\s*(?:\{[^}]*\}\s*)?\[|([A-Za-z_:][\w:]*)\{")


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is not installed: `make setup` (Debian's prometheus package)"
    return found


@pytest.fixture(scope="module", params=["classification", "regression"])
def task_project(request, project, tmp_path_factory) -> tuple[str, Path]:
    """The default (classification) bake, and a regression bake."""
    if request.param == "classification":
        return request.param, project
    output = tmp_path_factory.mktemp("containers-regression")
    baked = cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output),
                         extra_context={"task": "regression"})  # fmt: skip
    return request.param, Path(baked)


def metric_names(expression: str) -> set[str]:
    return {a or b for a, b in SELECTOR.findall(expression)}


def rule_files(project: Path) -> list[Path]:
    return sorted((project / "deploy/prometheus/rules").glob("*.yml"))


def test_prometheus_config_and_rules_pass_promtool(task_project):
    """`promtool check config` (which loads rules/*.yml) and `promtool check rules` succeed."""
    _, project = task_project
    output = check(promtool(), "check", "config", "deploy/prometheus/prometheus.yml", cwd=project)
    assert "SUCCESS" in output
    check(promtool(), "check", "rules", *map(str, rule_files(project)))


def test_alert_rules_unit_tests_pass(task_project):
    """`promtool test rules` on synthetic series: drift and dropped-log alerts fire after the
    shift, and not before."""
    _, project = task_project
    tests = sorted((project / "deploy/prometheus/tests").glob("*.test.yml"))
    assert [path.name for path in tests] == ["drift.test.yml", "service.test.yml"]
    output = check(promtool(), "test", "rules", *map(str, tests))
    assert output.count("SUCCESS") == 2


def test_alert_rules_cover_drift_dropped_logs_and_availability(task_project):
    """The task's drift alerts, the dropped-log alert and ServiceDown, on exposed metrics."""
    task, project = task_project
    groups = [
        group
        for path in rule_files(project)
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    rules = [rule for group in groups for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == {
        "ServiceDown", "PredictionLogDropping", *DRIFT_ALERTS[task]
    }  # fmt: skip
    used = set().union(*(metric_names(rule["expr"]) for rule in rules))
    assert used <= SERVICE_METRICS | TASK_METRICS[task]
    assert "prediction_log_dropped_total" in used
    assert TASK_METRICS[task] & used


def test_grafana_dashboard_is_provisioned_and_uses_only_exposed_metrics(task_project):
    """The dashboard JSON parses, shows requests, latency and the task's predictions, names the
    provisioned data source, and queries only metrics the service exposes."""
    task, project = task_project
    (path,) = (project / "deploy/grafana/dashboards").glob("*.json")
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    datasources = yaml.safe_load(
        (project / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    uids = {source["uid"] for source in datasources}
    expressions = []
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids, panel["title"]
        expressions += [target["expr"] for target in panel["targets"]]
    used = set().union(*map(metric_names, expressions))
    assert used <= SERVICE_METRICS | TASK_METRICS[task]
    assert {"bentoml_service_request_total",
            "bentoml_service_request_duration_seconds_bucket"} <= used  # fmt: skip
    assert TASK_METRICS[task] & used
    assert "{{" in json.dumps(dashboard)  # legend templates survived cookiecutter verbatim


def test_compose_monitoring_profile_mounts_the_configs(project):
    """Prometheus and Grafana (profile monitoring) read deploy/prometheus and deploy/grafana;
    Grafana's dashboard folder is the one its provider loads."""
    services = yaml.safe_load((project / "docker-compose.yml").read_text())["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert prometheus["profiles"] == grafana["profiles"] == ["monitoring"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    providers = yaml.safe_load(
        (project / "deploy/grafana/provisioning/dashboards/dashboards.yml").read_text()
    )["providers"]
    (provider,) = providers
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in grafana["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    config = yaml.safe_load((project / "deploy/prometheus/prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["service:3000"]
    assert "service" in services
