package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The deploy checks of issue 12 (items 7–10): every example is safe by
// default, every alert has a runbook, dashboards pick their data source,
// shutdown times agree, the Kubernetes variants fit their database, and the
// image is stamped with its version. YAML is parsed strictly with yaml.v3
// (duplicate keys are errors); no compose loader or kubeconform is needed.

const (
	deployDir = "../../deploy"
	// runbookBase is where every alert's runbook_url points, followed by
	// "#" and the alert's name in lower case (its heading's anchor).
	runbookBase = "https://github.com/seameo/rollcall/blob/main/deploy/RUNBOOK.md"
)

// yamlDocs parses every document of a YAML file under deploy/.
func yamlDocs(t *testing.T, name string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return yamlString(t, name, string(b))
}

// yamlString parses every document of a YAML text.
func yamlString(t *testing.T, name, text string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(text))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", name, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML document", name)
	}
	return docs
}

// dig walks maps by key and lists by index; nil when a step is missing.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// str is v as a string ("" when it is not one); YAML scalars that are
// numbers or booleans are formatted.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// requireSafeEnv fails unless env turns on Secure cookies and a metrics
// token. token is the value of ROLLCALL_METRICS_TOKEN or, failing that,
// ROLLCALL_METRICS_TOKEN_FILE as the example sets them.
func requireSafeEnv(t *testing.T, where string, env map[string]string) {
	t.Helper()
	v, ok := env["ROLLCALL_SECURE_COOKIES"]
	if on, err := strconv.ParseBool(v); !ok || err != nil || !on {
		t.Errorf("%s: ROLLCALL_SECURE_COOKIES is %q, want true (every example sits behind TLS)", where, v)
	}
	tok, file := env["ROLLCALL_METRICS_TOKEN"], env["ROLLCALL_METRICS_TOKEN_FILE"]
	if strings.TrimSpace(tok) == "" && strings.TrimSpace(file) == "" {
		t.Errorf("%s: no metrics token (ROLLCALL_METRICS_TOKEN or ROLLCALL_METRICS_TOKEN_FILE): /metrics would be open to anyone", where)
	}
}

// envFileLines reads KEY=VALUE lines, skipping comments and blanks.
func envFileLines(t *testing.T, name string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", name, line)
		}
		env[k] = v
	}
	return env
}

