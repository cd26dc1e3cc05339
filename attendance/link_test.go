package attendance

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestDecideLinks(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	// Registrations 1..4 hold these codes.
	owners := map[string]int64{"K7QM4X2P": 1, "A2B3C4D5": 2, "H8J9K2M3": 3, "P4Q5R6S7": 4}
	n := 0
	msg := func(ch, text string) ChatMessage {
		n++
		return ChatMessage{ID: fmt.Sprintf("m%d", n), Type: MsgText, AuthorChannelID: ch, AuthorName: "Viewer " + ch, Text: text, PublishedAt: t0.Add(time.Duration(n) * time.Second)}
	}
	typed := func(m ChatMessage, typ string) ChatMessage { m.Type = typ; return m }
	named := func(m ChatMessage, name string) ChatMessage { m.AuthorName = name; return m }
	link := func(reg int64, ch, method string, m ChatMessage) Link {
		return Link{reg, ch, method, m.ID, m.PublishedAt}
	}
	conflict := func(reg int64, ch, kind string, m ChatMessage) LinkConflict {
		return LinkConflict{reg, ch, kind, m.ID, m.PublishedAt}
	}
	policy := func(max int) Policy { p := DefaultPolicy(); p.MaxRegistrationsPerChannel = max; return p }
	type tc struct {
		name      string
		p         Policy
		st        LinkState
		links     []Link
		conflicts []LinkConflict
	}
	var cases []tc
	add := func(c tc) {
		if c.st.Owners == nil {
			c.st.Owners = owners
		}
		cases = append(cases, c)
	}
	{
		m := msg("UCa", "hello, my code is K7QM-4X2P")
		add(tc{name: "a code links the channel that types it", p: policy(1), st: LinkState{Messages: []ChatMessage{m}},
			links: []Link{link(1, "UCa", LinkCode, m)}})
	}
	{
		a, b := msg("UCa", "K7QM-4X2P"), msg("UCb", "K7QM-4X2P")
		add(tc{name: "the first channel to type a code wins; the second is code_taken", p: policy(1),
			st:    LinkState{Messages: []ChatMessage{a, b}},
			links: []Link{link(1, "UCa", LinkCode, a)}, conflicts: []LinkConflict{conflict(1, "UCb", ConflictCodeTaken, b)}})
	}
	{
		b, a := msg("UCb", "K7QM-4X2P"), msg("UCa", "K7QM-4X2P")
		a.PublishedAt = b.PublishedAt.Add(-time.Minute) // earlier publishedAt, later on the page
		add(tc{name: "first is page order, not publishedAt", p: policy(1), st: LinkState{Messages: []ChatMessage{b, a}},
			links: []Link{link(1, "UCb", LinkCode, b)}, conflicts: []LinkConflict{conflict(1, "UCa", ConflictCodeTaken, a)}})
	}
	{
		b := msg("UCb", "k7qm4x2p")
		add(tc{name: "a code linked on an earlier page is code_taken", p: policy(1),
			st:        LinkState{Messages: []ChatMessage{b}, Links: []Link{{RegistrationID: 1, ChannelID: "UCa"}}},
			conflicts: []LinkConflict{conflict(1, "UCb", ConflictCodeTaken, b)}})
	}
	{
		a1, a2 := msg("UCa", "K7QM-4X2P"), msg("UCa", "K7QM-4X2P again, K7QM4X2P")
		add(tc{name: "the same code twice links once", p: policy(1), st: LinkState{Messages: []ChatMessage{a1, a2}},
			links: []Link{link(1, "UCa", LinkCode, a1)}})
	}
	{
		a := msg("UCa", "K7QM-4X2P")
		add(tc{name: "a repeat of a linked code by its channel is nothing", p: policy(1),
			st: LinkState{Messages: []ChatMessage{a}, Links: []Link{{RegistrationID: 1, ChannelID: "UCa"}}}})
	}
	{
		a1, a2 := msg("UCa", "K7QM-4X2P"), msg("UCa", "and my colleague A2B3-C4D5")
		add(tc{name: "several codes on one channel within the policy", p: policy(3), st: LinkState{Messages: []ChatMessage{a1, a2}},
			links: []Link{link(1, "UCa", LinkCode, a1), link(2, "UCa", LinkCode, a2)}})
	}
	{
		a := msg("UCa", "K7QM-4X2P A2B3-C4D5 H8J9-K2M3")
		add(tc{name: "codes in one message beyond the policy: too_many_codes for each extra", p: policy(2), st: LinkState{Messages: []ChatMessage{a}},
			links:     []Link{link(1, "UCa", LinkCode, a), link(2, "UCa", LinkCode, a)},
			conflicts: []LinkConflict{conflict(3, "UCa", ConflictTooManyCodes, a)}})
	}
	{
		a := msg("UCa", "A2B3-C4D5")
		add(tc{name: "links stored before count toward the policy", p: policy(1),
			st:        LinkState{Messages: []ChatMessage{a}, Links: []Link{{RegistrationID: 1, ChannelID: "UCa"}}},
			conflicts: []LinkConflict{conflict(2, "UCa", ConflictTooManyCodes, a)}})
	}
	{
		b := msg("UCb", "K7QM-4X2P A2B3-C4D5")
		add(tc{name: "code_taken before too_many_codes; a taken code takes no place", p: policy(1),
			st:        LinkState{Messages: []ChatMessage{b}, Links: []Link{{RegistrationID: 1, ChannelID: "UCa"}}},
			links:     []Link{link(2, "UCb", LinkCode, b)},
			conflicts: []LinkConflict{conflict(1, "UCb", ConflictCodeTaken, b)}})
	}
	{
		ans, code := msg("UCa", "bamboo"), msg("UCa", "K7QM-4X2P")
		add(tc{name: "an answer before the code: the link rests on the code's message", p: policy(1), st: LinkState{Messages: []ChatMessage{ans, code}},
			links: []Link{link(1, "UCa", LinkCode, code)}})
	}
	{
		a := msg("UCa", "Z9Z9-Z9Z9 is not anyone's")
		add(tc{name: "a code nobody registered counts for nothing", p: policy(1), st: LinkState{Messages: []ChatMessage{a}}})
	}
	for _, v := range []struct{ name, text string }{
		{"lower case and spaces", "k7qm 4x2p"},
		{"en dash", "K7QM–4X2P"},
		{"full width", "Ｋ７ＱＭ－４Ｘ２Ｐ"},
		{"a word before the code", "Phnom Penh K7QM-4X2P"},
	} {
		a := msg("UCa", v.text)
		add(tc{name: "variants normalised by ExtractCodes: " + v.name, p: policy(1), st: LinkState{Messages: []ChatMessage{a}},
			links: []Link{link(1, "UCa", LinkCode, a)}})
	}
	{
		glued := msg("UCa", "XK7QM4X2P")
		add(tc{name: "a code glued to other letters is no code", p: policy(1), st: LinkState{Messages: []ChatMessage{glued}}})
	}
	{
		sc := typed(msg("UCa", "K7QM-4X2P"), MsgSuperChat)
		add(tc{name: "a Super Chat's comment links", p: policy(1), st: LinkState{Messages: []ChatMessage{sc}},
			links: []Link{link(1, "UCa", LinkCode, sc)}})
	}
	{
		del, anon := typed(msg("UCa", "K7QM-4X2P"), MsgMessageDeleted), msg("", "K7QM-4X2P")
		add(tc{name: "no link from a message that shows no presence or has no author", p: policy(1), st: LinkState{Messages: []ChatMessage{del, anon}}})
	}
	{
		a := msg("UCa", "hello from Hanoi")
		add(tc{name: "the channel id given at registration links", p: policy(1),
			st:    LinkState{Messages: []ChatMessage{a}, Owners: map[string]int64{}, Accounts: map[string][]int64{"UCa": {5}}},
			links: []Link{link(5, "UCa", LinkChannel, a)}})
	}
	{
		a := named(msg("UCa", "hello"), "@Lotus.Teacher")
		add(tc{name: "the handle given at registration matches the display name, any case", p: policy(1),
			st:    LinkState{Messages: []ChatMessage{a}, Owners: map[string]int64{}, Accounts: map[string][]int64{"@lotus.teacher": {5}}},
			links: []Link{link(5, "UCa", LinkChannel, a)}})
	}
	{
		a1, a2 := msg("UCschool", "good morning"), msg("UCschool", "thank you")
		add(tc{name: "a school's shared channel up to the policy, then too_many_registrations", p: policy(3),
			st:    LinkState{Messages: []ChatMessage{a1, a2}, Owners: map[string]int64{}, Accounts: map[string][]int64{"UCschool": {5, 6, 7, 8}}},
			links: []Link{link(5, "UCschool", LinkChannel, a1), link(6, "UCschool", LinkChannel, a1), link(7, "UCschool", LinkChannel, a1)},
			conflicts: []LinkConflict{conflict(8, "UCschool", ConflictTooManyRegistrations, a1),
				conflict(8, "UCschool", ConflictTooManyRegistrations, a2)}})
	}
	{
		a := msg("UCa", "K7QM-4X2P")
		add(tc{name: "a code, then the channel given at registration, on one channel beyond the policy", p: policy(1),
			st:        LinkState{Messages: []ChatMessage{a}, Accounts: map[string][]int64{"UCa": {5}}},
			links:     []Link{link(1, "UCa", LinkCode, a)},
			conflicts: []LinkConflict{conflict(5, "UCa", ConflictTooManyRegistrations, a)}})
	}
	{
		a, b := msg("UCa", "hi"), msg("UCb", "A2B3-C4D5")
		add(tc{name: "a code whose owner linked by channel earlier on the page is code_taken", p: policy(1),
			st:        LinkState{Messages: []ChatMessage{a, b}, Accounts: map[string][]int64{"UCa": {2}}},
			links:     []Link{link(2, "UCa", LinkChannel, a)},
			conflicts: []LinkConflict{conflict(2, "UCb", ConflictCodeTaken, b)}})
	}
	{
		a := msg("UCa", "K7QM-4X2P")
		add(tc{name: "nothing registered among the page's codes and accounts", p: policy(1),
			st: LinkState{Messages: []ChatMessage{a}, Owners: map[string]int64{}}})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			links, conflicts := DecideLinks(c.p, c.st)
			if !reflect.DeepEqual(links, c.links) {
				t.Errorf("links\n got %+v\nwant %+v", links, c.links)
			}
			if !reflect.DeepEqual(conflicts, c.conflicts) {
				t.Errorf("conflicts\n got %+v\nwant %+v", conflicts, c.conflicts)
			}
			// The store hands over the codes it extracted: same answer.
			st := c.st
			st.Codes, _ = PageCodes(st.Messages)
			if l2, c2 := DecideLinks(c.p, st); !reflect.DeepEqual(l2, links) || !reflect.DeepEqual(c2, conflicts) {
				t.Errorf("with Codes given: %+v %+v", l2, c2)
			}
		})
	}
}

