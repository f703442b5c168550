"""Tier 4 (`container`, the slowest): the release image, built with podman and answering.

No registry can be reached, so `python:3.11-slim` is stood in for by a Debian bookworm image built
here with debootstrap (Python 3.11, pip, the host's CA bundle). Then, like the release workflow:
bake, `make setup repro register build`, `make image` (bentoml containerize, podman backend), run
the image on 127.0.0.1, wait for /readyz, POST the golden payload and compare with the registry
champion's own prediction, check the user is not root and that the image (built in two stages
by deploy/bento/Dockerfile.j2) holds no build tool and loads its modules from bytecode, report
build time, image size and the size of each layer. Skipped only when podman cannot be used here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.helpers import CHAMPION_PROBE, TEMPLATE, free_port, http_ok, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.container]

BASE_IMAGE = "docker.io/library/python:3.11-slim"
IMAGE = "localhost/container-test"
CONTAINERS_CONF = '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\n'  # noqa: E501
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# What building needs and serving does not: compilers, make, git, gnupg, uv (the final stage of
# the image has only the base image, the venv and the bento).
BUILD_TOOLS = ("cc", "gcc", "g++", "make", "git", "gpg", "uv", "uvx")


def podman(env: dict[str, str], *args: str, timeout: int = 1800) -> str:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, env=env,
                            timeout=timeout)  # fmt: skip
    assert result.returncode == 0, f"podman {' '.join(args)}:\n{result.stderr[-4000:]}"
    return result.stdout.strip()


@pytest.fixture(scope="module")
def podman_env(tmp_path_factory) -> dict[str, str]:
    """Podman with the settings this kind of host needs (runc, explicit ulimits)."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (`make setup` installs it as root on Debian)")
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    probe = subprocess.run(["podman", "info"], capture_output=True, text=True, env=env)
    if probe.returncode != 0:
        pytest.skip(f"podman cannot run here: {probe.stderr.strip()[-300:]}")
    return env


def debian_mirror() -> str:
    """The Debian mirror this machine's apt already uses (deb822 or one-line sources)."""
    sources = Path("/etc/apt")
    for path in [*sorted(sources.glob("sources.list.d/*.sources")), sources / "sources.list"]:
        if not path.is_file():
            continue
        for match in re.finditer(r"(?:URIs:|^deb)\s+(\S+/debian)/?\s", path.read_text(), re.M):
            return match.group(1)
    pytest.skip("apt has no Debian mirror configured: the base image cannot be bootstrapped")


@pytest.fixture(scope="module")
def base_image(podman_env) -> str:
    """The stand-in for python:3.11-slim, built once per machine (debootstrap + podman import)."""
    exists = subprocess.run(["podman", "image", "exists", BASE_IMAGE], env=podman_env)
    if exists.returncode == 0:
        return BASE_IMAGE
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed (`make setup` installs it as root on Debian)")
    with tempfile.TemporaryDirectory(prefix="base-rootfs-") as rootfs:
        subprocess.run(["debootstrap", "--variant=minbase",
                        "--include=python3,python3-pip,python3-venv,ca-certificates", "bookworm",
                        rootfs, debian_mirror()],
                       check=True, capture_output=True, timeout=1200)  # fmt: skip
        root = Path(rootfs)
        # What the official image offers: `python`, a pip that installs system-wide, and (here)
        # the host's CA bundle, which the network requires.
        (root / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
        (root / "usr/bin/python").symlink_to("python3")
        shutil.copyfile(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
        shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        changes = [
            f"--change=ENV {name}={HOST_CA_BUNDLE}" for name in ("SSL_CERT_FILE", "PIP_CERT")
        ]
        subprocess.run(["podman", "import", *changes, "--change=ENV LANG=C.UTF-8", "-",
                        BASE_IMAGE], stdin=tar.stdout, env=podman_env, check=True,
                       capture_output=True, timeout=600)  # fmt: skip
        tar.wait(timeout=60)
    return BASE_IMAGE


def make(project: Path, env: dict[str, str], *targets: str) -> str:
    result = subprocess.run(["make", *targets], cwd=project, capture_output=True, text=True,
                            env=env, timeout=3000)  # fmt: skip
    assert result.returncode == 0, f"make {' '.join(targets)}:\n{result.stdout[-4000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory, podman_env) -> tuple[Path, dict[str, str]]:
    """A default bake with a registered champion and its bento."""
    output = tmp_path_factory.mktemp("image")
    baked = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output)))
    env = {**podman_env, "UV_PYTHON_DOWNLOADS": "never", "BENTOML_HOME": str(output / "bentoml")}
    env.pop("VIRTUAL_ENV", None)
    make(baked, env, "setup", "repro")
    # Released images are built from a commit: its SHA becomes a tag and a label.
    subprocess.run(["git", "add", "--all"], cwd=baked, check=True, env=env)
    subprocess.run(["git", "commit", "--quiet", "--no-verify", "--message", "Release"],
                   cwd=baked, check=True, env=env)  # fmt: skip
    make(baked, env, "register", "build")
    return baked, env