// TestDeployComposeIsSafeByDefault: the compose rollcall has Secure cookies
// and a metrics token that Prometheus sends from the same secret, and its
// database password is not in a URL.
func TestDeployComposeIsSafeByDefault(t *testing.T) {
	compose := yamlDocs(t, "compose.yaml")[0]
	rc := dig(compose, "services", "rollcall")
	if rc == nil {
		t.Fatal("compose.yaml: no rollcall service")
	}
	env := map[string]string{}
	// env_file first: compose's environment: wins over it.
	for _, f := range dig(rc, "env_file").([]any) {
		example := strings.TrimSuffix(str(f), ".env") + ".env.example"
		for k, v := range envFileLines(t, example) {
			env[k] = v
		}
	}
	environment, ok := dig(rc, "environment").(map[string]any)
	if !ok {
		t.Fatal("compose.yaml: rollcall's environment is not a map")
	}
	for k, v := range environment {
		env[k] = str(v)
	}
	requireSafeEnv(t, "compose.yaml rollcall", env)

	// The token file is a compose secret, Prometheus gets the same token at
	// the same path, and Prometheus' rollcall job sends it.
	tokenFile := env["ROLLCALL_METRICS_TOKEN_FILE"]
	secret, found := strings.CutPrefix(tokenFile, "/run/secrets/")
	if !found || dig(compose, "secrets", secret, "file") == nil {
		t.Fatalf("compose.yaml: ROLLCALL_METRICS_TOKEN_FILE=%q is not a file-backed compose secret under /run/secrets/", tokenFile)
	}
	// Each reader mounts its own copy (rollcall refuses a secret file that
	// others may read, and the two containers run as different users), at
	// /run/secrets/<secret>: the short form, or the long one with target.
	for _, svc := range []string{"rollcall", "prometheus"} {
		has := false
		for _, s := range asList(dig(compose, "services", svc, "secrets")) {
			if m, ok := s.(map[string]any); ok {
				src := str(m["source"])
				has = has || str(m["target"]) == secret && dig(compose, "secrets", src, "file") != nil
				continue
			}
			has = has || str(s) == secret
		}
		if !has {
			t.Errorf("compose.yaml: service %s does not get the secret %s at /run/secrets/%s", svc, secret, secret)
		}
	}
	prom := yamlDocs(t, "prometheus/prometheus.yml")[0]
	job := scrapeJob(t, prom, "rollcall")
	if got := str(dig(job, "authorization", "credentials_file")); got != tokenFile {
		t.Errorf("prometheus.yml: job rollcall sends credentials_file %q, want rollcall's token file %q", got, tokenFile)
	}
	if typ := str(dig(job, "authorization", "type")); typ != "" && typ != "Bearer" {
		t.Errorf("prometheus.yml: authorization type %q, want Bearer", typ)
	}

	// The database password is PGPASSWORD, never part of the URL.
	u, err := url.Parse(env["ROLLCALL_DB"])
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("compose.yaml: ROLLCALL_DB %q is not a postgres URL: %v", env["ROLLCALL_DB"], err)
	}
	if _, set := u.User.Password(); set || strings.Contains(env["ROLLCALL_DB"], "${") {
		t.Errorf("compose.yaml: ROLLCALL_DB carries the password (%q): pass it as PGPASSWORD", env["ROLLCALL_DB"])
	}
	if !strings.Contains(env["PGPASSWORD"], "POSTGRES_PASSWORD") {
		t.Errorf("compose.yaml: rollcall's PGPASSWORD is %q, want the PostgreSQL service's password", env["PGPASSWORD"])
	}

	// Alertmanager runs, Prometheus sends to it.
	if dig(compose, "services", "alertmanager", "image") == nil {
		t.Error("compose.yaml: no alertmanager service")
	}
	target := str(dig(prom, "alerting", "alertmanagers", 0, "static_configs", 0, "targets", 0))
	if !strings.HasPrefix(target, "alertmanager:") {
		t.Errorf("prometheus.yml: alerts go to %q, want the compose alertmanager", target)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// scrapeJob returns the scrape config named job.
func scrapeJob(t *testing.T, prom map[string]any, job string) map[string]any {
	t.Helper()
	for _, j := range asList(prom["scrape_configs"]) {
		if m, ok := j.(map[string]any); ok && str(m["job_name"]) == job {
			return m
		}
	}
	t.Fatalf("no scrape job %q", job)
	return nil
}

// k8sObjects indexes the objects of the Kubernetes files by kind/name.
func k8sObjects(t *testing.T, files ...string) map[string]map[string]any {
	t.Helper()
	objs := map[string]map[string]any{}
	for _, f := range files {
		for _, d := range yamlDocs(t, f) {
			objs[str(d["kind"])+"/"+str(dig(d, "metadata", "name"))] = d
		}
	}
	return objs
}

// containerEnv returns the first container's env: values as given, and
// secretKeyRef values as "secret:NAME/KEY".
func containerEnv(t *testing.T, dep map[string]any) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range asList(dig(dep, "spec", "template", "spec", "containers", 0, "env")) {
		name := str(dig(e, "name"))
		if ref := dig(e, "valueFrom", "secretKeyRef"); ref != nil {
			env[name] = "secret:" + str(dig(ref, "name")) + "/" + str(dig(ref, "key"))
			continue
		}
		env[name] = str(dig(e, "value"))
	}
	return env
}

// TestDeployKubernetesIsSafeByDefault: the Deployment (and the SQLite
// overlay built on it) has Secure cookies and the metrics token from the
// Secret, and the Prometheus job for it sends a token file.
func TestDeployKubernetesIsSafeByDefault(t *testing.T) {
	objs := k8sObjects(t, "kubernetes/deployment.yaml", "kubernetes/secret.example.yaml")
	dep := objs["Deployment/rollcall"]
	secretKeys, _ := dig(objs["Secret/rollcall-secrets"], "stringData").(map[string]any)
	check := func(where string, dep map[string]any) {
		env := containerEnv(t, dep)
		requireSafeEnv(t, where, env)
		ref, ok := strings.CutPrefix(env["ROLLCALL_METRICS_TOKEN"], "secret:rollcall-secrets/")
		if !ok {
			t.Errorf("%s: ROLLCALL_METRICS_TOKEN is %q, want a key of the Secret rollcall-secrets", where, env["ROLLCALL_METRICS_TOKEN"])
		} else if _, in := secretKeys[ref]; !in {
			t.Errorf("%s: Secret key %q is not in secret.example.yaml", where, ref)
		}
	}
	check("kubernetes/deployment.yaml", dep)
	check("kubernetes/sqlite (overlay)", sqliteDeployment(t, dep))

	scrape := yamlDocs(t, "prometheus/scrape-kubernetes.yml")[0]
	if str(dig(scrapeJob(t, scrape, "rollcall"), "authorization", "credentials_file")) == "" {
		t.Error("prometheus/scrape-kubernetes.yml: job rollcall sends no authorization.credentials_file")
	}
}

