package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type attCLI struct {
	t  testing.TB
	db string
}

func (c attCLI) run(args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"ROLLCALL_DB": c.db, "USER": "tester"}
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

func (c attCLI) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("rollcall %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func TestAttendanceCommands(t *testing.T) {
	dir := t.TempDir()
	c := attCLI{t: t, db: filepath.Join(dir, "rc.db")}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c.ok("event", "create", "pd", "--title", "Policy Dialogue", "--video", "dQw4w9WgXcQ", "--time-zone", "Asia/Bangkok")
	c.ok("registrations", "import", "--event", "pd", write("regs.csv", "Full Name,Email,Role\nAnh Nguyen,anh@example.org,participant\nKim Park,kim@example.org,speaker\n"))
	codes := c.ok("codes", "--event", "pd")
	var anhCode string
	for _, l := range strings.Split(codes, "\n") {
		if strings.Contains(l, "anh@") {
			anhCode = strings.TrimSpace(l[strings.LastIndex(l, ",")+1:])
		}
	}
	c.ok("checkpoint", "add", "--event", "pd", "--word", "Phở", "--opens-at", "2025-11-20T02:00:00Z", "--closes-at", "2025-11-20T02:10:00Z")
	if _, errs, code := c.run("checkpoint", "add", "--event", "pd", "--word", "x", "--opens-at", "yesterday", "--closes-at", "2025-11-20T02:10:00Z"); code != 2 || !strings.Contains(errs, "RFC 3339") {
		t.Fatalf("bad time: %d %s", code, errs)
	}
	line := func(id, ch, text string, usec int64) string {
		return fmt.Sprintf(`{"replayChatItemAction":{"actions":[{"addChatItemAction":{"item":{"liveChatTextMessageRenderer":{"id":%q,"timestampUsec":"%d","authorExternalChannelId":%q,"authorName":{"simpleText":"Anh"},"message":{"runs":[{"text":%q}]}}}}}]}}`, id, usec, ch, text)
	}
	const base = 1763604000000000 // 2025-11-20T02:00:00Z
	replayFile := write("chat.live_chat.json", line("a", "UC0000000000000000000001", "pho!", base+60e6)+"\nnot json\n"+line("b", "UC0000000000000000000001", "code "+anhCode, base+30*60e6)+"\n")
	_, errs, code := c.run("replay", "import", "--event", "pd", "--video", "https://youtu.be/dQw4w9WgXcQ", replayFile)
	if code != 0 || !strings.Contains(errs, "line 2") || !strings.Contains(errs, "2 added") || !strings.Contains(errs, "1 bad lines") {
		t.Fatalf("replay import: %d %s", code, errs)
	}
	if _, errs, _ := c.run("replay", "import", "--event", "pd", "--video", "dQw4w9WgXcQ", replayFile); !strings.Contains(errs, "0 added, 2 duplicates") {
		t.Fatalf("replay again: %s", errs)
	}
	if out := c.ok("checkpoint", "list", "--event", "pd"); !strings.Contains(out, "Phở") || !strings.Contains(out, "  1\n") {
		t.Fatalf("checkpoint list:\n%s", out)
	}
	c.ok("forms", "import", "--event", "pd", write("form.csv", "Timestamp,Email Address,Name as it should appear on your certificate\n2025/11/20 3:00:00 PM GMT+7,ANH@example.org,Nguyễn Thị Anh\n"))
	out := filepath.Join(dir, "certs.csv")
	c.ok("export", "certificates", "--event", "pd", "-o", out)
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\r\n")
	if !strings.HasPrefix(lines[0], "\uFEFFcertificate_type,full_name,email,certificate_id") || len(lines) != 3 ||
		!strings.HasPrefix(lines[1], "participation,Nguyễn Thị Anh,anh@example.org,") || !strings.HasPrefix(lines[2], "appreciation,Kim Park,") {
		t.Fatalf("certificates:\n%s", b)
	}
	if auto := c.ok("export", "certificates", "--event", "pd", "--format", "autocrat"); !strings.Contains(auto, "Name,Email,Certificate Type,Certificate ID,Event,Date") ||
		!strings.Contains(auto, "Certificate of Participation") {
		t.Fatalf("autocrat:\n%s", auto)
	}
	c.ok("override", "--event", "pd", "--email", "kim@example.org", "--certificate", "none", "--why", "did not speak")
	att := c.ok("export", "attendance", "--event", "pd")
	if !strings.Contains(att, "override: did not speak") || !strings.Contains(att, "checkpoints_hit") {
		t.Fatalf("attendance:\n%s", att)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(c.ok("person", "export", "--event", "pd", "--email", "anh@example.org")), &rec); err != nil || rec["chat_messages"] == nil {
		t.Fatalf("person export: %v %v", rec, err)
	}
	thief := write("thief.live_chat.json", line("t", "UC0000000000000000000009", anhCode, base+40*60e6)+"\n")
	c.ok("replay", "import", "--event", "pd", "--video", "dQw4w9WgXcQ", thief)
	if out := c.ok("conflicts", "list", "--event", "pd"); !strings.Contains(out, "anh@example.org  UC0000000000000000000009  code_taken") {
		t.Fatalf("conflicts:\n%s", out)
	}
	if _, errs, _ := c.run("conflicts", "resolve", "--event", "pd", "--email", "anh@example.org", "--why", "a colleague typed it"); !strings.Contains(errs, "1 conflicts resolved") {
		t.Fatalf("resolve: %s", errs)
	}
	if out := c.ok("conflicts", "list", "--event", "pd"); strings.Contains(out, "code_taken") {
		t.Fatalf("resolved conflict still listed:\n%s", out)
	}
	c.ok("link", "--event", "pd", "--email", "kim@example.org", "--channel", "https://www.youtube.com/channel/UC0000000000000000000009", "--note", "asked by email")
	if _, errs, code := c.run("link", "--event", "pd", "--email", "kim@example.org", "--channel", "@kim"); code != 2 {
		t.Fatalf("link to a handle: %d %s", code, errs)
	}
	c.ok("purge", "--event", "pd")
	c.ok("checkpoint", "close", "--event", "pd", "--number", "1")
	c.ok("person", "delete", "--event", "pd", "--email", "anh@example.org")
	if _, _, code := c.run("person", "export", "--event", "pd", "--email", "anh@example.org"); code != 2 {
		t.Fatalf("deleted person still exported: %d", code)
	}
	if _, _, code := c.run("override", "--event", "pd", "--email", "kim@example.org", "--certificate", "gold", "--why", "x"); code != 2 {
		t.Fatalf("bad certificate type: %d", code)
	}
}
