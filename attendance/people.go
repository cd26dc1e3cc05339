package attendance

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PersonRow is one registration as the people table shows it: who the
// person is, their evidence in figures, and their decision (from Evaluate,
// as Decisions gives it).
type PersonRow struct {
	ID       int64
	FullName string
	Email    string
	Code     string // canonical attendance code (no dash)
	Country  string
	Org      string
	Role     Role

	Linked           bool
	LinkedAt         time.Time // the first link; zero when not linked
	CheckpointsHit   int
	CheckpointsTotal int
	PresenceMinutes  int
	FormSubmitted    bool
	Conflict         bool
	Certificate      CertificateType
	Reasons          []Reason
}

// NewPersonRow makes the people table's row of a decision; linkedAt is
// when the person's first link was made.
func NewPersonRow(d Decision, linkedAt time.Time) PersonRow {
	r := d.Registration
	ev := d.Evidence
	return PersonRow{ID: r.ID, FullName: r.FullName, Email: r.Email, Code: r.Code, Country: r.Country, Org: r.Org, Role: r.Role,
		Linked: ev.Linked, LinkedAt: linkedAt, CheckpointsHit: ev.CheckpointsHit, CheckpointsTotal: ev.CheckpointsTotal,
		PresenceMinutes: ev.PresenceMinutes, FormSubmitted: ev.FormSubmitted, Conflict: ev.Conflict,
		Certificate: d.Certificate, Reasons: d.Reasons}
}

// CertificateLabel is the certificate as the table shows it: its type, or
// "none".
func (p PersonRow) CertificateLabel() string {
	if p.Certificate == CertNone {
		return "none"
	}
	return string(p.Certificate)
}

// Tristate is a yes/no filter that may be unset: "", "yes" or "no".
type Tristate string

// Tristate values.
const (
	Any Tristate = ""
	Yes Tristate = "yes"
	No  Tristate = "no"
)

// ParseTristate reads yes/no (also true/false, 1/0); "" is Any.
func ParseTristate(s string) (Tristate, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return Any, nil
	case "yes", "true", "1", "y":
		return Yes, nil
	case "no", "false", "0", "n":
		return No, nil
	}
	return Any, Errorf(EInvalid, "%q: expected yes or no", s)
}

func (t Tristate) match(b bool) bool { return t == Any || (t == Yes) == b }

// CountFilter is a condition on a count: at least N (">=N") or exactly N
// ("=N"); Set false means no condition.
type CountFilter struct {
	Set   bool
	Exact bool
	N     int
}

// ParseCountFilter reads "2", ">=2" or "=2" ("2" is at least 2); ""
// sets no condition.
func ParseCountFilter(s string) (CountFilter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CountFilter{}, nil
	}
	f := CountFilter{Set: true}
	switch {
	case strings.HasPrefix(s, ">="):
		s = s[2:]
	case strings.HasPrefix(s, "≥"):
		s = strings.TrimPrefix(s, "≥")
	case strings.HasPrefix(s, "=="):
		f.Exact, s = true, s[2:]
	case strings.HasPrefix(s, "="):
		f.Exact, s = true, s[1:]
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return CountFilter{}, Errorf(EInvalid, "%q: expected a count such as 2, >=2 or =2", s)
	}
	f.N = n
	return f, nil
}

// String is the filter as ParseCountFilter reads it: ">=2", "=2" or "".
func (c CountFilter) String() string {
	switch {
	case !c.Set:
		return ""
	case c.Exact:
		return "=" + strconv.Itoa(c.N)
	}
	return ">=" + strconv.Itoa(c.N)
}

func (c CountFilter) match(n int) bool {
	switch {
	case !c.Set:
		return true
	case c.Exact:
		return n == c.N
	}
	return n >= c.N
}

// PeopleFilter selects rows of the people table; the zero value selects
// everyone. Every condition must hold.
type PeopleFilter struct {
	Linked      Tristate
	Checkpoints CountFilter // checkpoints hit
	MinPresence int         // at least this many minutes with chat (0: any)
	Form        Tristate    // form submitted
	Certificate string      // "", "none", "participation", "appreciation"
	Reason      string      // a reason kind the decision carries ("no_form", "override", …)
	Conflict    Tristate
	Country     string // exact, case-insensitive
	Role        Role
	Q           string // part of the name, the email or the attendance code
}