// TestDeploySystemdIsSafeByDefault: the unit and its environment example
// turn on Secure cookies and a metrics token the unit loads as a credential
// it cannot start without.
func TestDeploySystemdIsSafeByDefault(t *testing.T) {
	env := envFileLines(t, "systemd/rollcall.env.example")
	b, err := os.ReadFile(filepath.Join(deployDir, "systemd/rollcall.service"))
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]bool{} // credential name → required (no "-")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			k, val, _ := strings.Cut(v, "=")
			env[k] = val
		}
		if v, ok := strings.CutPrefix(line, "LoadCredential="); ok {
			name, _, _ := strings.Cut(v, ":")
			creds[strings.TrimPrefix(name, "-")] = !strings.HasPrefix(name, "-")
		}
	}
	requireSafeEnv(t, "systemd unit + rollcall.env.example", env)
	if f := env["ROLLCALL_METRICS_TOKEN_FILE"]; f != "" {
		name, ok := strings.CutPrefix(f, "%d/")
		if !ok || !creds[name] {
			t.Errorf("systemd: ROLLCALL_METRICS_TOKEN_FILE=%s is not a required LoadCredential= (without '-')", f)
		}
	}
	// The OAuth token must live where the service may write.
	if f := env["ROLLCALL_OAUTH_TOKEN_FILE"]; f != "" && !strings.HasPrefix(f, "/var/lib/rollcall/") {
		t.Errorf("systemd: ROLLCALL_OAUTH_TOKEN_FILE=%s is outside the state directory /var/lib/rollcall", f)
	}
	if strings.Contains(string(b), "keeps the service\n# starting without it") {
		t.Error("systemd: the unit still claims the '-' keeps an OAuth-only set-up starting")
	}
}

// sqliteDeployment applies the SQLite overlay's JSON patches to the base
// Deployment, as kustomize would, and checks the overlay's other parts.
func sqliteDeployment(t *testing.T, base map[string]any) map[string]any {
	t.Helper()
	kust := yamlDocs(t, "kubernetes/sqlite/kustomization.yaml")[0]
	res := map[string]bool{}
	for _, r := range asList(kust["resources"]) {
		res[str(r)] = true
	}
	if !res[".."] || !res["pvc.yaml"] {
		t.Fatalf("kubernetes/sqlite: resources %v, want the base (..) and pvc.yaml", kust["resources"])
	}
	// A deep copy through JSON: the base stays as it is.
	b, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	var dep map[string]any
	if err := json.Unmarshal(b, &dep); err != nil {
		t.Fatal(err)
	}
	patched, pdbDeleted := false, false
	for _, p := range asList(kust["patches"]) {
		kind := str(dig(p, "target", "kind"))
		text := str(dig(p, "patch"))
		switch kind {
		case "Deployment":
			var ops []map[string]any
			if err := yaml.Unmarshal([]byte(text), &ops); err != nil {
				t.Fatalf("kubernetes/sqlite: Deployment patch: %v", err)
			}
			for _, op := range ops {
				applyJSONPatch(t, dep, op)
			}
			patched = true
		case "PodDisruptionBudget":
			d := yamlString(t, "PDB patch", text)[0]
			pdbDeleted = str(d["$patch"]) == "delete" && str(dig(d, "metadata", "name")) == "rollcall"
		}
	}
	if !patched || !pdbDeleted {
		t.Fatalf("kubernetes/sqlite: Deployment patched %v, PodDisruptionBudget deleted %v; want both", patched, pdbDeleted)
	}
	return dep
}

