package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"
)

// GrantInterval is how often the grant monitor checks the channel owner's
// OAuth grant while the daemon runs.
const GrantInterval = time.Hour

// GrantMonitor checks the channel owner's OAuth grant at start-up and every
// hour, and exports rollcall_oauth_grant_valid: 1 while the grant refreshes
// and holds every scope the configuration needs, 0 otherwise (the
// OAuthGrantInvalid alert fires on it). A Cloud project whose consent
// screen is in "Testing" gets refresh tokens that die after 7 days; the
// message says so. Each check also reads the token file again, so a new
// 'rollcall auth login' is taken up without a restart.
type GrantMonitor struct {
	Source *RefreshingTokenSource
	// Need are the scopes the configuration uses (NeededScopes).
	Need []string
	// Reload reads the token file again; nil never reloads.
	Reload func() (*oauth2.Token, error)
	// FallbackKey reports whether an API key takes over reading when the
	// grant is dead (for the log line).
	FallbackKey bool
	Log         *slog.Logger

	valid prometheus.Gauge
	last  string // the last refresh token seen in the file
}

// NewGrantMonitor registers rollcall_oauth_grant_valid on reg.
func NewGrantMonitor(reg prometheus.Registerer, m GrantMonitor) (*GrantMonitor, error) {
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	m.valid = prometheus.NewGauge(prometheus.GaugeOpts{Name: "rollcall_oauth_grant_valid",
		Help: "1 when the channel owner's OAuth grant refreshes and holds every scope the configuration needs, 0 when it is dead or lacks one (checked at start-up and hourly)."})
	if reg != nil {
		if err := reg.Register(m.valid); err != nil {
			return nil, fmt.Errorf("collector: register grant metric: %w", err)
		}
	}
	if cur := m.Source.Current(); cur != nil {
		m.last = cur.RefreshToken
	}
	mon := &m
	// A refresh made for an API call that finds the grant dead says so at
	// once: the metric drops and the log says what reads go on.
	m.Source.OnDead(func(err error) {
		mon.valid.Set(0)
		mon.Log.Error("the channel owner's OAuth grant died", "err", err, "api_key_fallback", mon.FallbackKey)
	})
	return mon, nil
}

// Check checks the grant once: a forced refresh, then the scopes Google
// says it holds. It sets the metric and returns why the grant does not do.
func (m *GrantMonitor) Check(ctx context.Context) error {
	if m.Reload != nil {
		if tok, err := m.Reload(); err == nil && tok.RefreshToken != "" && tok.RefreshToken != m.last {
			m.last = tok.RefreshToken
			m.Source.Replace(tok)
			m.Log.Info("oauth token file changed: using the new grant")
		}
	}
	err := m.check()
	if err != nil {
		m.valid.Set(0)
		m.Log.Error("the channel owner's OAuth grant does not do", "err", err, "api_key_fallback", m.FallbackKey)
		return err
	}
	m.valid.Set(1)
	return nil
}

func (m *GrantMonitor) check() error {
	tok, err := m.Source.Recheck()
	if err != nil {
		if errors.Is(err, ErrGrantInvalid) {
			return fmt.Errorf("%w; a Cloud project whose OAuth consent screen is in \"Testing\" gets refresh tokens that die after 7 days: publish it, or log in again before every event", err)
		}
		return err
	}
	granted, known := GrantedScopes(tok)
	if !known {
		return nil // Google did not say; the API answers insufficientPermissions if a scope is missing
	}
	if missing := MissingScopes(granted, m.Need); len(missing) > 0 {
		return fmt.Errorf("oauth: the grant lacks the scope %s: run 'rollcall auth login --scopes %s' again", strings.Join(ScopeNames(missing), ", "), strings.Join(ScopeNames(m.Need), ","))
	}
	return nil
}

// ScopeNames are scopes by short name (ScopeName of each).
func ScopeNames(scopes []string) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = ScopeName(s)
	}
	return out
}

// Run checks the grant every GrantInterval until ctx ends. The start-up
// check is the caller's (Check), so that it can refuse to start.
func (m *GrantMonitor) Run(ctx context.Context) error {
	t := time.NewTicker(GrantInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_ = m.Check(ctx)
		}
	}
}
