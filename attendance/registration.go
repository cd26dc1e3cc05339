package attendance

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Role is what a registered person does at the event.
type Role string

// Roles. Speakers, panelists and moderators earn a certificate of
// appreciation; participants one of participation.
const (
	RoleParticipant Role = "participant"
	RoleSpeaker     Role = "speaker"
	RolePanelist    Role = "panelist"
	RoleModerator   Role = "moderator"
	RoleOrganizer   Role = "organizer"
)

// Roles lists every role in a stable order.
var roleNames = map[string]Role{
	"participant": RoleParticipant, "attendee": RoleParticipant, "delegate": RoleParticipant,
	"speaker": RoleSpeaker, "resourcespeaker": RoleSpeaker, "keynotespeaker": RoleSpeaker, "presenter": RoleSpeaker,
	"panelist": RolePanelist, "panellist": RolePanelist, "reactor": RolePanelist,
	"moderator": RoleModerator, "facilitator": RoleModerator, "host": RoleModerator,
	"organizer": RoleOrganizer, "organiser": RoleOrganizer, "secretariat": RoleOrganizer, "staff": RoleOrganizer,
}

// ParseRole reads a role as people write it ("Panellist", "Resource Speaker");
// empty means participant.
func ParseRole(s string) (Role, error) {
	k := headerKey(s)
	if k == "" {
		return RoleParticipant, nil
	}
	if r, ok := roleNames[k]; ok {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: expected participant, speaker, panelist, moderator or organizer", s)
}

// Registration source: where a person's record came from.
const (
	SourceImport = "import"
	SourceForm   = "form"
	SourceManual = "manual"
)

// Registration is one person registered for an event.
type Registration struct {
	ID       int64
	EventID  int64
	FullName string // as it should print on a certificate: NFC, never re-cased
	Email    string // NormalizeEmail form: the identity per event
	Country  string
	Org      string
	Role     Role
	YouTube  string // handle (@name) or channel id (UC…) given at registration
	Code     string // canonical attendance code (no dash)
	Source   string
	Extra    map[string]string // every other column, by header

	CreatedAt time.Time
	UpdatedAt time.Time
}

// NormalizeEmail returns the identity form of an email: trimmed and lower
// case. It does not validate.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateEmail checks that s (already normalised) is one plain address.
func ValidateEmail(s string) error {
	if s == "" {
		return fmt.Errorf("the email is empty")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("%q is not an email address (expected name@example.org)", s)
	}
	at := strings.LastIndexByte(s, '@')
	if !strings.Contains(s[at+1:], ".") {
		return fmt.Errorf("%q has no domain with a dot after the @", s)
	}
	return nil
}

// NormalizeName returns a person's name as it should be stored: NFC, inner
// runs of white space folded to one space, trimmed. Case is never changed.
func NormalizeName(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// MaxNameLength is the longest name, country or organisation accepted, in
// characters: far above any real name, far below what breaks a page or a
// certificate.
const MaxNameLength = 200

// ValidateText refuses text that would act rather than read: C0 and C1
// control characters (an ANSI escape reaching a terminal) and the bidi
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: U+202E
// reorders a name on a public page), and text longer than MaxNameLength
// characters. It refuses what can never print, too: private-use
// characters (U+E000–U+F8FF and planes 15 and 16), which mean something
// only to the font of whoever typed them, and noncharacters (U+FFFE,
// U+FDD0…). Left-to-right and right-to-left marks and the zero-width
// joiners stay: scripts of the region need them. Run it on a normalised
// value (NormalizeName folds tabs and newlines into spaces).
func ValidateText(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return Errorf(EInvalid, "%d characters, more than %d", n, MaxNameLength)
	}
	for i, r := range s {
		switch {
		case unicode.IsControl(r):
			return Errorf(EInvalid, "a control character (U+%04X) at character %d", r, utf8.RuneCountInString(s[:i])+1)
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return Errorf(EInvalid, "a bidirectional override (U+%04X) at character %d, which would reorder the text", r, utf8.RuneCountInString(s[:i])+1)
		case unicode.Is(unicode.Co, r):
			return Errorf(EInvalid, "a private-use character (U+%04X) at character %d, which no font prints", r, utf8.RuneCountInString(s[:i])+1)
		case unicode.Is(unicode.Noncharacter_Code_Point, r):
			return Errorf(EInvalid, "a noncharacter (U+%04X) at character %d, which no font prints", r, utf8.RuneCountInString(s[:i])+1)
		}
	}
	return nil
}

var (
	handlePattern    = regexp.MustCompile(`^@[A-Za-z0-9._·-]{3,30}$`)
	channelIDPattern = regexp.MustCompile(`^UC[A-Za-z0-9_-]{22}$`)
)

// ParseYouTubeAccount reads the channel a person gave at registration: an
// @handle, a channel id (UC…), or a channel URL of either. It returns the
// handle (with @, lower case: handles are case-insensitive) or the channel id.
func ParseYouTubeAccount(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if i := strings.Index(s, "youtube.com/"); i >= 0 {
		p := strings.Trim(s[i+len("youtube.com/"):], "/")
		if j := strings.IndexAny(p, "?#"); j >= 0 {
			p = p[:j]
		}
		switch {
		case strings.HasPrefix(p, "channel/"):
			s = firstSegment(p[len("channel/"):])
		case strings.HasPrefix(p, "@"):
			s = firstSegment(p)
		default:
			return "", fmt.Errorf("%q is a YouTube URL but not of a channel (expected youtube.com/@handle or youtube.com/channel/UC…)", s)
		}
	}
	switch {
	case channelIDPattern.MatchString(s):
		return s, nil
	case handlePattern.MatchString(s):
		return strings.ToLower(s), nil
	case handlePattern.MatchString("@" + s):
		return strings.ToLower("@" + s), nil
	}
	return "", fmt.Errorf("%q is not a YouTube handle (@name) or channel id (UC…)", s)
}

// Field is a registration field that a column can map to.
type Field string

// Registration fields.
const (
	FieldFullName  Field = "full_name"
	FieldFirstName Field = "first_name"
	FieldLastName  Field = "last_name"
	FieldEmail     Field = "email"
	FieldCountry   Field = "country"
	FieldOrg       Field = "organisation"
	FieldRole      Field = "role"
	FieldYouTube   Field = "youtube"
	FieldCode      Field = "code"
	FieldIgnore    Field = "ignore"
)

// headerSynonyms maps normalised header text to the field it means.
var headerSynonyms = map[string]Field{
	"fullname": FieldFullName, "name": FieldFullName, "completename": FieldFullName, "participantname": FieldFullName,
	"nameofparticipant": FieldFullName, "yourname": FieldFullName, "nameoncertificate": FieldFullName,
	"firstname": FieldFirstName, "givenname": FieldFirstName,
	"lastname": FieldLastName, "surname": FieldLastName, "familyname": FieldLastName,
	"email": FieldEmail, "emailaddress": FieldEmail, "mail": FieldEmail, "youremail": FieldEmail, "youremailaddress": FieldEmail,
	"country": FieldCountry, "countryofresidence": FieldCountry, "nationality": FieldCountry,
	"organization": FieldOrg, "organisation": FieldOrg, "institution": FieldOrg, "institutionorganization": FieldOrg,
	"institutionorganisation": FieldOrg, "organizationinstitution": FieldOrg, "school": FieldOrg, "affiliation": FieldOrg,
	"agency": FieldOrg, "company": FieldOrg, "schoolinstitution": FieldOrg, "nameofinstitution": FieldOrg,
	"role": FieldRole, "participanttype": FieldRole, "registrationtype": FieldRole, "participation": FieldRole,
	"youtube": FieldYouTube, "youtubehandle": FieldYouTube, "youtubechannel": FieldYouTube, "youtubechannelurl": FieldYouTube,
	"youtubeaccount": FieldYouTube, "youtubeusername": FieldYouTube,
	"attendancecode": FieldCode, "code": FieldCode, "yourattendancecode": FieldCode,
}

// headerKey folds a header to letters and digits, lower case, so that
// "E-mail Address", "Email address:" and "EMAIL_ADDRESS" meet.
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FieldForHeader returns the field a column header means, or "" when the
// column is kept as an extra field.
func FieldForHeader(h string) Field {
	k := headerKey(h)
	if f, ok := headerSynonyms[k]; ok {
		return f
	}
	switch {
	case strings.Contains(k, "email"):
		return FieldEmail
	case strings.Contains(k, "youtube"):
		return FieldYouTube
	case strings.Contains(k, "fullname"), strings.HasPrefix(k, "name") && strings.Contains(k, "certificate"):
		return FieldFullName
	}
	return ""
}

// ParseField reads a field name given on the command line (--map).
func ParseField(s string) (Field, error) {
	switch f := Field(strings.ToLower(strings.TrimSpace(s))); f {
	case FieldFullName, FieldFirstName, FieldLastName, FieldEmail, FieldCountry, FieldOrg, FieldRole, FieldYouTube, FieldCode, FieldIgnore:
		return f, nil
	case "name":
		return FieldFullName, nil
	case "organization", "institution":
		return FieldOrg, nil
	}
	return "", Errorf(EInvalid, "unknown field %q: expected full_name, first_name, last_name, email, country, organisation, role, youtube, code or ignore", s)
}