// applyJSONPatch applies one RFC 6902 operation (test, replace, add,
// remove) to doc; paths index maps by key and lists by number.
func applyJSONPatch(t *testing.T, doc map[string]any, op map[string]any) {
	t.Helper()
	path := strings.Split(strings.TrimPrefix(str(op["path"]), "/"), "/")
	var parent any = doc
	for _, p := range path[:len(path)-1] {
		parent = step(t, parent, p)
	}
	last := path[len(path)-1]
	// Values round-trip through JSON so that they compare like the base.
	var value any
	if b, err := json.Marshal(op["value"]); err == nil {
		_ = json.Unmarshal(b, &value)
	}
	switch str(op["op"]) {
	case "test":
		if got, _ := json.Marshal(step(t, parent, last)); string(got) != mustJSON(value) {
			t.Fatalf("JSON patch test %s: is %s, want %s", op["path"], got, mustJSON(value))
		}
	case "replace", "add":
		switch c := parent.(type) {
		case map[string]any:
			c[last] = value
		case []any:
			i, err := strconv.Atoi(last)
			if err != nil || i >= len(c) {
				t.Fatalf("JSON patch %s: no index %s", op["path"], last)
			}
			c[i] = value
		}
	case "remove":
		if m, ok := parent.(map[string]any); ok {
			delete(m, last)
		} else {
			t.Fatalf("JSON patch remove %s: only map keys are supported here", op["path"])
		}
	default:
		t.Fatalf("JSON patch op %q not supported here", op["op"])
	}
}

