package attendance

// The live page's read models: figures of an event's streams and chat as
// the store computes them and the dashboard shows them.

import "time"

// LiveStream is one stream's figures as the dashboard shows them.
type LiveStream struct {
	ID                    int64
	VideoID               string
	Title                 string
	State                 string
	ChatState             string
	ChatDetail            string
	ConcurrentViewers     *int64 // nil when YouTube does not report it
	PeakConcurrentViewers int64
	Views                 *int64
	Likes                 *int64
	ChatMessages          int64
	ChatAuthors           int64
	ActualStart           time.Time
	ActualEnd             time.Time
	LastSampleAt          time.Time
	LastCommitAt          time.Time
}

// ViewerSample is one reading of concurrent viewers of a stream.
type ViewerSample struct {
	StreamID int64
	At       time.Time
	Viewers  int64
}

// MinuteCount is a count in one minute (Unix minutes, UTC).
type MinuteCount struct {
	Minute int64 `db:"minute"`
	N      int64 `db:"n"`
}

// CountryFigures is how many people of a country registered and how many
// of them are linked to a chat channel.
type CountryFigures struct {
	Country    string `db:"country"`
	Registered int64  `db:"registered"`
	Linked     int64  `db:"linked"`
}

// CheckIn is one link of a chat channel to a registered person.
type CheckIn struct {
	RegistrationID int64
	FullName       string
	Country        string
	Method         string
	At             time.Time
}

// CertificateCount is how many certificates of a type an event has issued.
type CertificateCount struct {
	Type string `db:"type"`
	N    int64  `db:"n"`
}
