package badges

import (
	"embed"
	"fmt"
)

// The URLs of the JSON-LD contexts every credential names, in order.
const (
	// ContextCredentialsV2 is the W3C Verifiable Credentials 2.0 context.
	ContextCredentialsV2 = "https://www.w3.org/ns/credentials/v2"
	// ContextOpenBadgesV3 is the 1EdTech Open Badges 3.0 context, version 3.0.3.
	ContextOpenBadgesV3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

//go:embed contexts/credentials-v2.jsonld contexts/ob-context-3.0.3.json
var contextFiles embed.FS

// contextFile maps each context URL to its bundled copy.
func contextFile(url string) (string, bool) {
	switch url {
	case ContextCredentialsV2:
		return "contexts/credentials-v2.jsonld", true
	case ContextOpenBadgesV3:
		return "contexts/ob-context-3.0.3.json", true
	}
	return "", false
}

// Contexts returns the bundled JSON-LD context documents keyed by the URL
// that credentials use for them, so that the dashboard can serve them and an
// offline verifier can resolve them without the network. The map and its
// byte slices are fresh copies; callers may keep or change them.
func Contexts() map[string][]byte {
	out := make(map[string][]byte, 2)
	for _, url := range []string{ContextCredentialsV2, ContextOpenBadgesV3} {
		name, _ := contextFile(url)
		b, err := contextFiles.ReadFile(name)
		if err != nil {
			// The files are embedded at build time; a missing one is a
			// broken build, not a run-time condition.
			panic(fmt.Sprintf("badges: embedded context %s: %v", name, err))
		}
		out[url] = b
	}
	return out
}
