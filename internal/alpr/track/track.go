// Package track groups the plates read in consecutive frames into one read
// record per vehicle pass: an observation joins an open track of the same
// camera when its box is near the track's (predicted) position and its text
// is similar, and a track ends, with one record, when it has not been seen
// for the timeout. The record's text is voted across the frames and its crop
// is the best frame's.
//
// A pass does not have to end to be reported: the observation that makes
// its track meet the keep rules (MinFrames frames, voted confidence at least
// MinConfidence, each voted character at least MinCharConfidence) confirms
// it, and Observe hands out its provisional record then, once. The record
// at the pass's end carries the same Pass.Key, so that it can replace the
// provisional one, or, when the vote over all the pass's frames no longer
// meets the keep rules, take it back (Pass.Withdrawn).
package track

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/read"
)

// Options configure a Tracker. Zero values of the optional fields take the
// defaults named.
type Options struct {
	// Timeout ends a track unseen this long (alpr.track_timeout); required.
	Timeout time.Duration
	// MinFrames drops a track read in fewer frames (default 1).
	MinFrames int
	// MinConfidence drops a track whose voted confidence is below it (0
	// keeps all); SetMinConfidence changes it.
	MinConfidence float64
	// MinCharConfidence drops a track whose weakest voted character
	// confidence is below it (0 keeps all). A voted character's confidence
	// falls when the frames disagree on it or read it barely, so a low one
	// marks a text that is likely wrong in that place: a far plate read in
	// part, or a sign. One weak character says more than the mean
	// (MinConfidence), which the other characters hold up.
	MinCharConfidence float64
	// MinSimilarity is the least text similarity ([plate.Similar]) for an
	// observation near a track to join it (default 0.6: one wrong or missing
	// character in seven is still the same plate, three are not).
	MinSimilarity float64
	// MaxMove is how far, in plate widths, an observation may lie from where
	// the track's plate was expected (its last position moved on at its
	// speed) and still join it (default 3).
	MaxMove float64
	// TopN is the number of candidate readings kept per record (default 5).
	TopN int
}

// Default values of the optional Options.
const (
	DefaultMinFrames     = 1
	DefaultMinSimilarity = 0.6
	DefaultMaxMove       = 3
	DefaultTopN          = 5
	// sameText is the similarity from which an observation joins a track
	// wherever it lies in the frame: one plate is not in two places at once,
	// so a near-identical text is the same plate seen after a jump (dropped
	// frames, a fast pass).
	sameText = 0.9
	// partMove is how far, in plate widths, a reading of part of a track's
	// text (plate.Within at least sameText) may lie from where the track's
	// plate was expected and still join it: on the plate itself. A far
	// plate whose edge characters the reader misses in some frames (O440 of
	// 1B70440) is one pass, not a second record of a plate that is not there.
	partMove = 1
)

// Snapshot holds the images of a track's best frame, encoded by the caller.
type Snapshot struct {
	Crop    []byte          // JPEG of the plate with a margin
	CropBox image.Rectangle // the plate inside Crop, in Crop's pixels
	Frame   []byte          // JPEG of the whole frame, or nil when not kept
}

// Observation is one plate read in one analysed frame.
type Observation struct {
	Time   time.Time       // capture wall time of the frame
	Camera string          // camera name
	Box    image.Rectangle // plate box in frame pixels
	// Candidates are the frame's readings, best first (plate.Pack.Candidates);
	// Candidates[0] is the frame's reading of the plate.
	Candidates []plate.Reading
	// Sharpness of the plate crop (variance of the Laplacian); 0 if unknown.
	Sharpness float64
	// Snapshot encodes the crop (and, when wanted, the frame). Observe calls
	// it at most once, before returning, and only when this observation
	// becomes the best frame of its track, so the caller pays for JPEG
	// encoding only then and may free its image when Observe returns. Nil
	// means no images.
	Snapshot func() Snapshot
}

// Pass is a vehicle pass's read record with what identifies the pass.
type Pass struct {
	// Key identifies the pass among the Tracker's passes: its provisional
	// and its final record carry the same key.
	Key uint64
	// First is the capture time of the first frame in which the pass's
	// plate was read.
	First time.Time
	// Final is false for the provisional record Observe hands out at
	// confirmation, true for the record of the ended pass (Tick, Flush).
	Final bool
	// Confirmed, on a final record, tells that the pass's provisional
	// record was handed out. A pass that met the keep rules only at its end
	// (MinConfidence lowered meanwhile) was not.
	Confirmed bool
	// Withdrawn, on the final record of a confirmed pass, tells that the
	// record voted over all its frames no longer meets the keep rules: the
	// frames after the confirmation disagreed with it, or read it barely
	// (a far or half-hidden plate read differently from frame to frame), so
	// the provisional record is to be taken back, not replaced.
	Withdrawn bool
	Record    read.Record
}

