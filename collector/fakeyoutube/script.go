package fakeyoutube

import (
	"fmt"
	"time"
)

// EventScript is a whole event for the fake to play: one broadcast with a
// viewer curve and a generated audience. rollcall demo and tests use it.
type EventScript struct {
	VideoID     string
	Title       string
	ChannelID   string
	Start       time.Time     // scheduled and actual start
	Length      time.Duration // default 2h
	PeakViewers int64         // default 5000
	Seed        uint64
	Attendees   []Attendee
	Checkpoints []CheckpointWindow
	Lurkers     int     // default 10 × attendees
	Floods      []Flood // default one flood of 2500 ten minutes in
}

// AddEvent adds the script's video and its generated chat. It returns the
// number of chat messages scripted.
func (s *Server) AddEvent(e EventScript) (int, error) {
	if e.VideoID == "" {
		return 0, fmt.Errorf("fakeyoutube: add event: no video id")
	}
	if e.Length <= 0 {
		e.Length = 2 * time.Hour
	}
	if e.PeakViewers <= 0 {
		e.PeakViewers = 5000
	}
	if e.Lurkers == 0 {
		e.Lurkers = 10 * len(e.Attendees)
	}
	if e.Floods == nil {
		e.Floods = []Flood{{At: e.Start.Add(10 * time.Minute), Size: 2500}}
	}
	if e.Title == "" {
		e.Title = "Live policy dialogue"
	}
	if e.ChannelID == "" {
		e.ChannelID = "UCrollcallDemoChannel0001"
	}
	end := e.Start.Add(e.Length)
	s.AddVideo(Video{
		ID: e.VideoID, Title: e.Title, ChannelID: e.ChannelID,
		ScheduledStart: e.Start, ScheduledEnd: end, ActualStart: e.Start, ActualEnd: end,
		Viewers: []Point{{At: e.Start, Value: e.PeakViewers / 20}, {At: e.Start.Add(e.Length / 4), Value: e.PeakViewers},
			{At: e.Start.Add(e.Length * 3 / 4), Value: e.PeakViewers * 7 / 10}, {At: end, Value: e.PeakViewers / 10}},
		Views: []Point{{At: e.Start, Value: 0}, {At: end, Value: e.PeakViewers * 3}},
		Likes: []Point{{At: e.Start, Value: 0}, {At: end, Value: e.PeakViewers / 8}},
	})
	msgs := Audience{
		Seed: e.Seed, Start: e.Start, End: end, Attendees: e.Attendees, Checkpoints: e.Checkpoints,
		Lurkers: e.Lurkers, Floods: e.Floods, Hostile: true, Moderation: true,
	}.Generate()
	if err := s.AddMessages(e.VideoID, msgs...); err != nil {
		return 0, err
	}
	return len(msgs), nil
}
