package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportGraph guards the rooms of the design: the domain under
// attendance imports no adapter, the store, the certificates service and
// the collector import the domain only, the fake YouTube imports nothing of ours but the generated
// gRPC stubs, and nothing imports cmd. The dashboard imports the domain
// only: it declares the interfaces it consumes and cmd hands it the store,
// the collector and the certificates service; importing any fails.
func TestImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/seameo/rollcall/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/seameo/rollcall/"
	domain := []string{"attendance", "attendance/badges", "attendance/certpdf", "attendance/csvout", "attendance/forms", "attendance/mailtext",
		"attendance/replay", "attendance/roster", "attendance/sheet"}
	allowed := map[string][]string{
		"attendance/store":           domain,
		"attendance/store/storetest": append([]string{"attendance/store"}, domain...),
		"attendance/export":          append([]string{"attendance/store"}, domain...),
		"attendance/certificates":    domain, // a service over the store through the Store it declares
		"attendance/mail":            domain, // the outbox rules and the SMTP sender, over the Store it declares
		"collector":                  append([]string{"collector/internal/ytgrpc"}, domain...),
		"collector/fakeyoutube":      {"collector/internal/ytgrpc"},
		"collector/internal/ytgrpc":  nil,
		"dashboard":                  domain,
		"dashboard/browsertest":      nil,
		"cmd/rollcall":               nil, // cmd wires everything: not checked
	}
	for _, d := range domain {
		allowed[d] = domain
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s is not in the import rules: add it to TestImportGraph", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, mod)
			switch {
			case !ours:
			case dep == "cmd/rollcall" || strings.HasPrefix(dep, "cmd/"):
				t.Errorf("%s imports %s: nothing imports cmd", pkg, dep)
			case pkg == "cmd/rollcall":
			case !slices.Contains(ok, dep):
				t.Errorf("%s imports %s, outside its room", pkg, dep)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no import checked")
	}
}
