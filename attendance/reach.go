package attendance

import "time"

// YouTube Analytics reach: what YouTube tells the channel owner after the
// event (views, minutes watched, average view duration, subscribers
// gained), fetched per video after the stream ends and then daily for a
// week, since Analytics lags 24–72 h. These figures are YouTube's, labelled
// "YouTube Analytics, as of …"; rollcall's own chat figures stay labelled
// "computed from chat".

// Reach dimensions: how a video's figures are split.
const (
	ReachByPlayback = "playback" // Key: LIVE or ON_DEMAND (Analytics' liveOrOnDemand)
	ReachByDay      = "day"      // Key: YYYY-MM-DD (Analytics' day, Pacific time)
	ReachByCountry  = "country"  // Key: ISO 3166-1 alpha-2 code (Analytics' country)
)

// ReachFigures is one row of a video's Analytics figures.
type ReachFigures struct {
	Dimension string // ReachByPlayback, ReachByDay or ReachByCountry
	Key       string
	Views     int64
	// MinutesWatched is Analytics' estimatedMinutesWatched.
	MinutesWatched int64
	// AverageViewDuration (seconds) and SubscribersGained are given by
	// playback only.
	AverageViewDuration int64
	SubscribersGained   int64
}

// VideoReach is what YouTube Analytics said of one video at FetchedAt.
type VideoReach struct {
	StreamID  int64
	VideoID   string
	FetchedAt time.Time
	Rows      []ReachFigures
}

// Split returns the rows of one dimension, in stored order.
func (v VideoReach) Split(dimension string) []ReachFigures {
	var out []ReachFigures
	for _, r := range v.Rows {
		if r.Dimension == dimension {
			out = append(out, r)
		}
	}
	return out
}

// ReachDue is a stream whose Analytics figures are due: its video ended,
// and it was not fetched in the last day, for a week after the end.
type ReachDue struct {
	StreamID  int64
	EventSlug string
	VideoID   string
	EndedAt   time.Time
	Fetches   int
}