// Tracker groups observations into tracks. It is safe for concurrent use.
type Tracker struct {
	opts Options

	mu      sync.Mutex
	tracks  []*track // open, in the order they began
	dropped int
	keys    uint64 // the last Pass.Key given
}

// New returns a Tracker, or an error naming the first bad option.
func New(opts Options) (*Tracker, error) {
	if opts.Timeout <= 0 {
		return nil, fmt.Errorf("track: timeout must be > 0, got %v", opts.Timeout)
	}
	if opts.MinFrames < 0 || opts.TopN < 0 {
		return nil, fmt.Errorf("track: min frames (%d) and top N (%d) must be ≥ 0", opts.MinFrames, opts.TopN)
	}
	if opts.MinConfidence < 0 || opts.MinConfidence > 1 || opts.MinSimilarity < 0 || opts.MinSimilarity > 1 {
		return nil, fmt.Errorf("track: min confidence (%v) and min similarity (%v) must be in [0, 1]", opts.MinConfidence, opts.MinSimilarity)
	}
	if opts.MinCharConfidence < 0 || opts.MinCharConfidence > 1 {
		return nil, fmt.Errorf("track: min char confidence (%v) must be in [0, 1]", opts.MinCharConfidence)
	}
	if opts.MaxMove < 0 {
		return nil, fmt.Errorf("track: max move must be ≥ 0, got %v", opts.MaxMove)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opts.MinFrames, DefaultMinFrames)
	def(&opts.TopN, DefaultTopN)
	if opts.MinSimilarity == 0 {
		opts.MinSimilarity = DefaultMinSimilarity
	}
	if opts.MaxMove == 0 {
		opts.MaxMove = DefaultMaxMove
	}
	return &Tracker{opts: opts}, nil
}

// Observe adds one plate read in one frame to the track it belongs to, or
// starts a track. A track takes at most one observation per frame (per
// Time): two plates in one frame are two tracks. When obs confirms its
// track (the track meets the keep rules for the first time), Observe
// returns the pass's provisional record, voted over the frames so far;
// otherwise nil.
func (t *Tracker) Observe(obs Observation) (*Pass, error) {
	if err := check(obs); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := t.match(obs)
	if tr == nil {
		t.keys++
		tr = newTrack(obs, t.keys)
		t.tracks = append(t.tracks, tr)
	}
	tr.add(obs)
	if tr.confirmed || tr.frames < t.opts.MinFrames {
		return nil, nil
	}
	rec := tr.record(t.opts.TopN)
	if !t.keeps(tr, rec) {
		return nil, nil
	}
	tr.confirmed, tr.confirmedAt = true, t.opts.MinConfidence
	return &Pass{Key: tr.key, First: tr.first, Record: rec}, nil
}

// keeps reports whether a track whose record is rec meets the keep rules:
// MinFrames, MinConfidence (the one it was confirmed under, once confirmed:
// a minimum changed since does not take it back), MinCharConfidence.
func (t *Tracker) keeps(tr *track, rec read.Record) bool {
	minConf := t.opts.MinConfidence
	if tr.confirmed {
		minConf = tr.confirmedAt
	}
	if tr.frames < t.opts.MinFrames || rec.Confidence < minConf {
		return false
	}
	for _, c := range rec.CharConfs {
		if c < t.opts.MinCharConfidence {
			return false
		}
	}
	return true
}

// SetMinConfidence changes MinConfidence, for the tracks not confirmed yet
// (a confirmed pass is judged at its end by the minimum it was confirmed
// under).
func (t *Tracker) SetMinConfidence(v float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.opts.MinConfidence = min(max(v, 0), 1)
}

func check(obs Observation) error {
	switch {
	case obs.Time.IsZero():
		return errors.New("track: observation has no time")
	case len(obs.Candidates) == 0 || obs.Candidates[0].Text == "":
		return errors.New("track: observation has no reading")
	case obs.Box.Empty():
		return fmt.Errorf("track: observation has an empty box %v", obs.Box)
	}
	return nil
}

// match returns the open track obs belongs to, or nil: among the tracks of
// its camera seen less than the timeout before it and without an observation
// at its time, the one with the most similar text that is either near enough
// and similar enough, nearly the same text anywhere, or on the plate and a
// part of its text (or its text a part of obs's).
func (t *Tracker) match(obs Observation) *track {
	text := obs.Candidates[0].Text
	var best *track
	var bestSim, bestDist float64
	for _, tr := range t.tracks {
		dt := obs.Time.Sub(tr.last)
		if tr.camera != obs.Camera || dt >= t.opts.Timeout || dt == 0 {
			continue
		}
		sim := max(plate.Similar(text, tr.lastRead.Text), plate.Similar(text, tr.lead))
		dist := tr.distance(obs.Box, dt)
		if !(sim >= sameText || (sim >= t.opts.MinSimilarity && dist <= t.opts.MaxMove) ||
			(dist <= partMove && plate.Within(text, tr.lead) >= sameText)) {
			continue
		}
		if best == nil || sim > bestSim || (sim == bestSim && dist < bestDist) {
			best, bestSim, bestDist = tr, sim, dist
		}
	}
	return best
}

