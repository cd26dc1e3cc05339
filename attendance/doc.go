// Package attendance is rollcall's domain: events, registrations, attendance
// codes, links between chat channels and people, checkpoints, evidence, the
// eligibility policy, form responses, certificates and exports.
//
// It holds plain types and pure rules and does no I/O of its own; adapters
// (the store, the collector, the dashboard) depend on it, never the reverse.
package attendance
