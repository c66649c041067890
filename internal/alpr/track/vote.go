package track

import (
	"cmp"
	"image"
	"math"
	"slices"
	"time"

	"github.com/edge-agent/edge-agent/internal/alpr/plate"
	"github.com/edge-agent/edge-agent/internal/read"
)

// maxTexts bounds the distinct candidate texts a track keeps votes for, so a
// plate in view for a long time (a parked car) holds bounded memory.
const maxTexts = 64

// track is one open vehicle pass. It keeps running tallies, not the frames.
type track struct {
	key          uint64    // Pass.Key
	first        time.Time // time of the first observation
	confirmed    bool      // its provisional record was handed out
	confirmedAt  float64   // the MinConfidence it was confirmed under
	camera       string
	last         time.Time       // time of the latest observation
	lastBox      image.Rectangle // box of the latest observation
	lastRead     plate.Reading   // reading of the latest observation (its Candidates[0])
	vx, vy       float64         // box centre speed, px/s
	looks        int             // Expect calls that listed it since its latest observation
	frames       int
	lead         string             // the candidate text with the most votes
	texts        map[string]*tally  // candidate votes by text
	lengths      map[int]*positions // per-position votes, by text length
	best         frame
	bestScore    float64
	hasBestFrame bool
}

// tally is the vote for one candidate text.
type tally struct {
	sum    float64 // sum of the text's confidence over the frames that had it
	region string  // region of its format, "" if none
}

// positions is the per-position vote of the frames whose reading has one
// length.
type positions struct {
	weight float64 // sum of the frames' confidences
	frames int
	at     []map[rune]*charVote
}

// charVote is the vote for one character at one position.
type charVote struct {
	sum, max float64 // sum and max of its char confidences
}

// frame is what a record keeps of its best frame.
type frame struct {
	time time.Time
	box  image.Rectangle
	snap Snapshot
}

func newTrack(obs Observation, key uint64) *track {
	return &track{
		key:     key,
		first:   obs.Time,
		camera:  obs.Camera,
		texts:   map[string]*tally{},
		lengths: map[int]*positions{},
	}
}

// add folds one observation into the track.
func (tr *track) add(obs Observation) {
	if dt := obs.Time.Sub(tr.last).Seconds(); tr.frames > 0 && dt > 0 {
		x, y := centre(obs.Box)
		px, py := centre(tr.lastBox)
		vx, vy := (x-px)/dt, (y-py)/dt
		if tr.frames > 1 { // smooth over the pass
			vx, vy = (vx+tr.vx)/2, (vy+tr.vy)/2
		}
		tr.vx, tr.vy = vx, vy
	}
	top := obs.Candidates[0]
	if obs.Time.Before(tr.first) { // frames analysed out of order
		tr.first = obs.Time
	}
	tr.frames++
	tr.last, tr.lastBox, tr.lastRead, tr.looks = obs.Time, obs.Box, top, 0
	tr.voteText(obs.Candidates)
	tr.votePositions(top)
	tr.offerBest(obs, top.Conf)
}

// voteText adds each candidate's confidence to its text's votes.
func (tr *track) voteText(cands []plate.Reading) {
	seen := map[string]bool{}
	for _, c := range cands {
		if c.Text == "" || seen[c.Text] {
			continue
		}
		seen[c.Text] = true
		v := tr.texts[c.Text]
		if v == nil {
			if len(tr.texts) >= maxTexts {
				tr.evictWeakest()
			}
			v = &tally{}
			tr.texts[c.Text] = v
		}
		v.sum += clamp01(c.Conf)
		if v.region == "" {
			v.region = c.Region
		}
		if l := tr.texts[tr.lead]; l == nil || v.sum > l.sum {
			tr.lead = c.Text
		}
	}
}

func (tr *track) evictWeakest() {
	var weakest string
	for text, v := range tr.texts {
		if text != tr.lead && (weakest == "" || v.sum < tr.texts[weakest].sum ||
			(v.sum == tr.texts[weakest].sum && text > weakest)) {
			weakest = text
		}
	}
	delete(tr.texts, weakest)
}

// votePositions adds the frame's reading to the per-position vote of its
// length, each character weighted by its confidence.
func (tr *track) votePositions(r plate.Reading) {
	text := []rune(r.Text)
	p := tr.lengths[len(text)]
	if p == nil {
		p = &positions{at: make([]map[rune]*charVote, len(text))}
		for i := range p.at {
			p.at[i] = map[rune]*charVote{}
		}
		tr.lengths[len(text)] = p
	}
	p.weight += clamp01(r.Conf)
	p.frames++
	for i, ch := range text {
		c := clamp01(r.Conf)
		if len(r.CharConfs) == len(text) {
			c = clamp01(r.CharConfs[i])
		}
		v := p.at[i][ch]
		if v == nil {
			v = &charVote{}
			p.at[i][ch] = v
		}
		v.sum += c
		v.max = max(v.max, c)
	}
}