// ParseCertificateFilter checks a certificate filter value: "" (any),
// none, participation or appreciation.
func ParseCertificateFilter(s string) (string, error) {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "", "none", string(CertParticipation), string(CertAppreciation):
		return s, nil
	}
	return "", Errorf(EInvalid, "certificate %q: expected participation, appreciation or none", s)
}

// filter dimensions, for counts per filter.
const (
	dimLinked = iota
	dimCheckpoints
	dimPresence
	dimForm
	dimCertificate
	dimReason
	dimConflict
	dimCountry
	dimRole
	dimQ
	numDims
)

// compiledFilter is a filter ready to test rows of one index: country,
// role and certificate as the index's small integers, the text folded.
type compiledFilter struct {
	f       *PeopleFilter
	q       string
	qmatch  []bool // per row: the text holds q (when q is set)
	country int32  // -1: any; -2: a country no row has
	role    int32
	cert    int8 // -1: any
}

func (x *PeopleIndex) compile(f *PeopleFilter) compiledFilter {
	c := compiledFilter{f: f, q: foldQuery(f.Q), country: -1, role: -1, cert: -1}
	if c.q != "" {
		c.qmatch = x.search(c.q)
	}
	if f.Country != "" {
		c.country = -2
		if id, ok := x.countryID[strings.ToLower(f.Country)]; ok {
			c.country = id
		}
	}
	if f.Role != "" {
		c.role = -2
		if id := slices.Index(x.roles, f.Role); id >= 0 {
			c.role = int32(id)
		}
	}
	if f.Certificate != "" {
		c.cert = certCode(f.Certificate)
	}
	return c
}

// certCode numbers the certificate labels: appreciation, participation, none.
func certCode(label string) int8 {
	switch label {
	case string(CertAppreciation):
		return 0
	case string(CertParticipation):
		return 1
	}
	return 2
}

// fails returns a bit per condition of the filter that row i does not meet.
func (x *PeopleIndex) fails(c *compiledFilter, i int) uint16 {
	p := &x.rows[i]
	f := c.f
	var bad uint16
	if !f.Linked.match(p.Linked) {
		bad |= 1 << dimLinked
	}
	if !f.Checkpoints.match(p.CheckpointsHit) {
		bad |= 1 << dimCheckpoints
	}
	if p.PresenceMinutes < f.MinPresence {
		bad |= 1 << dimPresence
	}
	if !f.Form.match(p.FormSubmitted) {
		bad |= 1 << dimForm
	}
	if c.cert >= 0 && x.cert[i] != c.cert {
		bad |= 1 << dimCertificate
	}
	if f.Reason != "" && !slices.ContainsFunc(p.Reasons, func(r Reason) bool { return r.Kind == f.Reason }) {
		bad |= 1 << dimReason
	}
	if !f.Conflict.match(p.Conflict) {
		bad |= 1 << dimConflict
	}
	if c.country != -1 && x.country[i] != c.country {
		bad |= 1 << dimCountry
	}
	if c.role != -1 && x.role[i] != c.role {
		bad |= 1 << dimRole
	}
	if c.q != "" && !c.qmatch[i] {
		bad |= 1 << dimQ
	}
	return bad
}

// search marks the rows whose text holds q: one scan of the index's
// text, row after row, rather than a search per row.
func (x *PeopleIndex) search(q string) []bool {
	out := make([]bool, len(x.rows))
	for at := 0; at < len(x.blob); {
		k := strings.Index(x.blob[at:], q)
		if k < 0 {
			break
		}
		hit := at + k
		// the row whose text starts last at or before hit
		row := sortSearch(len(x.starts), func(j int) bool { return int(x.starts[j]) > hit }) - 1
		out[row] = true
		if row+1 < len(x.starts) {
			at = int(x.starts[row+1])
		} else {
			break
		}
	}
	return out
}

// searchText is what the free-text filter looks in: name, email and code,
// folded to lower case (the code also in its dashed form).
func searchText(p PersonRow) string {
	return strings.ToLower(p.FullName + "\x00" + p.Email + "\x00" + p.Code + "\x00" + FormatCode(p.Code))
}

// foldQuery folds a free-text query as searchText folds the rows.
func foldQuery(q string) string { return strings.ToLower(strings.TrimSpace(q)) }

// PeopleSort names a column the people table sorts by.
type PeopleSort string

// Sort columns. Every sort ends with the registration id, so that an
// order is total and pages are stable.
const (
	SortName        PeopleSort = "name"
	SortCountry     PeopleSort = "country"
	SortLinkedAt    PeopleSort = "linked"
	SortCheckpoints PeopleSort = "checkpoints"
	SortPresence    PeopleSort = "presence"
	SortCertificate PeopleSort = "certificate"
)