func step(t *testing.T, v any, p string) any {
	t.Helper()
	switch c := v.(type) {
	case map[string]any:
		if next, ok := c[p]; ok {
			return next
		}
	case []any:
		if i, err := strconv.Atoi(p); err == nil && i < len(c) {
			return c[i]
		}
	}
	t.Fatalf("JSON patch: no %q", p)
	return nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// quantity parses a Kubernetes or GOMEMLIMIT byte quantity (512Mi, 460MiB, 4Gi).
func quantity(t *testing.T, s string) float64 {
	t.Helper()
	m := regexp.MustCompile(`^(\d+)(Ki|Mi|Gi|KiB|MiB|GiB)?$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("quantity %q", s)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	switch strings.TrimSuffix(m[2], "B") {
	case "Ki":
		n *= 1 << 10
	case "Mi":
		n *= 1 << 20
	case "Gi":
		n *= 1 << 30
	}
	return n
}

// TestDeployKubernetesFitsItsDatabase: the base runs rolling replicas with
// a PodDisruptionBudget on PostgreSQL; the SQLite overlay one pod recreated
// on a PersistentVolumeClaim, without the budget. Both get a GOMEMLIMIT
// under the memory limit, room in /tmp for certificate ZIPs and a preStop
// sleep.
func TestDeployKubernetesFitsItsDatabase(t *testing.T) {
	objs := k8sObjects(t, "kubernetes/deployment.yaml", "kubernetes/poddisruptionbudget.yaml", "kubernetes/sqlite/pvc.yaml")
	dep := objs["Deployment/rollcall"]
	c := dig(dep, "spec", "template", "spec", "containers", 0)
	env := containerEnv(t, dep)

	limit := quantity(t, str(dig(c, "resources", "limits", "memory")))
	if env["GOMEMLIMIT"] == "" {
		t.Error("no GOMEMLIMIT for the memory limit")
	} else if soft := quantity(t, env["GOMEMLIMIT"]); soft < 0.8*limit || soft > 0.95*limit {
		t.Errorf("GOMEMLIMIT %s is %.0f%% of the %s limit, want 80–95%%", env["GOMEMLIMIT"], 100*soft/limit, dig(c, "resources", "limits", "memory"))
	}
	for _, v := range asList(dig(dep, "spec", "template", "spec", "volumes")) {
		if str(dig(v, "name")) == "tmp" {
			if size := quantity(t, str(dig(v, "emptyDir", "sizeLimit"))); size < 2<<30 {
				t.Errorf("/tmp holds %v bytes: a certificate ZIP of a large event (~30 KiB a certificate) needs GiBs", size)
			}
			if str(dig(v, "emptyDir", "medium")) == "Memory" {
				t.Error("/tmp is in memory: certificate ZIPs would count against the memory limit")
			}
		}
	}
	if n, _ := dig(c, "lifecycle", "preStop", "sleep", "seconds").(int); n < 1 {
		t.Error("no preStop sleep: a rollout would cut requests the ingress still sends")
	}
	if str(dig(dep, "spec", "strategy", "type")) != "RollingUpdate" || objs["PodDisruptionBudget/rollcall"] == nil {
		t.Error("the PostgreSQL base should roll its replicas under a PodDisruptionBudget")
	}

	sq := sqliteDeployment(t, dep)
	if n, _ := dig(sq, "spec", "replicas").(float64); n != 1 {
		t.Errorf("sqlite overlay: %v replicas, want 1", dig(sq, "spec", "replicas"))
	}
	if s := dig(sq, "spec", "strategy").(map[string]any); str(s["type"]) != "Recreate" || s["rollingUpdate"] != nil {
		t.Errorf("sqlite overlay: strategy %v, want Recreate alone (a surge pod is refused by the SQLite lock)", s)
	}
	claim, mount := "", ""
	for _, v := range asList(dig(sq, "spec", "template", "spec", "volumes")) {
		if str(dig(v, "name")) == "state" {
			claim = str(dig(v, "persistentVolumeClaim", "claimName"))
		}
	}
	for _, m := range asList(dig(sq, "spec", "template", "spec", "containers", 0, "volumeMounts")) {
		if str(dig(m, "name")) == "state" {
			mount = str(dig(m, "mountPath"))
		}
	}
	if claim == "" || objs["PersistentVolumeClaim/"+claim] == nil {
		t.Errorf("sqlite overlay: the state volume claims %q, which sqlite/pvc.yaml does not define", claim)
	}
	db := containerEnv(t, sq)["ROLLCALL_DB"]
	if p, ok := strings.CutPrefix(db, "sqlite:"); !ok || mount == "" || !strings.HasPrefix(p, mount+"/") {
		t.Errorf("sqlite overlay: ROLLCALL_DB %q is not a SQLite file on the state volume (%s)", db, mount)
	}
}

// TestDeployShutdownTimesAgree: serve's help promises how fast it stops;
// systemd, compose and Kubernetes (after its preStop sleep) all give it the
// same, longer grace before a kill.
func TestDeployShutdownTimesAgree(t *testing.T) {
	serve, _, err := newApp(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" }).rootCommand().Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`exits within (\d+) s`).FindStringSubmatch(serve.Long)
	if m == nil {
		t.Fatal("serve --help no longer says how fast SIGTERM stops it")
	}
	promise, _ := strconv.Atoi(m[1])

	unit, err := os.ReadFile(filepath.Join(deployDir, "systemd/rollcall.service"))
	if err != nil {
		t.Fatal(err)
	}
	u := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)$`).FindStringSubmatch(string(unit))
	if u == nil {
		t.Fatal("rollcall.service: no TimeoutStopSec=N")
	}
	grace, _ := strconv.Atoi(u[1])
	if grace <= promise {
		t.Errorf("systemd kills after %d s, serve promises to stop within %d s: no margin", grace, promise)
	}

	compose := yamlDocs(t, "compose.yaml")[0]
	d, err := time.ParseDuration(str(dig(compose, "services", "rollcall", "stop_grace_period")))
	if err != nil || d != time.Duration(grace)*time.Second {
		t.Errorf("compose stop_grace_period %v (%v), want %d s like systemd", dig(compose, "services", "rollcall", "stop_grace_period"), err, grace)
	}

	dep := k8sObjects(t, "kubernetes/deployment.yaml")["Deployment/rollcall"]
	pod := dig(dep, "spec", "template", "spec")
	total, _ := dig(pod, "terminationGracePeriodSeconds").(int)
	sleep, _ := dig(pod, "containers", 0, "lifecycle", "preStop", "sleep", "seconds").(int)
	if total != sleep+grace {
		t.Errorf("Kubernetes: terminationGracePeriodSeconds %d, want the preStop sleep %d + %d s like systemd", total, sleep, grace)
	}
	readme, err := os.ReadFile(filepath.Join(deployDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("within %d s of SIGTERM", promise); !strings.Contains(string(readme), want) {
		t.Errorf("deploy/README.md does not say %q", want)
	}
}

// TestDeployAlertsHaveRunbooks fails when an alert has no runbook_url to its
// own section of RUNBOOK.md, when that section is missing or says nothing
// to do, when RUNBOOK.md describes an alert that does not exist, or when an
// alert has no firing case in alerts_test.yml.
func TestDeployAlertsHaveRunbooks(t *testing.T) {
	rules := yamlDocs(t, "prometheus/alerts.yml")[0]
	alerts := map[string]bool{}
	for _, g := range asList(rules["groups"]) {
		for _, r := range asList(dig(g, "rules")) {
			name := str(dig(r, "alert"))
			if name == "" {
				continue
			}
			alerts[name] = true
			want := runbookBase + "#" + strings.ToLower(name)
			if got := str(dig(r, "annotations", "runbook_url")); got != want {
				t.Errorf("alert %s: runbook_url %q, want %q", name, got, want)
			}
		}
	}
	if len(alerts) < 10 {
		t.Fatalf("found only %d alerts in alerts.yml: the scan is broken", len(alerts))
	}

	b, err := os.ReadFile(filepath.Join(deployDir, "RUNBOOK.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			cur = strings.TrimSpace(h)
			sections[cur] = ""
			continue
		}
		if cur != "" {
			sections[cur] += line + "\n"
		}
	}
	for name := range alerts {
		body, ok := sections[name]
		switch {
		case !ok:
			t.Errorf("RUNBOOK.md has no section \"## %s\"", name)
		case !strings.Contains(body, "What to do") || len(strings.TrimSpace(body)) < 100:
			t.Errorf("RUNBOOK.md, %s: says too little (want what it means and \"What to do\")", name)
		}
	}
	for name := range sections {
		if !alerts[name] {
			t.Errorf("RUNBOOK.md describes %s, which alerts.yml does not define", name)
		}
	}

	tests := yamlDocs(t, "prometheus/alerts_test.yml")[0]
	fires := map[string]bool{}
	for _, tc := range asList(tests["tests"]) {
		for _, a := range asList(dig(tc, "alert_rule_test")) {
			if len(asList(dig(a, "exp_alerts"))) > 0 {
				fires[str(dig(a, "alertname"))] = true
			}
		}
	}
	for name := range alerts {
		if !fires[name] {
			t.Errorf("alerts_test.yml: no case where %s fires", name)
		}
	}
}

// TestDeployDashboardsUseADataSourceVariable fails when a Grafana dashboard
// names a data source by a fixed uid instead of its ${datasource} variable.
func TestDeployDashboardsUseADataSourceVariable(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(deployDir, "grafana/dashboards/*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal("no dashboards", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		hasVar := false
		for _, v := range asList(dig(d, "templating", "list")) {
			if str(dig(v, "name")) == "datasource" && str(dig(v, "type")) == "datasource" && str(dig(v, "query")) == "prometheus" {
				hasVar = true
			}
		}
		if !hasVar {
			t.Errorf("%s: no data source variable (name datasource, type datasource, query prometheus)", filepath.Base(f))
		}
		uses := 0
		var walk func(where string, v any)
		walk = func(where string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, c := range x {
					if k == "datasource" {
						uses++
						uid, typ := str(c), ""
						if m, ok := c.(map[string]any); ok {
							uid, typ = str(m["uid"]), str(m["type"])
						}
						// Grafana's own annotation source is built in, not provisioned.
						builtin := typ == "grafana" && uid == "-- Grafana --"
						if !builtin && uid != "${datasource}" && uid != "$datasource" {
							t.Errorf("%s: %s uses data source %q, want ${datasource}", filepath.Base(f), where, uid)
						}
						continue
					}
					walk(where+"."+k, c)
				}
			case []any:
				for i, c := range x {
					walk(fmt.Sprintf("%s[%d]", where, i), c)
				}
			}
		}
		walk("", d)
		if uses < 5 {
			t.Errorf("%s: only %d data source references: the scan is broken", filepath.Base(f), uses)
		}
	}
}

// TestDeployVersionIsStampedFromTheBuildArgument builds rollcall with the
// Dockerfile's own -ldflags, VERSION substituted, and checks that `rollcall
// version` prints it and the image's OCI label repeats it. Without
// -trimpath, unlike the Dockerfile: the packages then come from the build
// cache of the other tests' binary, and only the link differs.
func TestDeployVersionIsStampedFromTheBuildArgument(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rollcall")
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	m := regexp.MustCompile(`go build [^\n]*-ldflags="([^"]*)"`).FindStringSubmatch(text)
	if m == nil || !strings.Contains(m[1], "${VERSION}") {
		t.Fatal("Dockerfile: the go build line does not stamp ${VERSION} with -ldflags")
	}
	if !regexp.MustCompile(`org\.opencontainers\.image\.version="\$\{VERSION\}"`).MatchString(text) {
		t.Error("Dockerfile: no OCI label org.opencontainers.image.version=${VERSION}")
	}
	const want = "v0.0.0-deploytest"
	bin := filepath.Join(t.TempDir(), "rollcall")
	build := exec.Command("go", "build", "-ldflags="+strings.ReplaceAll(m[1], "${VERSION}", want), "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rollcall "+want+" ") {
		t.Fatalf("rollcall version: %v: %s, want %s", err, out, want)
	}
}
