package mail

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{"", Rate{}, false},
		{"0", Rate{}, false},
		{"20/m", Rate{20, time.Minute}, false},
		{" 5 / s ", Rate{5, time.Second}, false},
		{"1000/h", Rate{1000, time.Hour}, false},
		{"0/m", Rate{}, false},
		{"20", Rate{}, true},
		{"20/d", Rate{}, true},
		{"-1/m", Rate{}, true},
		{"x/m", Rate{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseRate(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
	if d := (Rate{20, time.Minute}).interval(); d != 3*time.Second {
		t.Errorf("20/m spaces messages %s apart, want 3s", d)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {7, time.Hour}, {50, time.Hour}} {
		if got := Backoff(tc.attempts, time.Minute, time.Hour); got != tc.want {
			t.Errorf("Backoff(%d) = %s, want %s", tc.attempts, got, tc.want)
		}
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		name, in string
		want     SMTPTarget
		wantErr  string
	}{
		{"starttls default port", "smtp://mailer@smtp.example.org", SMTPTarget{Host: "smtp.example.org", Port: 587, User: "mailer"}, ""},
		{"implicit tls", "smtps://mailer@smtp.example.org:2465", SMTPTarget{Host: "smtp.example.org", Port: 2465, User: "mailer", Implicit: true}, ""},
		{"clear to loopback", "smtp://127.0.0.1:2525?tls=none", SMTPTarget{Host: "127.0.0.1", Port: 2525, Clear: true}, ""},
		{"clear elsewhere refused", "smtp://smtp.example.org:25?tls=none", SMTPTarget{}, "loopback"},
		{"password in the url refused", "smtp://mailer:hunter2@smtp.example.org", SMTPTarget{}, "password"},
		{"other scheme", "http://smtp.example.org", SMTPTarget{}, "scheme"},
		{"no host", "smtp://", SMTPTarget{}, "no host"},
		{"bad port", "smtp://h:99999", SMTPTarget{}, "port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSMTPURL(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error %v, want one about %s (never quoting a password)", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if s := (SMTPTarget{Host: "h", Port: 465, User: "u", Implicit: true}).String(); s != "smtps://u@h:465" {
		t.Errorf("String() = %s", s)
	}
}
