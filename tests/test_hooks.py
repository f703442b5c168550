"""Tier 1 (milliseconds): the hooks' validation, JSON answer reading and pruning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException

import local_extensions
from tests.helpers import HOSTILE_TEXT, TEMPLATE, default_answers, load_hook

pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")

ANSWER_NAMES = [
    "project_name", "project_slug", "package_name", "description", "author_name",
    "author_email", "github_owner", "python_version", "task", "dvc_remote",
    "dvc_remote_url", "license",
]  # fmt: skip


def render_hook_answers(hook, answers: dict[str, str]) -> dict[str, str]:
    """Render the hook's answer block with cookiecutter's own Jinja environment and run it."""
    source = Path(hook.__file__)
    context = {"cookiecutter": answers | {"_extensions": ["local_extensions.UnicodeJson"]}}
    template = StrictEnvironment(context=context).from_string(source.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": "rendered_hook"}
    exec(compile(template.render(cookiecutter=answers), str(source), "exec"), namespace)
    return namespace["rendered_answers"]()  # type: ignore[operator]


def test_default_answers_are_valid():
    """The defaults of cookiecutter.json pass validation."""
    pre_gen.validate(default_answers())


def test_hook_reads_every_answer():
    """The pre-gen hook's JSON block covers every answer of cookiecutter.json."""
    answers = default_answers()
    assert set(render_hook_answers(pre_gen, answers)) == set(ANSWER_NAMES)
    assert set(ANSWER_NAMES) == set(answers) - {"__prompts__"}


@pytest.mark.parametrize("text", HOSTILE_TEXT.values(), ids=HOSTILE_TEXT.keys())
def test_hook_reads_hostile_text_back_unchanged(text: str):
    """Quotes, backslashes, code and unicode in an answer reach the hook exactly as typed."""
    answers = default_answers() | {"project_name": text, "description": text, "author_name": text}
    rendered = render_hook_answers(pre_gen, answers)
    assert (rendered["project_name"], rendered["description"], rendered["author_name"]) == (
        text,
        text,
        text,
    )


