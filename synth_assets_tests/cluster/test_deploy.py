"""deploy/: the instance YAML passes Dagster's own validation, values.yaml uses only keys of the official chart,
and the three descriptions of the cluster (deploy/dagster.yaml, deploy/values.yaml, the local rehearsal's
instance in synth_assets/cluster/config.py) agree on the queue limits' keys, the pools and the driver.

The chart's keys below are transcribed from dagster-io/dagster (the search tool's stored copies; the tag
1.13.27 itself was not stored, and the project does not commit copies of other repositories' files):
``helm/dagster/values.schema.json`` at commit bdb8547fab497826eeec292bc160b549a0a329ef (every section but
``concurrency``) and ``helm/dagster/schema/schema/charts/dagster/subschema/concurrency.py`` at commit
0f2d9d8ee1755dff289e167e49167d87f4977a9f (the newer top-level ``concurrency`` section, rendered by
``templates/helpers/instance/_concurrency.tpl``). ``ANY`` marks a value the schema leaves free-form (a Kubernetes
object, ``type: object``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config

from synth_assets.cluster.config import PG_SCHEME, QueueLimits, instance_config
from synth_assets.cluster.processes import MODULE
from synth_assets.core.backfill import BackfillSettings
from synth_assets.core.resources import SETTINGS_FROM_ENV

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ANY = object()
IMAGE = {"repository": ANY, "tag": ANY, "pullPolicy": ANY}
K8S_POD = {name: ANY for name in ("annotations", "nodeSelector", "affinity", "tolerations", "podSecurityContext",
                                  "securityContext", "resources", "livenessProbe", "readinessProbe", "startupProbe",
                                  "labels", "volumeMounts", "volumes", "schedulerName", "env", "envConfigMaps",
                                  "envSecrets")}
TAG_LIMIT = [{"key": ANY, "value": ANY, "limit": ANY}]
CHART_KEYS = {
    "dagsterWebserver": ANY, "generatePostgresqlPasswordSecret": ANY, "generateCeleryConfigSecret": ANY,
    "rabbitmq": ANY, "redis": ANY, "flower": ANY, "ingress": ANY, "imagePullSecrets": ANY, "computeLogManager": ANY,
    "scheduler": ANY, "pythonLogs": ANY, "busybox": ANY, "migrate": ANY, "serviceAccount": ANY, "global": ANY,
    "retention": ANY, "additionalInstanceConfig": ANY,
    "telemetry": {"enabled": ANY},
    "dagster-user-deployments": {
        "enabled": ANY, "enableSubchart": ANY, "imagePullSecrets": ANY,
        "deployments": [{**K8S_POD, "name": ANY, "image": IMAGE, "dagsterApiGrpcArgs": ANY, "codeServerArgs": ANY,
                         "includeConfigInLaunchedRuns": {"enabled": ANY}, "deploymentNamespace": ANY, "port": ANY,
                         "initContainers": ANY, "sidecarContainers": ANY}]},
    "postgresql": {"image": ANY, "enabled": ANY, "postgresqlHost": ANY, "postgresqlUsername": ANY,
                   "postgresqlPassword": ANY, "postgresqlDatabase": ANY, "postgresqlParams": ANY,
                   "postgresqlScheme": ANY, "service": {"port": ANY}},
    "runLauncher": {"type": ANY, "config": {
        "celeryK8sRunLauncher": ANY, "customRunLauncher": ANY,
        "k8sRunLauncher": {
            "image": ANY, "imagePullPolicy": ANY, "jobNamespace": ANY, "loadInclusterConfig": ANY,
            "kubeconfigFile": ANY, "envConfigMaps": ANY, "envSecrets": ANY, "envVars": ANY, "volumeMounts": ANY,
            "volumes": ANY, "labels": ANY,
            "failPodOnRunFailure": ANY, "resources": ANY, "schedulerName": ANY, "securityContext": ANY,
            "runK8sConfig": {"containerConfig": ANY, "podSpecConfig": ANY, "podTemplateSpecMetadata": ANY,
                             "jobSpecConfig": ANY, "jobMetadata": ANY}}}},
    "dagsterDaemon": {
        **K8S_POD, "enabled": ANY, "image": ANY, "heartbeatTolerance": ANY, "deploymentLabels": ANY,
        "runMonitoring": ANY, "runRetries": ANY, "sensors": ANY, "schedules": ANY, "initContainerResources": ANY,
        "runCoordinator": {"enabled": ANY, "type": ANY, "config": {
            "customRunCoordinator": ANY,
            "queuedRunCoordinator": {"maxConcurrentRuns": ANY, "tagConcurrencyLimits": TAG_LIMIT,
                                     "dequeueIntervalSeconds": ANY, "dequeueNumWorkers": ANY,
                                     "dequeueUseThreads": ANY, "blockOpConcurrencyLimitedRuns": ANY}}}},
    "concurrency": {"enabled": ANY,
                    "pools": {"defaultLimit": ANY, "granularity": ANY, "opGranularityRunBuffer": ANY},
                    "runs": {"maxConcurrentRuns": ANY, "tagConcurrencyLimits": TAG_LIMIT}},
}
ENUMS = {("runLauncher", "type"): {"CeleryK8sRunLauncher", "K8sRunLauncher", "CustomRunLauncher"},
         ("dagsterDaemon", "runCoordinator", "type"): {"QueuedRunCoordinator", "CustomRunCoordinator"}}


def unknown_keys(values, schema, path: tuple = ()) -> list[str]:
    """Every key path of ``values`` that ``schema`` (nested dicts, one-item lists for arrays, ANY) lacks."""
    if schema is ANY:
        return []
    if isinstance(schema, list):
        return [miss for i, item in enumerate(values or []) for miss in unknown_keys(item, schema[0], (*path, i))]
    if not isinstance(values, dict):
        return [f"{'.'.join(map(str, path))} should be a mapping"]
    return [miss for key, value in values.items()
            for miss in ([".".join(map(str, (*path, key)))] if key not in schema
                         else unknown_keys(value, schema[key], (*path, key)))]


def _load(name: str):
    return yaml.safe_load((DEPLOY / name).read_text())


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def test_values_use_only_keys_of_the_chart():
    values = _load("values.yaml")
    assert unknown_keys(values, CHART_KEYS) == []
    for path, allowed in ENUMS.items():
        node = values
        for key in path:
            node = node[key]
        assert node in allowed, (path, node)
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert {"name", "image", "port"} <= deployment.keys() and {"repository", "pullPolicy"} <= deployment["image"].keys()
    assert values["runLauncher"]["type"] == "K8sRunLauncher" and "k8sRunLauncher" in values["runLauncher"]["config"]
    queued = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    # the chart fails a release that sets the queue limits in both places (_concurrency.tpl), as Dagster does
    assert not {"maxConcurrentRuns", "tagConcurrencyLimits"} & queued.keys()


def test_the_key_check_finds_a_misspelt_key():
    values = _load("values.yaml")
    values["postgresql"]["postgresqlSchema"] = "postgresql+psycopg2"
    values["dagster-user-deployments"]["deployments"][0]["codeServerArg"] = []
    assert unknown_keys(values, CHART_KEYS) == ["dagster-user-deployments.deployments.0.codeServerArg",
                                                "postgresql.postgresqlSchema"]


def test_the_code_server_and_the_runs_get_the_code_location_and_its_settings():
    (deployment,) = _load("values.yaml")["dagster-user-deployments"]["deployments"]
    assert deployment["codeServerArgs"] == ["-m", MODULE]
    assert f'"-m", "{MODULE}"' in (DEPLOY / "Dockerfile").read_text()
    env = {item["name"]: item["value"] for item in deployment["env"]}
    known = {"SYNTH_BACKFILL_POLICY", "SYNTH_BACKFILL_CHUNK_DAYS", *(source.variable for source in SETTINGS_FROM_ENV)}
    assert env.keys() <= known
    assert BackfillSettings.from_env(env).policy == "multi_run"   # the values pass the code location's validation
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}


def test_the_instance_yaml_passes_dagsters_validation(tmp_path, monkeypatch):
    config, _ = dagster_instance_config(str(DEPLOY), "dagster.yaml")
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    # the same check refuses the queue limits in the run coordinator's config beside concurrency (Dagster >= 1.10)
    broken = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    broken["run_coordinator"]["config"]["max_concurrent_runs"] = 20
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(DagsterInvalidConfigError, match="incompatible with the `concurrency > runs` config"):
        dagster_instance_config(str(tmp_path), "dagster.yaml")


def test_deploy_the_chart_and_the_local_rehearsal_describe_one_cluster():
    instance, values = _load("dagster.yaml"), _load("values.yaml")
    local = instance_config(QueueLimits())
    assert instance["storage"]["postgres"]["postgres_db"]["scheme"] == values["postgresql"]["postgresqlScheme"] \
        == local["storage"]["postgres"]["postgres_db"]["scheme"] == PG_SCHEME
    chart_runs = values["concurrency"]["runs"]
    assert instance["concurrency"]["runs"]["max_concurrent_runs"] == chart_runs["maxConcurrentRuns"]
    for limits in (instance["concurrency"]["runs"]["tag_concurrency_limits"],
                   local["concurrency"]["runs"]["tag_concurrency_limits"]):
        assert [(limit["key"], limit["value"]) for limit in limits] == [
            (limit["key"], limit["value"]) for limit in chart_runs["tagConcurrencyLimits"]]
    assert instance["concurrency"]["pools"] == local["concurrency"]["pools"] == {
        _snake(key): value for key, value in values["concurrency"]["pools"].items()}


def _docker_daemon() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client on this machine"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    return None if info.returncode == 0 else "docker client present, but no docker daemon answers (docker info)"


def test_the_user_code_image_builds():
    missing = _docker_daemon()
    if missing:
        pytest.skip(f"image build not tried: {missing}")
    root = DEPLOY.parent
    built = subprocess.run(["docker", "build", "-f", str(DEPLOY / "Dockerfile"), "-t", "synth-assets:test", str(root)],
                           capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
