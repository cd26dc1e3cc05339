#!/usr/bin/env bash
# deploy-checks.sh: static checks of everything under deploy/.
#
#   promtool check config / check rules / test rules  (Prometheus)
#   amtool check-config  (Alertmanager)
#   every JSON file parses; Grafana dashboards are well formed and every
#     dashboard query parses as PromQL
#   every YAML file parses (compose, Kubernetes, Grafana provisioning); compose
#     mounts exist; the Kubernetes manifests agree with each other
#   the Dockerfile's stages, build path and non-root user
#   systemd-analyze verify on the unit, when systemd-analyze exists
#
# Prints one line per check and ends with "deploy-checks: N passed, N failed";
# exits non-zero when any check failed.
#
# Runs as root on a fresh Debian 12 with only Debian's apt mirrors reachable:
# promtool comes from Debian's `prometheus` package, amtool from
# `prometheus-alertmanager`, PyYAML from `python3-yaml`, installed only when
# missing (their services are not started). Docker and Kubernetes are not run here.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'deploy-checks: %s\n' "$*"; }
die() { printf 'deploy-checks: FAIL: %s\n' "$*" >&2; exit 1; }

passed=0
failed=0
check() { # check NAME CMD...: run one check, count it, keep going
	local name=$1
	shift
	if "$@"; then
		log "ok   $name"
		passed=$((passed + 1))
	else
		log "FAIL $name"
		failed=$((failed + 1))
	fi
}

