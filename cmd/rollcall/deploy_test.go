package main

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestDeployMetricsAreExported starts `rollcall demo`, scrapes /metrics once
// chat has flowed, and fails when a Grafana panel or a Prometheus alert rule
// in deploy/ names a rollcall_ metric the binary does not export.
func TestDeployMetricsAreExported(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	used := deployMetricNames(t)
	if len(used) < 10 {
		t.Fatalf("found only %d metric names in deploy/: the scan is broken", len(used))
	}
	_, addr := startDemo(t, 200)
	var exposition string
	// The demo plays two hours at 200x: 36 s, then YouTube Analytics'
	// figures are fetched the next fake minute after the end. Three times
	// the play time is the deadline.
	waitFor(t, 3*2*time.Hour/200+60*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		exposition = string(b)
		// chat messages counted, attendance gauges computed, and after the
		// end YouTube Analytics' figures
		return strings.Contains(exposition, "rollcall_chat_messages_total{") && strings.Contains(exposition, "rollcall_checkpoint_hits{") &&
			strings.Contains(exposition, "rollcall_reach_views{")
	})
	exported := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) `).FindAllStringSubmatch(exposition, -1) {
		exported[m[1]] = true
	}
	var missing []string
	for name := range used {
		if !exported[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("deploy/ uses metrics that rollcall does not export: %s", strings.Join(missing, ", "))
	}
	t.Logf("all %d rollcall metrics used by deploy/ are exported", len(used))
}

// deployMetricNames returns every rollcall_ metric named in the Grafana
// dashboards and Prometheus rules, with histogram suffixes folded.
func deployMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	var files []string
	for _, glob := range []string{"../../deploy/grafana/dashboards/*.json", "../../deploy/prometheus/*.yml"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	names := map[string]bool{}
	re := regexp.MustCompile(`rollcall_[a-z_]+[a-z]`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.yml") {
			continue // test series may name metrics on purpose
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range re.FindAllString(string(b), -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if strings.HasPrefix(n, "rollcall_chat_poll_lag_seconds") {
					n = strings.TrimSuffix(n, suffix)
				}
			}
			names[n] = true
		}
	}
	return names
}

// TestDeployEnvNamesAreFlags fails when the README or a file in deploy/
// sets a ROLLCALL_ variable that no flag of any command reads (a typo there
// is silently ignored on the day). Variables the tests and CI read are
// listed here.
func TestDeployEnvNamesAreFlags(t *testing.T) {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			name := "ROLLCALL_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			known[name], known[name+"_FILE"] = true, true
		}
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" }).rootCommand())
	for _, v := range []string{"ROLLCALL_TEST_POSTGRES", "ROLLCALL_PERF", "ROLLCALL_REQUIRE_BROWSER", "ROLLCALL_REQUIRE_FONTS", "ROLLCALL_ARTIFACT_DIR", "ROLLCALL_LONG", "ROLLCALL_MAIL_BENCH"} {
		known[v] = true
	}
	if !known["ROLLCALL_TRUSTED_PROXIES"] || !known["ROLLCALL_YOUTUBE_API_KEY_FILE"] {
		t.Fatal("the command tree walk is broken")
	}
	files := []string{"../../README.md"}
	err := filepath.WalkDir("../../deploy", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`ROLLCALL_[A-Z0-9_]*[A-Z0-9]`)
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, name := range re.FindAllString(line, -1) {
				seen++
				if !known[name] {
					t.Errorf("%s:%d: %s is read by no flag of rollcall", f, i+1, name)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d ROLLCALL_ names: the scan is broken", seen)
	}
}