@pytest.fixture(scope="module")
def image(project, base_image) -> Iterator[tuple[str, float]]:
    """`make image` with podman; yields the image reference and the build time in seconds."""
    baked, env = project
    started = time.monotonic()
    make(baked, env, "image", "CONTAINER_TOOL=podman", f"IMAGE={IMAGE}",
         "CONTAINERIZE_OPTS=--opt network=host")  # fmt: skip
    seconds = time.monotonic() - started
    yield f"{IMAGE}:latest", seconds
    tags = podman(env, "images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE).split()
    podman(env, "rmi", "--force", *tags)


@pytest.fixture(scope="module")
def running(project, image) -> Iterator[tuple[str, int]]:
    """The image serving on a free 127.0.0.1 port; stopped and removed afterwards."""
    _, env = project
    port = free_port()
    started = time.monotonic()
    # As the Kubernetes manifest runs it: read-only root, a writable /tmp holding BentoML's home.
    container = podman(env, "run", "--detach", "--network=host", "--read-only", "--tmpfs=/tmp",
                       "--env=BENTOML_HOME=/tmp/bentoml", image[0], "serve",
                       "--host", "127.0.0.1", "--port", str(port))  # fmt: skip
    try:
        try:
            wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), "the container",
                       timeout=240)  # fmt: skip
        except AssertionError as error:
            raise AssertionError(f"{error}:\n{podman(env, 'logs', container)[-3000:]}") from None
        # Readiness scores the logged input example: the first correct prediction (polled 1/s).
        print(f"\ncontainer ready in {time.monotonic() - started:.0f} s after podman run")
        yield container, port
    finally:
        podman(env, "rm", "--force", container)


def test_image_answers_the_golden_payload_like_the_champion(project, running, image):
    """/predict on the logged input example equals the registry champion's prediction."""
    baked, env = project
    _, port = running
    probe = subprocess.run(["uv", "run", "python", "-c", CHAMPION_PROBE,
                            "breast-cancer-classifier"], cwd=baked, env=env, capture_output=True,
                           text=True, timeout=600, check=True)  # fmt: skip
    golden = json.loads(probe.stdout.strip().splitlines()[-1])
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/predict", data=json.dumps({"features": golden["row"]}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert list(answer["probabilities"].values()) == golden["expected"]
    size = int(podman(env, "image", "inspect", "--format", "{{.Size}}", image[0]))
    print(f"\nimage {image[0]}: {size / 1e6:.0f} MB, built in {image[1]:.0f} s; layers:")
    print(layer_report(env, image[0]))


def layer_report(env: dict[str, str], image: str) -> str:
    """One line per layer with content, oldest first: size in MB and the instruction."""
    lines = []
    for layer in reversed(json.loads(podman(env, "history", "--format", "json", image))):
        if layer["size"]:
            # A RUN's build arguments come first (`|4 A=b ... /bin/sh -c cmd`).
            step = re.sub(r"^\|\d+ .*? /bin/sh -c ", "RUN ", layer["CreatedBy"])
            step = step.replace("/bin/sh -c #(nop) ", "")
            lines.append(f"  {layer['size'] / 1e6:9.1f} MB  {step[:90]}")
    return "\n".join(lines)


def test_image_holds_no_build_tools(project, running):
    """No compiler, make, git, gnupg or uv on the PATH, and no uv or pip cache left behind."""
    _, env = project
    container, _ = running
    found = podman(env, "exec", "--user", "root", container, "sh", "-c",
                   f"for tool in {' '.join(BUILD_TOOLS)}; do command -v $tool; done; "
                   "ls -d /root/.cache/uv /root/.cache/pip 2>/dev/null; true")  # fmt: skip
    assert found == ""


def test_image_loads_the_service_from_bytecode(project, running):
    """Importing the service compiles nothing: every module, the packages' and the service's
    own, loads from the bytecode built into the image (the root filesystem is read-only)."""
    _, env = project
    container, _ = running
    # As `bentoml serve` sees the bento: its included files under $BENTO_PATH/src (on sys.path),
    # its model store $BENTO_PATH/models (linked into a BentoML home on the writable /tmp).
    script = ('mkdir -p /tmp/import-home && ln -sfn "$BENTO_PATH/models" /tmp/import-home/models'
              ' && cd "$BENTO_PATH/src" && BENTOML_HOME=/tmp/import-home'
              " python -v -c 'import src.breast_cancer_classifier.service'")  # fmt: skip
    trace = subprocess.run(["podman", "exec", container, "sh", "-c", script],
                           capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    errors = [line for line in trace.stderr.splitlines() if not line.startswith("#")]
    assert trace.returncode == 0, "\n".join(errors[-40:])
    # `-v` prints `code object from <file>.py` for a module compiled from its source.
    compiled = re.findall(r"^# code object from '?(\S+?\.py)'?$", trace.stderr, re.M)
    assert compiled == []
    assert "matches /app/.venv/" in trace.stderr
    assert "matches /home/bentoml/bento/src/" in trace.stderr


def test_image_runs_as_a_non_root_user(project, running):
    """The service process inside the container is not root."""
    _, env = project
    container, _ = running
    assert podman(env, "exec", container, "id", "-u") != "0"


def test_image_carries_the_lineage_labels(project, image):
    """OCI labels: the git commit and the model version, run id and data hash."""
    baked, env = project
    labels = json.loads(podman(env, "image", "inspect", "--format", "{{json .Labels}}", image[0]))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=baked, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert labels["org.opencontainers.image.revision"] == head
    assert labels["io.mlflow.model-version"] == "1"
    assert len(labels["io.mlflow.run-id"]) == 32
    assert labels["io.dvc.data-md5"]


def test_image_is_tagged_with_model_version_and_commit(project, image):
    """`make image` tags model-<n>-<sha> (what Kubernetes runs), <sha>, model-<n> and latest."""
    baked, env = project
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=baked, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    tags = podman(env, "images", "--format", "{{.Tag}}", IMAGE).split()
    assert sorted(tags) == sorted([f"model-1-{head}", head, "model-1", "latest"])