// PeopleSorts are the sortable columns, in table order.
var PeopleSorts = []PeopleSort{SortName, SortCountry, SortLinkedAt, SortCheckpoints, SortPresence, SortCertificate}

// ParsePeopleSort reads a sort column; "" is by name.
func ParsePeopleSort(s string) (PeopleSort, error) {
	if s == "" {
		return SortName, nil
	}
	if slices.Contains(PeopleSorts, PeopleSort(s)) {
		return PeopleSort(s), nil
	}
	return "", Errorf(EInvalid, "sort %q: expected one of name, country, linked, checkpoints, presence, certificate", s)
}

// sortKey is a row's place in an order: a number, then a text, then the id.
type sortKey struct {
	N  int64
	S  string
	ID int64
}

func compareKeys(a, b sortKey) int {
	if c := cmp.Compare(a.N, b.N); c != 0 {
		return c
	}
	if c := strings.Compare(a.S, b.S); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// key is row i's key in order by.
func (x *PeopleIndex) key(by PeopleSort, i int) sortKey {
	p := &x.rows[i]
	k := sortKey{ID: p.ID}
	switch by {
	case SortName:
		k.S = x.name[i]
	case SortCountry:
		k.S = strings.ToLower(p.Country)
	case SortLinkedAt:
		// not linked sorts last
		if p.LinkedAt.IsZero() {
			k.N = 1<<62 - 1
		} else {
			k.N = p.LinkedAt.UnixMicro()
		}
	case SortCheckpoints:
		k.N = int64(p.CheckpointsHit)
	case SortPresence:
		k.N = int64(p.PresenceMinutes)
	case SortCertificate:
		k.S = p.CertificateLabel()
	}
	return k
}

// PeopleCursor is a place in an ordered list of people: the key of the
// row before (or after) a page. It is kept in the page's links as text.
type PeopleCursor struct {
	key sortKey
	set bool
}

// String encodes the cursor for a URL ("" for none).
func (c PeopleCursor) String() string {
	if !c.set {
		return ""
	}
	return strconv.FormatInt(c.key.N, 10) + "." + strconv.FormatInt(c.key.ID, 10) + "." + c.key.S
}

// ParsePeopleCursor reads a cursor as String wrote it; "" is none.
func ParsePeopleCursor(s string) (PeopleCursor, error) {
	if s == "" {
		return PeopleCursor{}, nil
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 {
		return PeopleCursor{}, Errorf(EInvalid, "bad page cursor")
	}
	n, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return PeopleCursor{}, Errorf(EInvalid, "bad page cursor")
	}
	return PeopleCursor{key: sortKey{N: n, ID: id, S: parts[2]}, set: true}, nil
}

// PeopleQuery asks for one page of the people table: a filter, an order,
// and where the page starts (After) or ends (Before), by keyset: a page
// holds the Limit rows that follow After in the order, whatever was added
// or changed before it.
type PeopleQuery struct {
	Filter PeopleFilter
	Sort   PeopleSort
	Desc   bool
	After  PeopleCursor
	Before PeopleCursor
	Limit  int // default 50, at most 500; negative: every row
	// Facets asks for the counts per filter too (PeoplePage.Facets).
	Facets bool
}

// PeoplePage is one page of the people table.
type PeoplePage struct {
	Rows  []PersonRow
	Total int // rows that match the filter, on every page
	// Next and Prev are the cursors of the following and previous pages;
	// unset at either end.
	Next, Prev PeopleCursor
	// Facets are the counts per filter, when the query asked for them.
	Facets PeopleFacets
}

// PeopleIndex is every registration of an event as the people table
// shows them, read from one snapshot of the store; it filters, counts,
// orders and pages in memory. It is immutable and safe for concurrent use.
type PeopleIndex struct {
	rows    []PersonRow
	name    []string // folded names, for order
	cert    []int8   // certCode per row
	country []int32  // index in countries per row, -1 for none
	role    []int32  // index in roles per row
	order   map[PeopleSort][]int32
	// countryID finds a country by its folded name.
	countryID map[string]int32
	presets   []int // people each of PeoplePresets selects
	maxHits   int   // the most checkpoints of any row
	// blob is every row's text, each ended by a newline; starts the
	// offset of each row's.
	blob   string
	starts []int32
	// Countries and roles present, for the filter's choices.
	countries []string
	roles     []Role
	// BuiltAt is when the snapshot was read.
	BuiltAt time.Time
}

// NewPeopleIndex indexes rows (any order) read at builtAt.
func NewPeopleIndex(rows []PersonRow, builtAt time.Time) *PeopleIndex {
	x := &PeopleIndex{rows: rows, name: make([]string, len(rows)), order: map[PeopleSort][]int32{}, BuiltAt: builtAt}
	countries := map[string]bool{}
	roles := map[Role]bool{}
	var blob strings.Builder
	x.starts = make([]int32, len(rows))
	for i, p := range rows {
		x.starts[i] = int32(blob.Len())
		blob.WriteString(strings.ReplaceAll(searchText(p), "\n", " "))
		blob.WriteByte('\n')
		x.name[i] = strings.ToLower(p.FullName)
		if p.Country != "" {
			countries[p.Country] = true
		}
		if p.Role != "" {
			roles[p.Role] = true
		}
	}
	for _, by := range PeopleSorts {
		o := make([]int32, len(rows))
		keys := make([]sortKey, len(rows))
		for i := range o {
			o[i] = int32(i)
			keys[i] = x.key(by, i)
		}
		slices.SortFunc(o, func(a, b int32) int { return compareKeys(keys[a], keys[b]) })
		x.order[by] = o
	}
	for c := range countries {
		x.countries = append(x.countries, c)
	}
	slices.Sort(x.countries)
	for r := range roles {
		x.roles = append(x.roles, r)
	}
	slices.Sort(x.roles)
	x.blob = blob.String()
	x.countryID = make(map[string]int32, len(x.countries))
	for i, c := range x.countries {
		if _, ok := x.countryID[strings.ToLower(c)]; !ok {
			x.countryID[strings.ToLower(c)] = int32(i)
		}
	}
	roleID := map[Role]int32{}
	for i, r := range x.roles {
		roleID[r] = int32(i)
	}
	x.cert, x.country, x.role = make([]int8, len(rows)), make([]int32, len(rows)), make([]int32, len(rows))
	for i, p := range rows {
		x.maxHits = max(x.maxHits, p.CheckpointsTotal, p.CheckpointsHit)
		x.cert[i] = certCode(p.CertificateLabel())
		x.country[i] = -1
		if id, ok := x.countryID[strings.ToLower(p.Country)]; ok && p.Country != "" {
			x.country[i] = id
		}
		x.role[i] = -1
		if id, ok := roleID[p.Role]; ok {
			x.role[i] = id
		}
	}
	for _, p := range PeoplePresets {
		x.presets = append(x.presets, x.Count(p.Filter))
	}
	return x
}

// PresetCounts are how many people each of PeoplePresets selects.
func (x *PeopleIndex) PresetCounts() []int { return x.presets }

// HasAll reports whether every id of ids is a registration of the index.
func (x *PeopleIndex) HasAll(ids map[int64]bool) bool {
	n := 0
	for i := range x.rows {
		if ids[x.rows[i].ID] {
			n++
		}
	}
	return n == len(ids)
}

// Len is the number of registrations indexed.
func (x *PeopleIndex) Len() int { return len(x.rows) }

// Countries are the countries people gave, sorted.
func (x *PeopleIndex) Countries() []string { return x.countries }

// Roles are the roles people have, sorted.
func (x *PeopleIndex) Roles() []Role { return x.roles }

// Count is the number of people f selects.
func (x *PeopleIndex) Count(f PeopleFilter) int {
	c := x.compile(&f)
	n := 0
	for i := range x.rows {
		if x.fails(&c, i) == 0 {
			n++
		}
	}
	return n
}

// Query returns one page of the people f selects, in order.
func (x *PeopleIndex) Query(pq PeopleQuery) PeoplePage {
	by := pq.Sort
	if by == "" {
		by = SortName
	}
	limit := pq.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit > 500:
		limit = 500
	case limit < 0:
		limit = len(x.rows)
	}
	c := x.compile(&pq.Filter)
	order := x.order[by]
	// pos(j) is the j-th row in the asked direction.
	pos := func(j int) int32 {
		if pq.Desc {
			return order[len(order)-1-j]
		}
		return order[j]
	}
	dir := 1
	if pq.Desc {
		dir = -1
	}
	// The page is found by its cursor's key in the whole order (a binary
	// search), then one pass tests every row, counts the matches and
	// keeps the page's rows: no offset, nothing held but the page.
	from, to := 0, len(order) // the page lies in [from, to) of the order
	if pq.After.set {
		from = sortSearch(len(order), func(j int) bool { return dir*compareKeys(x.key(by, int(pos(j))), pq.After.key) > 0 })
	}
	if pq.Before.set {
		to = sortSearch(len(order), func(j int) bool { return dir*compareKeys(x.key(by, int(pos(j))), pq.Before.key) >= 0 })
	}
	var page PeoplePage
	var fc *facetCounter
	if pq.Facets {
		fc = x.newFacetCounter()
	}
	// Paging forward keeps the first limit matches from 'from'; paging
	// back the last limit matches before 'to', in a ring.
	rows := make([]int32, 0, min(limit, len(order)))
	ring := 0 // Before: matches seen in [from, to)
	before, after := false, false
	for j := 0; j < len(order); j++ {
		i := pos(j)
		bad := x.fails(&c, int(i))
		if fc != nil {
			fc.add(int(i), bad)
		}
		if bad != 0 {
			continue
		}
		page.Total++
		switch {
		case j < from:
			before = true
		case j >= to:
			after = true
		case pq.Before.set && !pq.After.set:
			if len(rows) < limit {
				rows = append(rows, i)
			} else {
				rows[ring%limit] = i
				before = true
			}
			ring++
		case len(rows) < limit:
			rows = append(rows, i)
		default:
			after = true
		}
	}
	if pq.Before.set && !pq.After.set && ring > limit {
		// unroll the ring: its oldest entry is at ring%limit
		k := ring % limit
		rows = append(rows[k:], rows[:k]...)
	}
	if fc != nil {
		page.Facets = fc.result()
	}
	for _, i := range rows {
		page.Rows = append(page.Rows, x.rows[i])
	}
	if before && len(rows) > 0 {
		page.Prev = PeopleCursor{key: x.key(by, int(rows[0])), set: true}
	}
	if after && len(rows) > 0 {
		page.Next = PeopleCursor{key: x.key(by, int(rows[len(rows)-1])), set: true}
	}
	return page
}

