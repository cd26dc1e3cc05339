package attendance

import (
	"net/url"
	"regexp"
	"strings"
)

var videoIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{11}$`)

// ParseVideoRef returns the 11-character YouTube video id in s, which may be
// a bare id or any URL form people paste: watch?v= (with extra parameters),
// youtu.be/, /live/, /shorts/, /embed/, on www., m. and music. hosts, with or
// without a scheme.
func ParseVideoRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if videoIDPattern.MatchString(s) {
		return s, nil
	}
	raw := s
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", Errorf(EInvalid, "%q is neither a YouTube video id (11 characters) nor a YouTube URL", s)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	var id string
	switch host {
	case "youtu.be", "www.youtu.be":
		id = firstSegment(u.Path)
	case "youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com":
		p := strings.Trim(u.Path, "/")
		switch {
		case p == "watch":
			id = u.Query().Get("v")
		case strings.HasPrefix(p, "live/"), strings.HasPrefix(p, "shorts/"), strings.HasPrefix(p, "embed/"), strings.HasPrefix(p, "v/"):
			id = firstSegment(p[strings.IndexByte(p, '/'):])
		default:
			return "", Errorf(EInvalid, "%q is a YouTube URL but not of a video (expected watch?v=, youtu.be/, /live/ or /shorts/)", s)
		}
	default:
		return "", Errorf(EInvalid, "%q is not a YouTube URL (host %q)", s, host)
	}
	if !videoIDPattern.MatchString(id) {
		return "", Errorf(EInvalid, "%q does not hold a valid YouTube video id (got %q, expected 11 characters of A-Z a-z 0-9 _ -)", s, id)
	}
	return id, nil
}

func firstSegment(p string) string {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	return p
}