apt_updated=0
policy_created=0
cleanup() {
	if [ "$policy_created" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

# apt_install PKG...: install Debian packages without starting their services.
apt_install() {
	if [ "$(id -u)" != 0 ]; then
		log "not root: cannot install $*"
		return 1
	fi
	# A package's maintainer scripts ask policy-rc.d before starting a service
	# (invoke-rc.d and deb-systemd-invoke both do): 101 means "do not".
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		policy_created=1
	fi
	if [ "$apt_updated" = 0 ]; then
		apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Prometheus -------------------------------------------------------------
if ! command -v promtool >/dev/null 2>&1; then
	log "promtool missing: installing Debian's prometheus package"
	apt_install prometheus || die "could not install prometheus (promtool)"
fi
log "$(promtool --version 2>&1 | head -n 1)"
# The JSON, dashboard and YAML checks below are small Python programs.
if ! command -v python3 >/dev/null 2>&1; then
	log "python3 missing: installing python3 and python3-yaml"
	apt_install python3 python3-yaml || die "could not install python3"
fi

# promtool check config also opens the files the config names: the rule
# files beside it, and the metrics token file (authorization.credentials_file,
# a path inside the container). Check a copy whose token file exists here.
prometheus_config_ok() {
	local dir rc=0
	dir=$(mktemp -d)
	cp deploy/prometheus/*.yml "$dir/"
	printf 'token\n' >"$dir/metrics-token"
	sed -i "s|credentials_file: .*|credentials_file: $dir/metrics-token|" "$dir/$(basename "$1")"
	promtool check config "$dir/$(basename "$1")" || rc=$?
	rm -rf "$dir"
	return "$rc"
}
for cfg in deploy/prometheus/prometheus*.yml; do
	check "promtool check config $cfg" prometheus_config_ok "$cfg"
done
check "promtool check rules deploy/prometheus/alerts.yml" \
	promtool check rules deploy/prometheus/alerts.yml
check "promtool test rules deploy/prometheus/alerts_test.yml" \
	promtool test rules deploy/prometheus/alerts_test.yml

# --- Alertmanager -------------------------------------------------------------
if ! command -v amtool >/dev/null 2>&1; then
	log "amtool missing: installing Debian's prometheus-alertmanager package"
	apt_install prometheus-alertmanager || die "could not install prometheus-alertmanager (amtool)"
fi
log "$(amtool --version 2>&1 | head -n 1)"
check "amtool check-config deploy/alertmanager/alertmanager.yml" \
	amtool check-config deploy/alertmanager/alertmanager.yml

# --- JSON -------------------------------------------------------------------
json_ok() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -m json.tool "$1" >/dev/null
	else
		jq empty "$1"
	fi
}
while IFS= read -r -d '' f; do
	check "json $f" json_ok "$f"
done < <(find deploy -name '*.json' -print0 | sort -z)

# Dashboards: unique uids and panel ids, every query has an expression, and
# every panel uses the data source variable ${datasource} (a Prometheus
# data source the viewer picks; no hard-coded uid).
dashboards_ok() {
	python3 - deploy/grafana/dashboards/*.json <<'PY'
import json, sys

dashboards = sys.argv[1:]
ds_uid = "${datasource}"
errors, uids = [], set()

def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))

for path in dashboards:
    d = json.load(open(path, encoding="utf-8"))
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in d:
            errors.append(f"{path}: no {key}")
    if d.get("uid") in uids:
        errors.append(f"{path}: uid {d.get('uid')} used twice")
    uids.add(d.get("uid"))
    ids = set()
    for p in panels(d.get("panels", [])):
        where = f"{path}: panel {p.get('id')} {p.get('title')!r}"
        if p.get("id") in ids:
            errors.append(f"{where}: id used twice")
        ids.add(p.get("id"))
        if p.get("type") == "row":
            continue
        if "gridPos" not in p:
            errors.append(f"{where}: no gridPos")
        if p.get("datasource", {}).get("uid") != ds_uid:
            errors.append(f"{where}: datasource is not {ds_uid}")
        targets = p.get("targets") or []
        if not targets:
            errors.append(f"{where}: no targets")
        for t in targets:
            if not t.get("expr", "").strip():
                errors.append(f"{where}: target {t.get('refId')} has no expr")
    variables = d.get("templating", {}).get("list", [])
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource" and v.get("query") == "prometheus" for v in variables):
        errors.append(f"{path}: no data source variable 'datasource' of type prometheus")
    for v in variables:
        if v.get("type") == "query" and v.get("datasource", {}).get("uid") != ds_uid:
            errors.append(f"{path}: variable {v.get('name')}: datasource is not {ds_uid}")
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
check "grafana dashboards well formed" dashboards_ok

# Dashboard queries parse as PromQL: promtool checks them as recording rules,
# with Grafana's variables replaced by plain values.
dashboard_queries_ok() {
	local rules rc=0
	rules=$(mktemp --suffix=.yml)
	python3 - deploy/grafana/dashboards/*.json >"$rules" <<'PY'
import json, re, sys

def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))

print("groups:\n  - name: dashboard-queries\n    rules:")
for path in sys.argv[1:]:
    board = re.sub(r"\W", "_", path.rsplit("/", 1)[-1].removesuffix(".json"))
    for p in panels(json.load(open(path, encoding="utf-8")).get("panels", [])):
        for t in p.get("targets") or []:
            expr = t.get("expr", "")
            for var, value in (("$__range", "1h"), ("$__rate_interval", "1m"),
                               ("$__interval", "1m"), ("$event", ".*"),
                               ("$video", ".*"), ("$instance", ".*")):
                expr = expr.replace(var, value)
            # the rule name says where the query is: board, panel id, refId
            print(f"      - record: {board}_panel_{p.get('id')}_{t.get('refId')}")
            print(f"        expr: {json.dumps(expr)}")
PY
	promtool check rules "$rules" >/dev/null 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then promtool check rules "$rules" >&2 || true; fi
	rm -f "$rules"
	return "$rc"
}
check "grafana dashboard queries parse as PromQL" dashboard_queries_ok

# --- YAML -------------------------------------------------------------------
# Any python3 that can import yaml will do; on a bare Debian install
# python3-yaml for the system python3.
yaml_python=""
for py in python3 /usr/bin/python3; do
	if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import yaml' 2>/dev/null; then
		yaml_python=$py
		break
	fi
done
if [ -z "$yaml_python" ] && [ -x /usr/bin/python3 ]; then
	log "PyYAML missing: installing python3-yaml"
	if apt_install python3-yaml && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
		yaml_python=/usr/bin/python3
	fi
fi

yaml_ok() {
	"$yaml_python" - "$1" <<'PY'
import os, sys, yaml

path = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d is not None]
if not docs:
    sys.exit(f"{path}: empty")
if "/kubernetes/" in path:
    for d in docs:
        if d.get("kind") == "Kustomization":
            continue
        for key in ("apiVersion", "kind"):
            if key not in d:
                sys.exit(f"{path}: a document has no {key}")
        if not d.get("metadata", {}).get("name"):
            sys.exit(f"{path}: {d['kind']} has no metadata.name")
if path.endswith("compose.yaml"):
    for name, svc in docs[0]["services"].items():
        if "image" not in svc and "build" not in svc:
            sys.exit(f"{path}: service {name} has neither image nor build")
        for v in svc.get("volumes", []):
            src = v.split(":", 1)[0] if isinstance(v, str) else v.get("source", "")
            if src.startswith("."):
                full = os.path.normpath(os.path.join(os.path.dirname(path), src))
                if not os.path.exists(full):
                    sys.exit(f"{path}: service {name} mounts {src}, which does not exist")
        build = svc.get("build")
        if isinstance(build, dict):
            ctx = os.path.join(os.path.dirname(path), build.get("context", "."))
            df = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
            if not os.path.isfile(df):
                sys.exit(f"{path}: service {name} builds with {df}, which does not exist")
PY
}
if [ -n "$yaml_python" ]; then
	while IFS= read -r -d '' f; do
		check "yaml $f" yaml_ok "$f"
	done < <(find deploy \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z)

	# The Kubernetes manifests agree with each other: kustomize resources
	# exist, the Service selects the pods and names their port, probes and
	# scrape annotations point at real ports, Secret keys are in the example.
	kubernetes_ok() {
		"$yaml_python" - deploy/kubernetes <<'PY'
import glob, os, sys, yaml

root = sys.argv[1]
errors, objs = [], {}
for path in sorted(glob.glob(os.path.join(root, "*.yaml"))):
    for d in yaml.safe_load_all(open(path, encoding="utf-8")):
        if d:
            objs[(d["kind"], d.get("metadata", {}).get("name"))] = (d, os.path.basename(path))
kust = objs[("Kustomization", None)][0]
for r in kust.get("resources", []):
    if not os.path.exists(os.path.join(root, r)):
        errors.append(f"kustomization: resource {r} does not exist")
dep = objs[("Deployment", "rollcall")][0]
pod = dep["spec"]["template"]
if dep["spec"]["selector"]["matchLabels"].items() - pod["metadata"]["labels"].items():
    errors.append("Deployment selector does not match its pod labels")
c = pod["spec"]["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
    get = c.get(probe, {}).get("httpGet", {})
    if get.get("path") != path or get.get("port") not in ports:
        errors.append(f"{probe} must get {path} on a named container port")
ann = pod["metadata"].get("annotations", {})
if ann.get("prometheus.io/scrape") != "true" or int(ann.get("prometheus.io/port", 0)) not in ports.values():
    errors.append("scrape annotations do not name a container port")
svc = objs[("Service", "rollcall")][0]
if svc["spec"]["selector"].items() - pod["metadata"]["labels"].items():
    errors.append("Service selector does not match the pod labels")
for p in svc["spec"]["ports"]:
    if p["targetPort"] not in ports and p["targetPort"] not in ports.values():
        errors.append(f"Service targetPort {p['targetPort']} is not a container port")
secret = objs[("Secret", "rollcall-secrets")][0]
for e in c.get("env", []):
    ref = e.get("valueFrom", {}).get("secretKeyRef")
    if ref and (ref["name"] != "rollcall-secrets" or ref["key"] not in secret.get("stringData", {})):
        errors.append(f"env {e['name']}: secret {ref['name']}/{ref['key']} is not in secret.example.yaml")
if "secret.example.yaml" in kust.get("resources", []):
    errors.append("kustomization must not apply secret.example.yaml (placeholders)")
for e in errors:
    print(f"deploy/kubernetes: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
	}
	check "kubernetes manifests consistent" kubernetes_ok
else
	log "skip YAML parse: no python3 with PyYAML and none could be installed"
fi

# --- Dockerfile -------------------------------------------------------------
# No Docker engine here: check what can be checked without one. Every
# COPY --from names an earlier stage, the package it builds exists, and the
# final stage runs as a non-root user.
dockerfile_ok() {
	python3 - deploy/Dockerfile <<'PY'
import os, re, sys

path = sys.argv[1]
text = re.sub(r"\\\n", " ", open(path, encoding="utf-8").read())
lines = [l.strip() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
stages, user, errors = [], None, []
for l in lines:
    word = l.split()[0].upper()
    if word == "FROM":
        m = re.search(r"\sAS\s+(\S+)", l, re.I)
        stages.append(m.group(1) if m else None)
        user = None
    elif word == "COPY":
        m = re.search(r"--from=(\S+)", l)
        if m and m.group(1) not in stages:
            errors.append(f"COPY --from={m.group(1)}: no such earlier stage")
    elif word == "USER":
        user = l.split()[1]
    m = re.search(r"go build .*?(\./\S+)\s*$", l)
    if m and not os.path.isdir(m.group(1)):
        errors.append(f"go build {m.group(1)}: no such package directory")
if user is None or user.split(":")[0] in ("0", "root"):
    errors.append("the final stage must set a non-root USER")
for e in errors:
    print(f"{path}: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}
check "Dockerfile stages, build path, non-root user" dockerfile_ok

# --- systemd ----------------------------------------------------------------
unit_ok() {
	# verify resolves ExecStart= on this machine: point it at a stand-in
	# binary rather than require rollcall to be installed.
	local dir out rc=0
	dir=$(mktemp -d)
	printf '#!/bin/sh\n' >"$dir/rollcall"
	chmod 0755 "$dir/rollcall"
	sed "s|^ExecStart=/usr/local/bin/rollcall|ExecStart=$dir/rollcall|" \
		deploy/systemd/rollcall.service >"$dir/rollcall.service"
	out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$dir/rollcall.service" 2>&1) || rc=$?
	# For information only: how exposed the hardened service still is.
	systemd-analyze security --offline=true "$dir/rollcall.service" 2>/dev/null |
		grep -o 'Overall exposure level.*' | sed 's/^/deploy-checks: /' || true
	rm -rf "$dir"
	if [ -n "$out" ]; then printf '%s\n' "$out" >&2; fi
	[ "$rc" = 0 ] && [ -z "$out" ]
}
if command -v systemd-analyze >/dev/null 2>&1; then
	check "systemd-analyze verify deploy/systemd/rollcall.service" unit_ok
else
	log "skip systemd-analyze verify: systemd-analyze not installed"
fi

printf 'deploy-checks: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