INVALID_ANSWERS = [
        ("project_name", "", "project_name is empty"),
        ("project_name", "   ", "project_name is empty"),
        ("project_name", "two\nlines", "project_name contains a newline"),
        ("project_name", "x" * 81, "at most 80 are allowed"),
        ("description", "x" * 301, "at most 300 are allowed"),
        ("author_name", "tab\tname", "author_name contains a newline or control character"),
        ("author_name", "", "author_name is empty"),
        ("author_name", "x" * 101, "at most 100 are allowed"),
        ("description", "", "description is empty"),
        ("description", "nul\x00byte", "description contains a newline or control character"),
        ("description", "escape\x1b[31m", "description contains a newline or control character"),
        ("project_slug", "My Project", "project_slug 'My Project' is not a valid slug"),
        ("project_slug", "../escape", "project_slug '../escape' is not a valid slug"),
        ("project_slug", "", "project_slug '' is not a valid slug"),
        ("project_slug", "double--dash", "not a valid slug"),
        ("project_slug", "9lives", "not a valid slug"),
        ("project_slug", "a" * 65, "project_slug is 65 characters long: at most 64"),
        ("project_slug", "a/b", "project_slug 'a/b' is not a valid slug"),
        ("project_slug", "a\\b", "not a valid slug"),
        ("project_slug", "/abs", "not a valid slug"),
        ("project_slug", ".hidden", "not a valid slug"),
        ("project_slug", "model.", "not a valid slug"),
        ("project_slug", "model ", "not a valid slug"),
        ("project_slug", "con", "project_slug 'con' is a device name reserved by Windows"),
        ("project_slug", "aux", "is a device name reserved by Windows"),
        ("project_slug", "com1", "is a device name reserved by Windows"),
        ("project_slug", "lpt9", "is a device name reserved by Windows"),
        ("package_name", "my-package", "not a valid Python package name"),
        ("package_name", "2fast", "not a valid Python package name"),
        ("package_name", "class", "not a valid Python package name"),
        ("package_name", "x; import os", "not a valid Python package name"),
        ("package_name", "a" * 65, "package_name is 65 characters long: at most 64"),
        ("package_name", "", "not a valid Python package name"),
        ("package_name", "pkg/sub", "not a valid Python package name"),
        ("package_name", ".pkg", "not a valid Python package name"),
        ("package_name", "_private", "not a valid Python package name"),
        ("package_name", "nul", "package_name 'nul' is a device name reserved by Windows"),
        ("package_name", "prn", "is a device name reserved by Windows"),
        ("package_name", "com0", "is a device name reserved by Windows"),
        ("package_name", "json", "shadows the Python standard library"),
        ("package_name", "email", "shadows the Python standard library"),
        ("package_name", "sklearn", "shadows a package the project depends on"),
        ("package_name", "mlflow", "shadows a package the project depends on"),
        ("package_name", "dvc", "shadows a package the project depends on"),
        ("package_name", "bentoml", "shadows a package the project depends on"),
        ("package_name", "pandas", "shadows a package the project depends on"),
        ("package_name", "test", "shadows a package the project depends on"),
        ("package_name", "tests", "shadows a package the project depends on"),
        ("author_email", "jane", "author_email 'jane' is not a valid email"),
        ("author_email", "jane@localhost", "not a valid email"),
        ("author_email", "a b@example.com", "not a valid email"),
        ("author_email", 'x"@example.com', "not a valid email"),
        ("author_email", "", "not a valid email"),
        ("author_email", ".jane@example.com", "not a valid email"),
        ("author_email", "jane.@example.com", "not a valid email"),
        ("author_email", "ja..ne@example.com", "not a valid email"),
        ("author_email", "jane@example.com.", "not a valid email"),
        ("author_email", "jane@example.com ", "not a valid email"),
        ("author_email", "x" * 250 + "@example.com", "not a valid email"),
        ("github_owner", "-leading-dash", "github_owner '-leading-dash' is not a valid GitHub"),
        ("github_owner", "has space", "not a valid GitHub"),
        ("github_owner", "x" * 40, "not a valid GitHub"),
        ("github_owner", "", "not a valid GitHub"),
        ("github_owner", "a/b", "not a valid GitHub"),
        ("github_owner", ".dot", "not a valid GitHub"),
        ("github_owner", "trailing-", "not a valid GitHub"),
        ("dvc_remote_url", "", "dvc_remote_url '' does not fit dvc_remote 'local'"),
        ("dvc_remote_url", "../" + "x" * 300, "dvc_remote_url is 303 characters long: at most 255"),
        ("dvc_remote_url", "..\\storage", "does not fit dvc_remote 'local'"),
        ("dvc_remote_url", "../storage.", "does not fit dvc_remote 'local'"),
        ("dvc_remote_url", "../storage ", "does not fit dvc_remote 'local'"),
        ("python_version", "3.10", "python_version '3.10' is not supported: choose one of"),
        ("task", "clustering", "task 'clustering' is not supported"),
        ("dvc_remote", "ftp", "dvc_remote 'ftp' is not supported"),
        ("license", "GPL-3.0", "license 'GPL-3.0' is not supported"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "value", "message"),
    [pytest.param(*case, id=f"{case[0]}={case[1][:20]!r}") for case in INVALID_ANSWERS],
)
def test_invalid_answer_is_named_in_one_line(answer: str, value: str, message: str):
    """Each invalid answer raises one line that names the answer and what is allowed."""
    with pytest.raises(pre_gen.AnswerError, match=None) as error:
        pre_gen.validate(default_answers() | {answer: value})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


# Answers at the edge of the rules that must still pass.
VALID_ANSWERS = [
    ("project_slug", "a" * 64),
    ("project_slug", "con-model"),
    ("project_slug", "com10"),
    ("package_name", "a" * 64),
    ("package_name", "console"),
    ("project_name", "x" * 80),
    ("project_name", ".hidden model"),
    ("project_name", "ends with a dot. "),
    ("description", "a/b\\c and ../../etc"),
    ("author_name", "con"),
    ("author_email", "jane.q.doe+ml@mail.example.co.uk"),
    ("github_owner", "x" * 39),
]