// Tick ends the tracks unseen for the timeout at now and returns their
// final records, in the order the passes began. A confirmed track always
// ends with one (its provisional record was handed out), Withdrawn when
// its record no longer meets the keep rules; a track never confirmed ends
// without one when it is too weak to keep (fewer than MinFrames frames,
// confidence below MinConfidence).
func (t *Tracker) Tick(now time.Time) []Pass {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.end(func(tr *track) bool { return now.Sub(tr.last) >= t.opts.Timeout })
}

// Flush ends every open track (end of a replay, shutdown) and returns their
// final records, in the order the passes began, as Tick does.
func (t *Tracker) Flush() []Pass {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.end(func(*track) bool { return true })
}

// MaxLooks is the number of times Expect lists a track after each of its
// observations: a plate read once is looked for where it should be in the
// next frames or two; a plate gone is not looked for again until it is read
// again.
const MaxLooks = 2

// ExpectConf is the least confidence of a track's latest reading for Expect
// to list it.
const ExpectConf = 0.9

// Expect returns where the plates of up to n open tracks not confirmed yet
// should be at the capture time at, so that the caller looks there: each
// one's last box moved on at its speed, most recently seen first. A plate
// read once is looked for there in the next frames, so that its pass is
// confirmed as soon as it can be. Only tracks whose latest reading fits a
// plate layout, with a confidence of at least ExpectConf, are listed: a
// catch-all reading (us-any: any 5–8 characters) is as often a shop sign
// (SALE50) as a vanity plate, a weak one as often a phone number on a van
// (OO1017 from 0910 17..), and a closer look would confirm those sooner,
// not only the plate. A track is listed at most MaxLooks times after each
// observation, and not once it is unseen for the timeout or seen after at.
func (t *Tracker) Expect(at time.Time, n int) []image.Rectangle {
	t.mu.Lock()
	defer t.mu.Unlock()
	var open []*track
	for _, tr := range t.tracks {
		if dt := at.Sub(tr.last); tr.expectable() && dt >= 0 && dt < t.opts.Timeout {
			open = append(open, tr)
		}
	}
	slices.SortStableFunc(open, func(a, b *track) int { return b.last.Compare(a.last) })
	open = open[:min(len(open), max(n, 0))]
	out := make([]image.Rectangle, len(open))
	for i, tr := range open {
		tr.looks++
		dt := at.Sub(tr.last).Seconds()
		out[i] = tr.lastBox.Add(image.Pt(int(math.Round(tr.vx*dt)), int(math.Round(tr.vy*dt))))
	}
	return out
}

// expectable reports whether Expect may list tr, whenever: not confirmed,
// read last as a clear plate, not looked for MaxLooks times since.
func (tr *track) expectable() bool {
	return !tr.confirmed && tr.lastRead.Layout && tr.lastRead.Conf >= ExpectConf && tr.looks < MaxLooks
}

// Open is the number of open tracks.
func (t *Tracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tracks)
}

// Dropped is the number of tracks ended so far without a record because they
// were too weak.
func (t *Tracker) Dropped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropped
}

func (t *Tracker) end(done func(*track) bool) []Pass {
	var out []Pass
	open := t.tracks[:0]
	for _, tr := range t.tracks {
		if !done(tr) {
			open = append(open, tr)
			continue
		}
		rec := tr.record(t.opts.TopN)
		keep := t.keeps(tr, rec)
		if !keep && !tr.confirmed {
			t.dropped++
			continue
		}
		out = append(out, Pass{Key: tr.key, First: tr.first, Final: true, Confirmed: tr.confirmed, Withdrawn: !keep, Record: rec})
	}
	clear(t.tracks[len(open):])
	t.tracks = open
	return out
}

// centre is the centre of r.
func centre(r image.Rectangle) (x, y float64) {
	return float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2
}

// distance is how far box lies, in plate widths, from where the track's
// plate is expected dt after its last observation.
func (tr *track) distance(box image.Rectangle, dt time.Duration) float64 {
	x, y := centre(box)
	px, py := centre(tr.lastBox)
	px += tr.vx * dt.Seconds()
	py += tr.vy * dt.Seconds()
	w := float64(max(tr.lastBox.Dx(), box.Dx(), 1))
	return math.Hypot(x-px, y-py) / w
}
