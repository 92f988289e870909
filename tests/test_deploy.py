"""The replicas examples in `deploy/` agree with each other, with the Dockerfile and with the
app: the config they run (`replicas.yaml`) loads, every `${VAR}` of it is set, the services it
names exist, and the probes and the proxy point at what chatserve serves. No Docker engine or
cluster is needed."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from chatserve.bot.load import load

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
CONFIG = DEPLOY / "replicas.yaml"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
WORKDIR = re.findall(r"^WORKDIR (\S+)", DOCKERFILE, flags=re.M)[-1]
PORT = int(re.findall(r"^EXPOSE (\d+)", DOCKERFILE, flags=re.M)[-1])
LOCKED_BOT = """\
fn: bot.py:echo
server:
  auth:
    tokens: [{name: ci, token: a-token-for-the-probe-test}]
"""


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def kubernetes() -> dict[str, dict]:
    """The manifests of `kubernetes.yaml`, by kind."""
    text = (DEPLOY / "kubernetes.yaml").read_text()
    return {manifest["kind"]: manifest for manifest in yaml.safe_load_all(text)}


def server() -> dict:
    """`replicas.yaml`'s `server:` block as written, `${VAR}`s and all."""
    return yaml.safe_load(CONFIG.read_text())["server"]


def variables() -> set[str]:
    """The environment variables `replicas.yaml` reads, plus the session key's."""
    return {*re.findall(r"\$\{(\w+)", json.dumps(server())), "CHATSERVE_SECRET"}


def test_the_config_loads_beside_the_demo_and_names_what_replicas_share(
    tmp_path: Path, monkeypatch
) -> None:
    shutil.copy(ROOT / "configs" / "bot.py", tmp_path)  # the image's /bot has configs/ in it
    shutil.copy(CONFIG, tmp_path)
    for name in variables():
        monkeypatch.setenv(name, f"{name.lower()}-placeholder-0123456789abcdef")
    config = load(tmp_path / CONFIG.name).config  # validates, and imports `fn`
    assert config.server.database.startswith("postgresql://")
    assert config.server.storage.startswith("s3://")
    assert config.server.auth.secret == "chatserve_secret-placeholder-0123456789abcdef"


def test_the_probes_are_routes_open_without_a_login(client) -> None:
    app = client(LOCKED_BOT)
    assert app.get("/api/config").status_code == 401  # the login is on
    chatserve = compose()["services"]["chatserve"]
    deployment = kubernetes()["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert deployment["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert deployment["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert f"'http://127.0.0.1:{PORT}/readyz'" in chatserve["healthcheck"]["test"][-1]
    for path in ("/readyz", "/healthz"):
        assert app.get(path).status_code == 200, path


def test_compose_builds_with_the_extras_and_sets_every_variable() -> None:
    services = compose()["services"]
    chatserve = services["chatserve"]
    build = chatserve["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    extras = set(build["args"]["EXTRAS"].split(","))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {"postgres", "s3"} <= extras <= set(pyproject["project"]["optional-dependencies"])
    assert "ARG EXTRAS" in DOCKERFILE and "[$EXTRAS]" in DOCKERFILE
    assert chatserve["command"][:2] == ["chatserve", "serve"]
    assert f"./{CONFIG.name}:{WORKDIR}/{chatserve['command'][2]}:ro" in chatserve["volumes"]
    assert chatserve["deploy"]["replicas"] >= 2
    environment = chatserve["environment"]
    assert variables() <= set(environment)
    assert urlsplit(environment["AWS_ENDPOINT_URL"]).hostname in services
    ipaddress.ip_network(environment["TRUSTED_PROXIES"])


def test_compose_runs_the_database_and_the_bucket_the_config_names() -> None:
    services = compose()["services"]
    database = urlsplit(server()["database"])
    postgres = services[database.hostname]
    assert postgres["environment"]["POSTGRES_USER"] == database.username
    assert postgres["environment"]["POSTGRES_DB"] == database.path.lstrip("/")
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${DB_PASSWORD")
    assert "${DB_PASSWORD}" in database.password
    bucket = urlsplit(server()["storage"]).netloc
    [maker] = [name for name, service in services.items() if service.get("image") == "minio/mc"]
    assert re.search(rf"mc mb .*/{re.escape(bucket)}\b", services[maker]["command"][-1])
    waits = services["chatserve"]["depends_on"]
    assert waits[database.hostname] == {"condition": "service_healthy"}
    assert waits[maker] == {"condition": "service_completed_successfully"}


def test_nginx_balances_over_every_replica_without_stickiness() -> None:
    [mount] = compose()["services"]["nginx"]["volumes"]
    conf = (DEPLOY / mount.split(":")[0]).read_text()
    name, upstream = re.search(r"upstream (\w+) \{(.*?)\}", conf, flags=re.S).groups()
    assert re.search(rf"^\s*server chatserve:{PORT}\b", upstream, flags=re.M)
    assert "least_conn;" in upstream
    assert not re.search(r"^\s*(ip_hash|hash|sticky)\b", upstream, flags=re.M)
    assert f"proxy_pass http://{name};" in conf
    assert "proxy_buffering off;" in conf


def test_kubernetes_runs_the_same_config_with_probes_on_the_container_port() -> None:
    manifests = kubernetes()
    deployment = manifests["Deployment"]["spec"]
    pod = deployment["template"]["spec"]
    [container] = pod["containers"]
    assert deployment["replicas"] >= 2
    assert pod["terminationGracePeriodSeconds"] > 30
    assert "--build-arg EXTRAS=postgres,s3" in (DEPLOY / "kubernetes.yaml").read_text()

    config_map = manifests["ConfigMap"]
    [volume] = [v for v in pod["volumes"] if "configMap" in v]
    [mount] = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert config_map["data"][mount["subPath"]] == CONFIG.read_text()
    assert container["command"][:2] == ["chatserve", "serve"]
    assert mount["mountPath"] == f"{WORKDIR}/{container['command'][2]}"

    secret = manifests["Secret"]
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in container["envFrom"]
    assert set(secret["stringData"].values()) == {"change-me"}  # placeholders only
    assert variables() <= set(secret["stringData"]) | {e["name"] for e in container["env"]}

    [port] = container["ports"]
    assert port["containerPort"] == PORT
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in (port["name"], PORT), probe
    service = manifests["Service"]["spec"]
    assert service["ports"][0]["targetPort"] in (port["name"], PORT)
    assert service["selector"].items() <= deployment["template"]["metadata"]["labels"].items()