// sortSearch is sort.Search: the first j in [0, n) where f is true.
func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if !f(h) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// FacetCount is how many people one choice of a filter would select,
// the other conditions kept.
type FacetCount struct {
	Value string
	N     int
}

// PeopleFacets are the counts per filter: for each choice of a filter,
// the people selected with that choice and the rest of the filter as is.
type PeopleFacets struct {
	Linked, Form, Conflict []FacetCount // yes, no
	Certificate            []FacetCount // appreciation, participation, none
	Checkpoints            []FacetCount // =0 … =total
	Country                []FacetCount
	Role                   []FacetCount
}

// Facets counts, in one pass, what each choice of each filter selects.
func (x *PeopleIndex) Facets(f PeopleFilter) PeopleFacets {
	c := x.compile(&f)
	fc := x.newFacetCounter()
	for i := range x.rows {
		fc.add(i, x.fails(&c, i))
	}
	return fc.result()
}

// facetCounter counts the choices of each filter over rows, given the
// conditions each row fails.
type facetCounter struct {
	x                             *PeopleIndex
	linked, form, conflict        [2]int
	cert                          [3]int
	checkpoints, countries, roles []int
}

func (x *PeopleIndex) newFacetCounter() *facetCounter {
	return &facetCounter{x: x, checkpoints: make([]int, x.maxHits+1), countries: make([]int, len(x.countries)), roles: make([]int, len(x.roles))}
}

