package attendance

// Database-derived metric values, as /metrics exposes them.

// Gauge is one value of a database-derived metric: its label values in the
// metric's label order, and the value. Labels are bounded (event slugs,
// roles, checkpoint numbers, video ids, certificate types): never a person.
type Gauge struct {
	Labels []string
	Value  float64
}

// AttendanceGauges holds the attendance figures /metrics exposes, computed
// in one pass over small aggregate queries.
type AttendanceGauges struct {
	Registrations  []Gauge // event, role
	Linked         []Gauge // event
	CheckpointHits []Gauge // event, checkpoint number
	Forms          []Gauge // event
	Certificates   []Gauge // event, type (issued and not revoked)
	ChatAuthors    []Gauge // event, video
	// EventChatAuthors counts each channel once per event, however many
	// of the event's streams it wrote in.
	EventChatAuthors []Gauge // event
	// YouTube Analytics figures of ended streams, as last fetched.
	ReachViews        []Gauge // event, video, live_or_on_demand (live, on_demand)
	ReachMinutes      []Gauge // event, video, live_or_on_demand
	ReachCountryViews []Gauge // event, video, country (ISO 3166-1 alpha-2)
}