// offerBest makes obs the best frame when it scores higher: sharpness ×
// box area × confidence, each a reason a crop is worth more (for the store
// and for the improvement samples): sharp, large, and read well. Sharpness
// 0 (unknown) counts as 1. A frame whose snapshot has no crop does not
// displace one that has.
func (tr *track) offerBest(obs Observation, conf float64) {
	sharp := obs.Sharpness
	if !(sharp > 0) {
		sharp = 1
	}
	score := sharp * float64(obs.Box.Dx()*obs.Box.Dy()) * clamp01(conf)
	if tr.hasBestFrame && score <= tr.bestScore {
		return
	}
	var snap Snapshot
	if obs.Snapshot != nil {
		snap = obs.Snapshot()
	}
	if tr.hasBestFrame && len(snap.Crop) == 0 && len(tr.best.snap.Crop) > 0 {
		return
	}
	tr.best = frame{time: obs.Time, box: obs.Box, snap: snap}
	tr.bestScore, tr.hasBestFrame = score, true
}

// record turns the track into its read record.
//
// Text: the frames vote per position among the readings of the most voted
// length (frames weighted by confidence), each character weighted by its
// confidence, so a wrong character in one frame, or a frame that missed or
// added one, is outvoted. Confidence: per position, the best confidence of
// the winning character times its share of the position's votes (a
// disagreement between frames lowers it); the record's confidence is their
// geometric mean, like a reading's. Candidates: the texts with the most
// votes (the sum of their confidences over the frames), the voted text first.
func (tr *track) record(topN int) read.Record {
	text, confs := tr.vote()
	conf := geoMean(confs)
	rec := read.Record{
		CapturedAt: tr.best.time,
		Camera:     tr.camera,
		Plate:      read.Plate(text),
		Confidence: conf,
		CharConfs:  confs,
		Box:        tr.best.box,
		Frames:     tr.frames,
		Crop:       tr.best.snap.Crop,
		CropBox:    tr.best.snap.CropBox,
		Frame:      tr.best.snap.Frame,
	}
	if v := tr.texts[text]; v != nil {
		rec.Region = v.region
	}
	rec.Candidates = append(rec.Candidates, read.Candidate{Text: rec.Plate, Confidence: conf})
	for _, c := range tr.ranked() {
		if len(rec.Candidates) >= topN {
			break
		}
		if c.Text != rec.Plate {
			rec.Candidates = append(rec.Candidates, c)
		}
	}
	return rec
}

// vote returns the per-position vote's text and per-character confidences.
func (tr *track) vote() (string, []float64) {
	var n int
	var p *positions
	for l, q := range tr.lengths {
		if p == nil || q.weight > p.weight || (q.weight == p.weight && l > n) {
			n, p = l, q
		}
	}
	text := make([]rune, n)
	confs := make([]float64, n)
	for i, votes := range p.at {
		var win rune
		var total float64
		for r, v := range votes {
			total += v.sum
			if w := votes[win]; w == nil || v.sum > w.sum || (v.sum == w.sum && r < win) {
				win = r
			}
		}
		text[i] = win
		if total > 0 {
			confs[i] = votes[win].max * votes[win].sum / total
		}
	}
	return string(text), confs
}

// ranked returns the candidate texts by votes, with a confidence of their
// mean confidence over the track's frames.
func (tr *track) ranked() []read.Candidate {
	out := make([]read.Candidate, 0, len(tr.texts))
	for text, v := range tr.texts {
		out = append(out, read.Candidate{Text: read.Plate(text), Confidence: clamp01(v.sum / float64(tr.frames))})
	}
	slices.SortFunc(out, func(a, b read.Candidate) int {
		if c := cmp.Compare(b.Confidence, a.Confidence); c != 0 {
			return c
		}
		return cmp.Compare(a.Text, b.Text)
	})
	return out
}

// geoMean is the geometric mean of xs, 0 for none.
func geoMean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var l float64
	for _, x := range xs {
		if x <= 0 {
			return 0
		}
		l += math.Log(x)
	}
	return math.Exp(l / float64(len(xs)))
}

func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}