func (fc *facetCounter) add(i int, bad uint16) {
	if bad&(bad-1) != 0 {
		return // two or more conditions fail: no choice of one filter selects the row
	}
	yn := func(b bool) int {
		if b {
			return 0
		}
		return 1
	}
	// but(d): no condition fails, or only d's
	but := func(d int) bool { return bad&^(1<<d) == 0 }
	p := &fc.x.rows[i]
	if but(dimLinked) {
		fc.linked[yn(p.Linked)]++
	}
	if but(dimForm) {
		fc.form[yn(p.FormSubmitted)]++
	}
	if but(dimConflict) {
		fc.conflict[yn(p.Conflict)]++
	}
	if but(dimCertificate) {
		fc.cert[fc.x.cert[i]]++
	}
	if but(dimCheckpoints) && p.CheckpointsHit < len(fc.checkpoints) {
		fc.checkpoints[p.CheckpointsHit]++
	}
	if but(dimCountry) {
		if c := fc.x.country[i]; c >= 0 {
			fc.countries[c]++
		}
	}
	if but(dimRole) {
		if r := fc.x.role[i]; r >= 0 {
			fc.roles[r]++
		}
	}
}

func (fc *facetCounter) result() PeopleFacets {
	yesNo := func(n [2]int) []FacetCount { return []FacetCount{{"yes", n[0]}, {"no", n[1]}} }
	out := PeopleFacets{Linked: yesNo(fc.linked), Form: yesNo(fc.form), Conflict: yesNo(fc.conflict),
		Certificate: []FacetCount{{string(CertAppreciation), fc.cert[0]}, {string(CertParticipation), fc.cert[1]}, {"none", fc.cert[2]}}}
	for i, n := range fc.checkpoints {
		out.Checkpoints = append(out.Checkpoints, FacetCount{"=" + strconv.Itoa(i), n})
	}
	countries := map[string]int{}
	for i, n := range fc.countries {
		if n > 0 {
			countries[fc.x.countries[i]] += n
		}
	}
	out.Country = facetList(countries)
	for i, n := range fc.roles {
		if n > 0 {
			out.Role = append(out.Role, FacetCount{string(fc.x.roles[i]), n})
		}
	}
	return out
}

