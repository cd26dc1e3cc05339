package attendance

// Staff who sign in to the dashboard, their roles and sessions.

import "time"

// Staff roles: an admin sees people, imports, exports and overrides; a
// viewer sees aggregates only.
const (
	StaffAdmin  = "admin"
	StaffViewer = "viewer"
)

// StaffUser is a member of staff who may sign in to the dashboard.
type StaffUser struct {
	ID           int64
	Email        string
	Role         string
	PasswordHash string // a PHC-style Argon2id string; never logged
	Disabled     bool
	FailedLogins int
	LockedUntil  time.Time
	CreatedAt    time.Time
}

// StaffSession is a signed-in browser. Only a hash of its token is stored.
type StaffSession struct {
	TokenHash  string
	UserID     int64
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
}

// ValidateStaffRole checks a staff role name.
func ValidateStaffRole(role string) error {
	if role != StaffAdmin && role != StaffViewer {
		return Errorf(EInvalid, "staff role %q: expected admin or viewer", role)
	}
	return nil
}
