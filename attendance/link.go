package attendance

import (
	"strings"
	"time"
)

// Link methods, by evidence strength: the person typed their code in chat,
// the chat author is the channel they gave at registration, or staff linked
// them by hand (audited).
const (
	LinkCode    = "code"
	LinkChannel = "channel"
	LinkManual  = "manual"
)

// Link conflict kinds. An open one blocks the registration's certificate of
// participation (ReasonCodeConflict) until staff resolve it; the review
// flags ConflictEvidenceDeleted and ConflictChannelBanned share the kinds'
// table and review path but block nothing (ReviewOnly).
const (
	// ConflictCodeTaken: a code typed by a second channel, recorded against
	// the code's owner.
	ConflictCodeTaken = "code_taken"
	// ConflictTooManyCodes: a channel typed more distinct codes than the
	// policy's MaxRegistrationsPerChannel, recorded against the
	// registration of each extra code.
	ConflictTooManyCodes = "too_many_codes"
	// ConflictTooManyRegistrations: a channel given at registration by more
	// people than the policy's MaxRegistrationsPerChannel.
	ConflictTooManyRegistrations = "too_many_registrations"
)

// PresenceType reports whether a chat message of type t shows its author
// was there: text, Super Chat, Super Sticker and member milestone messages
// link and hit; deletions, bans and notices never do.
func PresenceType(t string) bool {
	switch t {
	case MsgText, MsgSuperChat, MsgSuperSticker, MsgMemberMilestone:
		return true
	}
	return false
}

// Link joins a chat channel to a registration, with the message that made
// it.
type Link struct {
	RegistrationID int64
	ChannelID      string
	Method         string // LinkCode, LinkChannel or LinkManual
	MessageID      string
	At             time.Time // the message's publishedAt
}

// LinkConflict is a link refused for staff review, with the message that
// asked for it.
type LinkConflict struct {
	RegistrationID int64
	ChannelID      string
	Kind           string // ConflictCodeTaken, ConflictTooManyCodes or ConflictTooManyRegistrations
	MessageID      string
	At             time.Time // the message's publishedAt
}

// LinkState is what linking one page of chat needs to know: the page, and
// what the event's store holds about the codes and channels it names.
type LinkState struct {
	// Messages are the page's fresh messages, in page order.
	Messages []ChatMessage
	// Codes are the codes each message carries, by index in Messages, as
	// PageCodes gives them; nil means PageCodes(Messages).
	Codes [][]string
	// Owners maps each registered code among them to its registration;
	// codes nobody registered are absent and count for nothing.
	Owners map[string]int64
	// Accounts maps each channel id ("UC…") and lower-case "@handle" given
	// at registration that the page's authors show to the registrations
	// that gave it, in id order.
	Accounts map[string][]int64
	// Links are the stored links of the channels and registrations
	// involved: every link of the authors of messages that carry a code
	// or show one of Accounts, and every link of the codes' owners. Only
	// RegistrationID and ChannelID are read.
	Links []Link
}

// PageCodes returns the codes that each presence message of a page carries
// (ExtractCodes of its text), by index in msgs, and the distinct codes in
// order of appearance: the ones whose owners linking needs.
func PageCodes(msgs []ChatMessage) (perMessage [][]string, distinct []string) {
	perMessage = make([][]string, len(msgs))
	seen := map[string]bool{}
	for i := range msgs {
		m := &msgs[i]
		if m.AuthorChannelID == "" || m.Text == "" || !PresenceType(m.Type) {
			continue
		}
		codes := ExtractCodes(m.Text)
		perMessage[i] = codes
		for _, c := range codes {
			if !seen[c] {
				seen[c] = true
				distinct = append(distinct, c)
			}
		}
	}
	return perMessage, distinct
}

// AuthorAccounts returns the accounts a message's author shows, as
// registrations store them: the channel id, and the lower-cased display
// name when it is a handle ("@name": YouTube shows handles as display
// names), else "". A message that shows no presence shows neither.
func AuthorAccounts(m *ChatMessage) (channel, handle string) {
	if m.AuthorChannelID == "" || !PresenceType(m.Type) {
		return "", ""
	}
	if strings.HasPrefix(m.AuthorName, "@") {
		return m.AuthorChannelID, strings.ToLower(m.AuthorName)
	}
	return m.AuthorChannelID, ""
}

// DecideLinks applies the linking rules to one page of chat, in page
// order, and returns the new links and conflicts:
//   - a registered code links the first channel that types it;
//   - a code typed by a second channel while it is linked is a
//     ConflictCodeTaken against the code's owner, and links nothing;
//   - a channel already holding MaxRegistrationsPerChannel links that types
//     another code gets a ConflictTooManyCodes against that code's owner;
//   - an author whose channel id or @handle a registration gave links to it
//     (LinkChannel), or beyond the policy's limit gets a
//     ConflictTooManyRegistrations;
//   - a link that exists, stored or made earlier on the page, is not made
//     again, and a repeat of a code by the channel it links is no conflict.
//
// It does no I/O: the store loads st inside the page's transaction and
// saves the result in it.
func DecideLinks(p Policy, st LinkState) (links []Link, conflicts []LinkConflict) {
	if len(st.Owners) == 0 && len(st.Accounts) == 0 {
		return nil, nil
	}
	codes := st.Codes
	if codes == nil {
		codes, _ = PageCodes(st.Messages)
	}
	byChannel := map[string]map[int64]bool{}
	byReg := map[int64]int{}
	link := func(reg int64, ch string) {
		if byChannel[ch] == nil {
			byChannel[ch] = map[int64]bool{}
		}
		if !byChannel[ch][reg] {
			byChannel[ch][reg] = true
			byReg[reg]++
		}
	}
	for _, l := range st.Links {
		link(l.RegistrationID, l.ChannelID)
	}
	for i := range st.Messages {
		m := &st.Messages[i]
		ch := m.AuthorChannelID
		if ch == "" || !PresenceType(m.Type) {
			continue
		}
		for _, code := range codes[i] {
			reg, ok := st.Owners[code]
			if !ok || byChannel[ch][reg] {
				continue
			}
			switch {
			case byReg[reg] > 0:
				conflicts = append(conflicts, LinkConflict{reg, ch, ConflictCodeTaken, m.ID, m.PublishedAt})
			case len(byChannel[ch]) >= p.MaxRegistrationsPerChannel:
				conflicts = append(conflicts, LinkConflict{reg, ch, ConflictTooManyCodes, m.ID, m.PublishedAt})
			default:
				links = append(links, Link{reg, ch, LinkCode, m.ID, m.PublishedAt})
				link(reg, ch)
			}
		}
		if len(st.Accounts) == 0 {
			continue
		}
		channel, handle := AuthorAccounts(m)
		for _, account := range [2]string{channel, handle} {
			for _, reg := range st.Accounts[account] {
				if byChannel[ch][reg] {
					continue
				}
				if len(byChannel[ch]) >= p.MaxRegistrationsPerChannel {
					conflicts = append(conflicts, LinkConflict{reg, ch, ConflictTooManyRegistrations, m.ID, m.PublishedAt})
					continue
				}
				links = append(links, Link{reg, ch, LinkChannel, m.ID, m.PublishedAt})
				link(reg, ch)
			}
		}
	}
	return links, conflicts
}