@pytest.mark.parametrize(
    ("answer", "value"),
    [pytest.param(*case, id=f"{case[0]}={case[1][:20]!r}") for case in VALID_ANSWERS],
)
def test_answer_at_the_edge_of_the_rules_is_accepted(answer: str, value: str):
    """Names at the length limits, device names inside longer names, and dots, slashes or
    trailing spaces in free text all pass."""
    pre_gen.validate(default_answers() | {answer: value})


# A name -> the slug cookiecutter.json derives from it.
DERIVED_SLUGS = {
    "longest-name": ("Model " + "x" * 74, "model-" + "x" * 58),
    "path-in-name": ("../a/b\\c", "a-b-c"),
    "leading-dot": (".hidden model", "hidden-model"),
    "trailing-dot-and-space": ("Churn model. ", "churn-model"),
    "unicode": ("D\u00e9tection d\u2019anomalies", "detection-danomalies"),
}


@pytest.mark.parametrize(("name", "slug"), DERIVED_SLUGS.values(), ids=DERIVED_SLUGS.keys())
def test_slug_derived_from_a_long_or_odd_name_is_valid(name: str, slug: str):
    """The default slug and package name derived from any accepted name pass the checks."""
    answers = default_answers(project_name=name)
    assert (answers["project_slug"], answers["package_name"]) == (slug, slug.replace("-", "_"))
    pre_gen.validate(answers)


def test_answer_check_is_the_last_variable():
    """cookiecutter.json renders the answer check after every answer, before any folder exists."""
    variables = list(json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8")))
    last_answer = max(variables.index(name) for name in ANSWER_NAMES)
    assert variables.index("__answers_checked") > last_answer


def test_answer_check_refuses_with_the_hooks_one_line():
    """The extension's check raises the hook's message as one ERROR line."""
    with pytest.raises(local_extensions.AnswerRefused) as error:
        local_extensions.check_answers(default_answers() | {"project_slug": "a/b"})
    assert str(error.value).startswith("ERROR: project_slug 'a/b' is not a valid slug")
    assert "\n" not in str(error.value)


def test_answer_check_is_an_error_cookiecutter_prints_in_one_line():
    """The refusal is a FailedHookException, which cookiecutter's CLI prints without traceback."""
    assert issubclass(local_extensions.AnswerRefused, FailedHookException)


def test_answer_check_renders_as_nothing_for_good_answers():
    """Valid answers pass the extension's check, which leaves no text behind."""
    assert local_extensions.check_answers(default_answers()) == ""


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("s3", "gs://bucket/path"),
        ("gcs", "s3://bucket/path"),
        ("azure", "s3://bucket/path"),
        ("local", "s3://bucket/path"),
        ("s3", "s3://UPPER/path"),
        ("s3", "s3://bucket/pa th"),
        ("local", "storage"),
        ("local", "../x\nurl = evil"),
    ],
    ids=lambda value: value,
)
def test_remote_url_of_another_kind_is_refused(kind: str, url: str):
    """A remote URL that does not fit the chosen remote kind is an unsupported combination."""
    with pytest.raises(pre_gen.AnswerError, match=f"does not fit dvc_remote '{kind}'"):
        pre_gen.check_remote(kind, url, "my-project")


@pytest.mark.parametrize(
    "url",
    ["../my-project/storage", "../my-project", "../other/../my-project/x"],
    ids=["inside", "itself", "traversal-back-in"],
)
def test_local_remote_inside_the_project_is_refused(url: str):
    """A local DVC remote must lie outside the project folder."""
    with pytest.raises(pre_gen.AnswerError, match="lies inside the project"):
        pre_gen.check_remote("local", url, "my-project")


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("local", "../my-project-dvc-storage"),
        ("local", "../../shared/dvc"),
        ("local", "/srv/dvc-storage"),
        ("s3", "s3://my-bucket/projects/churn"),
        ("gcs", "gs://my-bucket/churn"),
        ("azure", "azure://container/churn"),
    ],
    ids=lambda value: value,
)
def test_remote_url_of_the_chosen_kind_is_accepted(kind: str, url: str):
    """Remote URLs of the chosen kind, and local folders outside the project, pass."""
    pre_gen.check_remote(kind, url, "my-project")


