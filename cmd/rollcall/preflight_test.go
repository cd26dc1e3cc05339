package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"

	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

const (
	pfKey     = "pf-key-not-secret-123"
	pfToken   = "pf-access-token-not-secret"
	pfVideo   = "pfVideo0001"
	pfOwner   = "UCpfOwnerChannel0000000"
	pfOther   = "UCpfSomeoneElse00000000"
	pfSlug    = "pf-2026"
	pfPeopleA = "Full Name,Email Address,Country,Role\r\n" +
		"สมศักดิ์ ศรีสุข,somsak@example.ac.th,Thailand,Participant\r\n" +
		"សុខ ស្រីពេជ្រ,sok@example.edu.kh,Cambodia,Speaker\r\n" +
		"ສົມສັກ ພົມມະວົງ,somsack@example.la,Lao PDR,Panelist\r\n" +
		"အောင်ဆန်းစုကြည်,aung@example.mm,Myanmar,Participant\r\n" +
		"Nguyễn Thị Ngọc Ánh,anh@example.vn,Viet Nam,Moderator\r\n"
)

// pfFixture is an event ready for its preflight: the fake YouTube on
// loopback (through the real client), a gRPC server standing in for
// streamList, a database with the event, its registrations and their codes
// exported. Options change one thing each, so each test shows one ✗.
type pfFixture struct {
	t     *testing.T
	db    string
	fake  *fakeyoutube.Server
	env   map[string]string
	ctx   context.Context
	clock *fakeyoutube.ManualClock
}

type pfOptions struct {
	dsn             string        // default a fresh SQLite file
	noRegistrations bool          // import nobody
	noCodes         bool          // do not run `rollcall codes`
	people          string        // registrations CSV; default pfPeopleA
	skew            time.Duration // YouTube's Date header is this far ahead
	oauthChannel    string        // serve OAuth; the token's channel
	noVideo         bool          // the event has no video
}

func newPFFixture(t *testing.T, o pfOptions) *pfFixture {
	t.Helper()
	clock := fakeyoutube.NewManualClock(time.Now().UTC())
	fopts := fakeyoutube.Options{APIKey: pfKey}
	if o.oauthChannel != "" {
		fopts.AccessToken, fopts.OwnerChannelID = pfToken, o.oauthChannel
	}
	fake := fakeyoutube.New(clock, fopts)
	fake.AddVideo(fakeyoutube.Video{ID: pfVideo, Title: "Policy dialogue", ChannelID: pfOwner,
		ScheduledStart: clock.Now().Add(time.Hour), ScheduledEnd: clock.Now().Add(4 * time.Hour)})
	var h http.Handler = fake
	if o.skew != 0 {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// net/http keeps a Date header the handler set
			w.Header().Set("Date", time.Now().Add(o.skew).UTC().Format(http.TimeFormat))
			fake.ServeHTTP(w, r)
		})
	}
	addr := serveHandler(t, h)

	dsn := o.dsn
	if dsn == "" {
		dsn = storetest.SQLiteDSN(t)
	}
	f := &pfFixture{t: t, db: dsn, fake: fake, clock: clock, ctx: context.Background(), env: map[string]string{
		"ROLLCALL_DB":                    dsn,
		"ROLLCALL_YOUTUBE_ENDPOINT":      "http://" + addr + "/",
		"ROLLCALL_YOUTUBE_API_KEY":       pfKey,
		"ROLLCALL_YOUTUBE_GRPC_ENDPOINT": serveGRPC(t),
		"ROLLCALL_FONT_DIR":              os.Getenv("ROLLCALL_FONT_DIR"),
		"USER":                           "tester",
	}}
	if o.noVideo {
		f.ok("event", "create", pfSlug, "--title", "Policy Dialogue 2026")
	} else {
		f.ok("event", "create", pfSlug, "--title", "Policy Dialogue 2026", "--video", pfVideo)
	}
	if !o.noRegistrations {
		people := o.people
		if people == "" {
			people = pfPeopleA
		}
		f.ok("registrations", "import", "--event", pfSlug, writeFile(t, "people.csv", []byte(people)))
		if !o.noCodes {
			f.ok("codes", "--event", pfSlug)
		}
	}
	if o.oauthChannel != "" {
		f.useOAuth()
	}
	return f
}

