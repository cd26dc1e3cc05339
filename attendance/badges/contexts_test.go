package badges

import (
	"encoding/json"
	"testing"
)

func TestContextsEmbedded(t *testing.T) {
	ctxs := Contexts()
	// Every context a credential names is bundled, and nothing else.
	c, err := Credential(testIssuer(), testAward(), testAchievements(t)[TypeParticipation])
	if err != nil {
		t.Fatal(err)
	}
	if len(ctxs) != len(c.Context) {
		t.Errorf("%d bundled contexts, credentials name %d", len(ctxs), len(c.Context))
	}
	for _, url := range c.Context {
		doc, ok := ctxs[url]
		if !ok {
			t.Errorf("context %s is not bundled", url)
			continue
		}
		var m map[string]map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Errorf("context %s is not JSON: %v", url, err)
			continue
		}
		if m["@context"]["@protected"] != true {
			t.Errorf("context %s has no protected @context object", url)
		}
	}
	// The terms our credentials use are defined where we expect them.
	var ob map[string]map[string]any
	_ = json.Unmarshal(ctxs[ContextOpenBadgesV3], &ob)
	for _, term := range []string{"OpenBadgeCredential", "Achievement", "AchievementSubject", "IdentityObject", "Profile", "Evidence", "Criteria", "narrative", "image"} {
		if _, ok := ob["@context"][term]; !ok {
			t.Errorf("Open Badges context lacks %q", term)
		}
	}
	var vc map[string]map[string]any
	_ = json.Unmarshal(ctxs[ContextCredentialsV2], &vc)
	for _, term := range []string{"VerifiableCredential", "name", "description", "iss", "nbf"} {
		if _, ok := vc["@context"][term]; !ok {
			t.Errorf("VC v2 context lacks %q", term)
		}
	}
	// Callers get copies.
	ctxs[ContextCredentialsV2][0] = 'X'
	if Contexts()[ContextCredentialsV2][0] != '{' {
		t.Error("Contexts shares its bytes with callers")
	}
}
