package attendance

import "time"

// FormResponse is one submission of the certificate validation and
// assessment form.
type FormResponse struct {
	ID             int64
	EventID        int64
	RegistrationID int64 // 0 until matched
	Email          string
	SubmittedAt    time.Time
	// CertificateName is the name as it should appear on the certificate;
	// where given it wins over the registered name.
	CertificateName string
	Code            string   // canonical attendance code, when the form asks for it
	CheckpointWords []string // answers to checkpoint questions, as typed
	Answers         map[string]string
	Row             int // row in the file, for messages
}

// TimelineEntry is one piece of a person's evidence, in time order.
type TimelineEntry struct {
	At      time.Time
	Kind    string // link, conflict, message, checkpoint, form, override
	VideoID string // for messages
	Channel string
	Text    string // message text; for checkpoints "checkpoint N (source)", never the word
}