func TestPageCodes(t *testing.T) {
	msgs := []ChatMessage{
		{Type: MsgText, AuthorChannelID: "UCa", Text: "Penh K7QM-4X2P"},
		{Type: MsgMessageDeleted, AuthorChannelID: "UCmod", Text: "A2B3-C4D5"},
		{Type: MsgSuperChat, AuthorChannelID: "UCb", Text: "k7qm4x2p A2B3 C4D5"},
		{Type: MsgText, Text: "H8J9-K2M3"},
	}
	per, distinct := PageCodes(msgs)
	wantPer := [][]string{{"PENHK7QM", "K7QM4X2P"}, nil, {"K7QM4X2P", "A2B3C4D5"}, nil}
	if !reflect.DeepEqual(per, wantPer) {
		t.Errorf("per message %q, want %q", per, wantPer)
	}
	if want := []string{"PENHK7QM", "K7QM4X2P", "A2B3C4D5"}; !reflect.DeepEqual(distinct, want) {
		t.Errorf("distinct %q, want %q", distinct, want)
	}
}

func TestAuthorAccounts(t *testing.T) {
	for _, c := range []struct {
		m               ChatMessage
		channel, handle string
	}{
		{ChatMessage{Type: MsgText, AuthorChannelID: "UCa", AuthorName: "@Lotus"}, "UCa", "@lotus"},
		{ChatMessage{Type: MsgText, AuthorChannelID: "UCa", AuthorName: "Lotus"}, "UCa", ""},
		{ChatMessage{Type: MsgUserBanned, AuthorChannelID: "UCmod", AuthorName: "@mod"}, "", ""},
		{ChatMessage{Type: MsgText, AuthorName: "@ghost"}, "", ""},
	} {
		if ch, h := AuthorAccounts(&c.m); ch != c.channel || h != c.handle {
			t.Errorf("AuthorAccounts(%+v) = %q, %q, want %q, %q", c.m, ch, h, c.channel, c.handle)
		}
	}
}