func facetList(m map[string]int) []FacetCount {
	out := make([]FacetCount, 0, len(m))
	for k, n := range m {
		out = append(out, FacetCount{Value: k, N: n})
	}
	slices.SortFunc(out, func(a, b FacetCount) int { return strings.Compare(a.Value, b.Value) })
	return out
}

// PeopleColumns is the header of the people CSV: the table's columns, in
// the event's time and in UTC.
var PeopleColumns = []string{"full_name", "email", "code", "country", "organisation", "role", "linked", "linked_at_local", "linked_at_utc",
	"checkpoints_hit", "checkpoints_total", "presence_minutes", "form_submitted", "conflict", "certificate", "reasons"}

// CSVCells are the row's cells under PeopleColumns, times in loc.
func (p PersonRow) CSVCells(loc *time.Location) []string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	local, utc := "", ""
	if !p.LinkedAt.IsZero() {
		local = LocalTime(p.LinkedAt, loc, "2006-01-02 15:04 MST")
		utc = p.LinkedAt.UTC().Format(time.RFC3339)
	}
	return []string{p.FullName, p.Email, FormatCode(p.Code), p.Country, p.Org, string(p.Role), yn(p.Linked), local, utc,
		strconv.Itoa(p.CheckpointsHit), strconv.Itoa(p.CheckpointsTotal), strconv.Itoa(p.PresenceMinutes), yn(p.FormSubmitted),
		yn(p.Conflict), p.CertificateLabel(), strings.Join(ReasonStrings(p.Reasons), "; ")}
}

// PeoplePresets are the one-click filters of the people table.
var PeoplePresets = []struct {
	Name   string
	Filter PeopleFilter
}{
	{"Not linked yet", PeopleFilter{Linked: No}},
	{"1 of 3 checkpoints", PeopleFilter{Linked: Yes, Checkpoints: CountFilter{Set: true, Exact: true, N: 1}}},
	{"Owes the form", PeopleFilter{Form: No, Role: RoleParticipant}},
}

// Describe says in words what f selects ("everyone" for none).
func (f PeopleFilter) Describe() string {
	var parts []string
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	switch f.Linked {
	case Yes:
		add("linked")
	case No:
		add("not linked")
	}
	if f.Checkpoints.Set {
		add("checkpoints hit %s", f.Checkpoints)
	}
	if f.MinPresence > 0 {
		add("at least %d minutes", f.MinPresence)
	}
	switch f.Form {
	case Yes:
		add("form submitted")
	case No:
		add("no form")
	}
	if f.Certificate != "" {
		add("certificate %s", f.Certificate)
	}
	if f.Reason != "" {
		add("reason %s", f.Reason)
	}
	switch f.Conflict {
	case Yes:
		add("with a conflict")
	case No:
		add("no conflict")
	}
	if f.Country != "" {
		add("country %s", f.Country)
	}
	if f.Role != "" {
		add("role %s", f.Role)
	}
	if f.Q != "" {
		add("matching %q", f.Q)
	}
	if len(parts) == 0 {
		return "everyone"
	}
	return strings.Join(parts, ", ")
}