def test_hook_exits_1_with_one_error_line(capsys):
    """The hook's entry point prints one ERROR line to stderr and exits 1 on a bad answer."""
    pre_gen.rendered_answers = lambda: default_answers() | {"package_name": "pandas"}
    try:
        assert pre_gen.main() == 1
    finally:
        del pre_gen.rendered_answers
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("ERROR: package_name 'pandas' shadows")


def test_post_gen_hook_reads_its_answers():
    """The post-gen hook's JSON block renders to the answers its manifests need."""
    rendered = render_hook_answers(post_gen, default_answers(license="Proprietary"))
    assert set(rendered) == set(post_gen.PRUNE_MANIFEST) | set(post_gen.VARIANT_ANSWERS)


def test_manifest_names_real_answers_and_values():
    """Every manifest entry refers to an answer and a value cookiecutter.json offers."""
    for answer, by_value in post_gen.PRUNE_MANIFEST.items():
        assert set(by_value) <= set(pre_gen.CHOICES[answer])


@pytest.mark.parametrize("answer", post_gen.VARIANT_ANSWERS)
def test_every_value_of_a_variant_answer_has_the_same_python_files(answer: str):
    """Each value's variant folder holds the same modules and tests, so any choice gives the
    package its full interface (a value may add data files of its own)."""
    folder = TEMPLATE / "{{cookiecutter.project_slug}}" / post_gen.VARIANTS_DIR / answer
    assert {path.name for path in folder.iterdir()} == set(pre_gen.CHOICES[answer])
    file_sets = {
        value.name: {p.relative_to(value).as_posix() for p in value.rglob("*.py")}
        for value in folder.iterdir()
    }
    first = next(iter(file_sets.values()))
    assert first
    assert all(files == first for files in file_sets.values()), file_sets


def make_variants(project: Path) -> None:
    for value in ("classification", "regression"):
        module = project / "variants" / "task" / value / "src" / "pkg" / "task.py"
        module.parent.mkdir(parents=True)
        module.write_text(f"NAME = {value!r}\n")
    (project / "src" / "pkg").mkdir(parents=True, exist_ok=True)


def test_variants_put_the_chosen_files_in_place(tmp_path):
    """The chosen value's files take their place in the project; variants/ is gone."""
    make_variants(tmp_path)
    answers = {"task": "regression", "license": "MIT"}
    assert post_gen.place_variants(tmp_path, answers) == ["src/pkg/task.py"]
    assert (tmp_path / "src/pkg/task.py").read_text() == "NAME = 'regression'\n"
    assert not (tmp_path / "variants").exists()


def test_placing_variants_is_idempotent(tmp_path):
    """Running the hook again (cruft update) leaves the placed files as they are."""
    make_variants(tmp_path)
    answers = {"task": "classification", "license": "MIT"}
    post_gen.place_variants(tmp_path, answers)
    assert post_gen.place_variants(tmp_path, answers) == []
    assert (tmp_path / "src/pkg/task.py").read_text() == "NAME = 'classification'\n"


@pytest.mark.parametrize(
    ("license_", "removed"), [("MIT", []), ("Proprietary", ["LICENSE"])], ids=["MIT", "Proprietary"]
)
def test_prune_removes_only_unchosen_files(tmp_path, license_: str, removed: list[str]):
    """Pruning deletes the manifest's paths for the chosen value and nothing else."""
    (tmp_path / "LICENSE").write_text("text")
    (tmp_path / "README.md").write_text("text")
    assert post_gen.prune(tmp_path, {"license": license_}) == removed
    assert (tmp_path / "README.md").exists()


def test_prune_is_idempotent(tmp_path):
    """Running the post-gen hook again (as cruft update does) changes nothing and does not fail."""
    (tmp_path / "LICENSE").write_text("text")
    answers = {"license": "Proprietary"}
    assert post_gen.prune(tmp_path, answers) == ["LICENSE"]
    assert post_gen.prune(tmp_path, answers) == []


def test_prune_removes_directories(tmp_path, monkeypatch):
    """A manifest entry may name a folder; it is removed with its content."""
    monkeypatch.setitem(post_gen.PRUNE_MANIFEST, "license", {"Proprietary": ["legal"]})
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "notice.txt").write_text("text")
    assert post_gen.prune(tmp_path, {"license": "Proprietary"}) == ["legal"]
    assert not (tmp_path / "legal").exists()