// useOAuth points the OAuth flags at a token file whose refresh goes to a
// loopback token endpoint handing out the fake's access token.
func (f *pfFixture) useOAuth() {
	f.t.Helper()
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"` + pfToken + `","token_type":"Bearer","expires_in":3600,"refresh_token":"pf-refresh"}`))
	}))
	f.t.Cleanup(tokenSrv.Close)
	target, _ := url.Parse(tokenSrv.URL)
	f.ctx = context.WithValue(f.ctx, oauth2.HTTPClient, &http.Client{Transport: rewriteHost{to: target.Host}})
	file := filepath.Join(f.t.TempDir(), "token.json")
	if err := collector.SaveToken(file, &oauth2.Token{AccessToken: "expired", RefreshToken: "pf-refresh", Expiry: time.Unix(1, 0)}); err != nil {
		f.t.Fatal(err)
	}
	f.env["ROLLCALL_OAUTH_TOKEN_FILE"] = file
	f.env["ROLLCALL_OAUTH_CLIENT_ID"] = "pf-client"
	f.env["ROLLCALL_OAUTH_CLIENT_SECRET"] = "pf-client-secret"
}

// rewriteHost sends every request to one loopback host (Google's token
// endpoint is fixed in the OAuth config).
type rewriteHost struct{ to string }

func (r rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = "http", r.to, r.to
	return http.DefaultTransport.RoundTrip(req)
}

func (f *pfFixture) run(args ...string) (code int, stdout, stderr string) {
	f.t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &errb, func(k string) string { return f.env[k] })
	code = a.execute(f.ctx, args)
	return code, out.String(), errb.String()
}

func (f *pfFixture) ok(args ...string) string {
	f.t.Helper()
	code, out, errs := f.run(args...)
	if code != 0 {
		f.t.Fatalf("rollcall %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func (f *pfFixture) preflight(args ...string) (int, string, string) {
	f.t.Helper()
	return f.run(append([]string{"preflight", "--event", pfSlug}, args...)...)
}

// expectFail runs preflight and checks that it exits 1 with check name
// marked ✗, its detail holding want, and a fix on the next line; the same
// in --json. It returns the checklist.
func (f *pfFixture) expectFail(name, want string, args ...string) string {
	f.t.Helper()
	code, out, errs := f.preflight(args...)
	if code != 1 || !strings.Contains(errs, "checks failed") {
		f.t.Fatalf("exit %d, want 1 and a count of failed checks on stderr\n%s%s", code, out, errs)
	}
	lines := strings.Split(out, "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, "✗ "+name+" ") {
			found = true
			if !strings.Contains(l, want) {
				f.t.Fatalf("✗ %s line does not say %q:\n%s", name, want, out)
			}
			if i+1 >= len(lines) || !strings.Contains(lines[i+1], "fix: ") || strings.TrimSpace(strings.SplitN(lines[i+1], "fix:", 2)[1]) == "" {
				f.t.Fatalf("✗ %s has no fix line:\n%s", name, out)
			}
		}
	}
	if !found {
		f.t.Fatalf("no ✗ %s line:\n%s", name, out)
	}
	rep := f.preflightJSON(1, args...)
	for _, c := range rep.Checks {
		if c.Name == name && (c.OK || c.Fix == "" || !strings.Contains(c.Detail, want)) {
			f.t.Fatalf("--json check %s: %+v", name, c)
		}
	}
	checkNoPersonalData(f.t, out)
	f.t.Log("\n" + out)
	return out
}

// preflightJSON runs preflight --json, checks the exit code and parses it.
func (f *pfFixture) preflightJSON(wantCode int, args ...string) preflightReport {
	f.t.Helper()
	code, out, errs := f.preflight(append(args, "--json")...)
	if code != wantCode {
		f.t.Fatalf("--json: exit %d, want %d\n%s%s", code, wantCode, out, errs)
	}
	var rep preflightReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		f.t.Fatalf("--json does not parse: %v\n%s", err, out)
	}
	if rep.Event != pfSlug || rep.OK != (wantCode == 0) || len(rep.Checks) != len(preflightNames()) {
		f.t.Fatalf("--json report: %+v", rep)
	}
	for i, c := range rep.Checks {
		if c.Name != preflightNames()[i] {
			f.t.Fatalf("check %d is %q, want %q", i, c.Name, preflightNames()[i])
		}
	}
	return rep
}

// checkNoPersonalData fails when out holds a registrant's name or email,
// or a secret.
func checkNoPersonalData(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{"somsak", "สมศักดิ์", "Nguyễn", "@example", "Ana", pfKey, pfToken, "pf-refresh", "pf-client-secret"} {
		if strings.Contains(out, s) {
			t.Fatalf("output shows %q:\n%s", s, out)
		}
	}
}

// preflightNames lists the check names in checklist order.
func preflightNames() []string { return slices.Clone(preflightOrder) }

// serveHandler serves h on a loopback port until t ends.
func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// serveGRPC serves a gRPC server (no services: preflight only connects) on
// a loopback port until t ends.
func serveGRPC(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// requireFonts skips t when the Noto fonts are missing, unless
// ROLLCALL_REQUIRE_FONTS is set (CI): then it fails.
func requireFonts(t *testing.T) {
	t.Helper()
	dir := os.Getenv("ROLLCALL_FONT_DIR")
	if dir == "" {
		dir = certpdf.DefaultFontDir
	}
	if _, err := certpdf.NewRenderer(dir); err != nil {
		if os.Getenv("ROLLCALL_REQUIRE_FONTS") != "" {
			t.Fatalf("fonts: %v (ROLLCALL_REQUIRE_FONTS is set)", err)
		}
		t.Skipf("no Noto fonts in %s (set ROLLCALL_REQUIRE_FONTS to fail instead): %v", dir, err)
	}
}

// TestPreflightAllPass: an upcoming video with chat, a working key, the
// streamList endpoint up, registrations whose codes went out, names in
// five scripts of Southeast Asia: every check ✓, exit 0, and every unit
// YouTube charged is in the ledger of the quota project, on both engines.
func TestPreflightAllPass(t *testing.T) {
	requireFonts(t)
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			f := newPFFixture(t, pfOptions{dsn: e.DSN(t)})
			code, out, errs := f.preflight("--quota-project", "seameo-events")
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			if n := strings.Count(out, "\n✓ "); n != len(preflightNames()) || strings.Contains(out, "✗") {
				t.Fatalf("want %d ✓ lines and no ✗:\n%s", len(preflightNames()), out)
			}
			for _, want := range []string{"5 registrations", "all 5 names can be printed", "YouTube accepts the API key", "1 upcoming, 0 live", "gRPC connection to 127.0.0.1:", "preflight spent 6 units"} {
				if !strings.Contains(out, want) {
					t.Fatalf("checklist does not say %q:\n%s", want, out)
				}
			}
			checkNoPersonalData(t, out)

			// one videos.list (1) and one chat read (5); all in the ledger of the project
			if got := f.fake.QuotaUsed(); got != 6 {
				t.Fatalf("the fake charged %d units, want 6", got)
			}
			st, err := store.Open(context.Background(), f.db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			pacific, _ := collector.LoadPacific()
			day := collector.QuotaDay(time.Now(), pacific)
			if used, _ := st.QuotaUsed(context.Background(), "seameo-events", day); used != 6 {
				t.Fatalf("ledger of seameo-events holds %d units, want 6", used)
			}
			if used, _ := st.QuotaUsed(context.Background(), "default", day); used != 0 {
				t.Fatalf("ledger of the default project holds %d units, want 0", used)
			}

			rep := f.preflightJSON(0, "--quota-project", "seameo-events")
			if rep.QuotaProject != "seameo-events" || rep.UnitsSpent != 6 {
				t.Fatalf("--json: %+v", rep)
			}
		})
	}
}

// TestPreflightFailures shows each ✗ preflight can show, one at a time,
// against the fake YouTube through the real client.
func TestPreflightFailures(t *testing.T) {
	tests := []struct {
		name  string
		opts  pfOptions
		setup func(f *pfFixture)
		args  []string
		check string // the check that must fail
		want  string // in its detail
	}{
		{name: "bad key", check: checkCredential, want: "refuses the API key",
			setup: func(f *pfFixture) { f.env["ROLLCALL_YOUTUBE_API_KEY"] = "wrong-key-456" }},
		{name: "oauth token of another channel", opts: pfOptions{oauthChannel: pfOther}, check: checkVideoOwner,
			want: "the token's channel " + pfOther + " does not own " + pfVideo},
		{name: "quota nearly used", check: checkQuota, want: "units left on Pacific day",
			setup: func(f *pfFixture) {
				st, err := store.Open(context.Background(), f.db)
				if err != nil {
					f.t.Fatal(err)
				}
				defer st.Close()
				// the event's day too, should it start after Pacific midnight
				pacific, _ := collector.LoadPacific()
				now := time.Now()
				for _, day := range slices.Compact([]string{collector.QuotaDay(now, pacific), collector.QuotaDay(now.Add(time.Hour), pacific)}) {
					if _, err := st.AddQuotaUnits(context.Background(), "default", day, collector.MethodChatList, 9900); err != nil {
						f.t.Fatal(err)
					}
				}
			}},
		{name: "youtube says quota exceeded", check: checkQuota, want: "YouTube answered quotaExceeded",
			setup: func(f *pfFixture) {
				f.fake.InjectEvery(1, fakeyoutube.Fault{Method: fakeyoutube.MethodVideosList, Status: 403, Reason: "quotaExceeded"})
			}},
		{name: "event without a video", opts: pfOptions{noVideo: true}, check: checkVideosExist, want: "the event has no video"},
		{name: "video does not exist", check: checkVideosExist, want: "does not return 1 of 2 videos (deleted, private or mistyped): pfMissing01",
			setup: func(f *pfFixture) { f.ok("event", "set", pfSlug, "--video", "pfMissing01") }},
		{name: "video ended", check: checkVideosNotEnded, want: "1 video(s) ended or are not live streams: pfEnded0001",
			setup: func(f *pfFixture) {
				now := f.clock.Now()
				f.fake.AddVideo(fakeyoutube.Video{ID: "pfEnded0001", ChannelID: pfOwner, ScheduledStart: now.Add(-3 * time.Hour),
					ActualStart: now.Add(-3 * time.Hour), ActualEnd: now.Add(-time.Hour)})
				f.ok("event", "set", pfSlug, "--video", "pfEnded0001")
			}},
		{name: "chat disabled", check: checkChatEnabled, want: "have no active live chat (activeLiveChatId): pfNoChat001",
			setup: func(f *pfFixture) {
				f.fake.AddVideo(fakeyoutube.Video{ID: "pfNoChat001", ChannelID: pfOwner, ChatDisabled: true, ScheduledStart: f.clock.Now().Add(time.Hour)})
				f.ok("event", "set", pfSlug, "--video", "pfNoChat001")
			}},
		{name: "members-only chat", check: checkChatReadable, want: "may not read 1 chat(s): pfMembers01 (403 forbidden: members-only chat)",
			setup: func(f *pfFixture) {
				f.fake.AddVideo(fakeyoutube.Video{ID: "pfMembers01", ChannelID: pfOwner, MembersOnly: true, ScheduledStart: f.clock.Now().Add(time.Hour)})
				f.ok("event", "set", pfSlug, "--video", "pfMembers01")
			}},
		{name: "chat read forbidden", check: checkChatReadable, want: pfVideo + " (403 forbidden: members-only chat)",
			setup: func(f *pfFixture) {
				// each run reads the chat twice (checklist, then --json)
				f.fake.InjectEvery(1, fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Status: 403, Reason: "forbidden"})
			}},
		{name: "streaming unreachable", check: checkStreaming, want: "no gRPC connection to 127.0.0.1:",
			setup: func(f *pfFixture) { f.env["ROLLCALL_YOUTUBE_GRPC_ENDPOINT"] = closedPort(f.t) }},
		{name: "no registrations", opts: pfOptions{noRegistrations: true}, check: checkRegistrations, want: "the event has no registrations"},
		{name: "codes not exported", opts: pfOptions{noCodes: true}, check: checkCodesExported, want: "the attendance codes were never exported"},
		{name: "registrations added after the codes export", check: checkCodesExported, want: "1 of 6 registrations were added after the last codes export",
			setup: func(f *pfFixture) {
				f.ok("registrations", "import", "--event", pfSlug, writeFile(f.t, "late.csv", []byte("Full Name,Email Address\r\nLate Comer,late@example.org\r\n")))
			}},
		{name: "name with a glyph no font has", check: checkNamesPrintable,
			opts: pfOptions{people: pfPeopleA + "Ana 🥲 Cruz,ana@example.ph,Philippines,Participant\r\n"},
			want: "1 of 6 registrations have a name that cannot be printed"},
		{name: "the missing characters are named", check: checkNamesPrintable,
			opts: pfOptions{people: pfPeopleA + "Ana 🥲 Cruz,ana@example.ph,Philippines,Participant\r\n"},
			want: "missing characters U+1F972 🥲"},
		{name: "a chinese name beside the english one prints", check: checkNamesPrintable,
			opts: pfOptions{people: pfPeopleA + "Lim Wei Ling 林慧玲,lim@example.sg,Singapore,Participant\r\nAna 🥲 Cruz,ana@example.ph,Philippines,Participant\r\n"},
			want: "1 of 7 registrations have a name that cannot be printed"},
		// YouTube's Date 10 s ahead: this machine is 10 s behind
		{name: "clock behind", opts: pfOptions{skew: 10 * time.Second}, check: checkClock, want: "behind YouTube's Date header"},
		{name: "clock ahead", opts: pfOptions{skew: -5 * time.Second}, check: checkClock, want: "ahead of YouTube's Date header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.check == checkNamesPrintable {
				requireFonts(t)
			}
			f := newPFFixture(t, tt.opts)
			if tt.setup != nil {
				tt.setup(f)
			}
			out := f.expectFail(tt.check, tt.want, tt.args...)
			if strings.Contains(out, "wrong-key-456") {
				t.Fatalf("the key is printed:\n%s", out)
			}
		})
	}
}

// TestPreflightDatabaseNotReady: preflight never migrates. An empty
// database is reported as not migrated, a missing SQLite file is not
// created, and no YouTube call is made (nothing to charge it to).
func TestPreflightDatabaseNotReady(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	cases := []struct{ name, db, want string }{
		{"not migrated", empty, "sqlite schema is at version 0, this rollcall needs"},
		{"missing file", missing, "no SQLite database at " + missing},
	}
	if os.Getenv(storetest.PostgresEnv) != "" {
		cases = append(cases, struct{ name, db, want string }{"postgres not migrated", storetest.PostgresDSN(t), "postgres schema is at version 0, this rollcall needs"})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeyoutube.New(fakeyoutube.NewManualClock(time.Now()), fakeyoutube.Options{APIKey: pfKey})
			f := &pfFixture{t: t, fake: fake, ctx: context.Background(), env: map[string]string{
				"ROLLCALL_DB": tt.db, "ROLLCALL_YOUTUBE_API_KEY": pfKey,
				"ROLLCALL_YOUTUBE_ENDPOINT": "http://" + serveFake(t, fake) + "/",
			}}
			out := f.expectFail(checkDatabase, tt.want)
			if !strings.Contains(out, "✗ "+checkCredential+" ") || !strings.Contains(out, "not checked") {
				t.Fatalf("the other checks should be ✗ not checked:\n%s", out)
			}
			if calls := fake.Calls(fakeyoutube.MethodVideosList) + fake.Calls(fakeyoutube.MethodChatList); calls != 0 {
				t.Fatalf("%d YouTube calls with no ledger to charge them to", calls)
			}
			if _, err := os.Stat(missing); err == nil {
				t.Fatal("preflight created the missing database")
			}
			if tt.db != missing {
				// still not migrated: preflight wrote nothing
				st, err := store.Open(context.Background(), tt.db, store.WithoutMigration())
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				if v, err := st.SchemaVersion(context.Background()); err != nil || v.Current != 0 {
					t.Fatalf("schema after preflight: %+v, %v", v, err)
				}
			}
		})
	}
}

// TestPreflightOAuthOwner: the owner's token passes the ownership check,
// does not probe the chat (a members-only chat is the owner's to read),
// and spends 2 units.
func TestPreflightOAuthOwner(t *testing.T) {
	requireFonts(t)
	f := newPFFixture(t, pfOptions{oauthChannel: pfOwner})
	f.fake.AddVideo(fakeyoutube.Video{ID: pfVideo, Title: "Policy dialogue", ChannelID: pfOwner, MembersOnly: true,
		ScheduledStart: f.clock.Now().Add(time.Hour), ScheduledEnd: f.clock.Now().Add(4 * time.Hour)})
	code, out, errs := f.preflight()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"the token's channel " + pfOwner + " owns every video", "not probed", "preflight spent 2 units"} {
		if !strings.Contains(out, want) {
			t.Fatalf("checklist does not say %q:\n%s", want, out)
		}
	}
	checkNoPersonalData(t, out)
	if n := f.fake.Calls(fakeyoutube.MethodChatList); n != 0 {
		t.Fatalf("%d chat reads with the owner's token", n)
	}
}

// TestPreflightPollFallbackNamed: with --chat-source poll the streaming
// check names the fallback and makes no connection; the quota estimate
// then counts a poll a minute.
func TestPreflightPollFallbackNamed(t *testing.T) {
	f := newPFFixture(t, pfOptions{})
	f.env["ROLLCALL_YOUTUBE_GRPC_ENDPOINT"] = closedPort(t)
	_, out, _ := f.preflight("--chat-source", "poll", "--event-duration", "2h")
	for _, want := range []string{"✓ streaming ", "--chat-source poll", "1 chat(s) polled once a minute: 121 reads × 5"} {
		if !strings.Contains(out, want) {
			t.Fatalf("checklist does not say %q:\n%s", want, out)
		}
	}
}

// TestPreflightUsage: bad usage exits 2, as every command does.
func TestPreflightUsage(t *testing.T) {
	f := newPFFixture(t, pfOptions{})
	for _, args := range [][]string{
		{"preflight"},
		{"preflight", "--event", pfSlug, "--chat-source", "carrier-pigeon"},
		{"preflight", "--event", pfSlug, "--event-duration", "0s"},
		{"preflight", "--event", pfSlug, "--quota-project", "AIza key/with slash"},
		{"preflight", "--event", "no-such-event"},
	} {
		if code, out, errs := f.run(args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2\n%s%s", args, code, out, errs)
		}
	}
	delete(f.env, "ROLLCALL_YOUTUBE_API_KEY")
	if code, _, errs := f.preflight(); code != 2 || !strings.Contains(errs, "no YouTube credential") {
		t.Fatalf("no credential: exit %d %s", code, errs)
	}
}

// TestCodesExportIsAudited: `rollcall codes` leaves an audit entry with
// the number of codes and no personal data, which preflight reads.
func TestCodesExportIsAudited(t *testing.T) {
	f := newPFFixture(t, pfOptions{})
	st, err := store.Open(context.Background(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := st.Event(context.Background(), pfSlug)
	if err != nil {
		t.Fatal(err)
	}
	log, err := st.AuditLog(context.Background(), e.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || log[0].Action != store.CodesExportAction || log[0].Actor != "tester" || log[0].Detail != "5 codes" {
		t.Fatalf("audit log: %+v", log)
	}
}
