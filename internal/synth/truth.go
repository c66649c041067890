package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

// TruthVersion is the version of the ground-truth format written by this
// package.
const TruthVersion = 1

// Truth is the ground truth of a generated video: what a perfect reader would
// report. It is written as JSON beside the video (see README.md).
type Truth struct {
	Version   int       `json:"version"`
	Generator string    `json:"generator"` // "synthetic" or "photos"
	Video     string    `json:"video"`     // file name of the video, without directory
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	FPS       float64   `json:"fps"`
	Frames    int       `json:"frames"`
	DurationS float64   `json:"duration_s"`
	Seed      int64     `json:"seed"`
	Start     time.Time `json:"start"` // wall-clock time of frame 0; the NMEA track starts here
	Passes    []Pass    `json:"passes"`
}

// Pass is one vehicle (or one photo) crossing the scene, carrying one plate.
type Pass struct {
	Index  int    `json:"index"`
	Plate  string `json:"plate"`            // plate text, A–Z and 0–9 only
	State  string `json:"state,omitempty"`  // synthetic: the state printed on the plate
	Source string `json:"source,omitempty"` // photos: the image file in the dataset
	// Others are, in a photo video, the other plates labelled in the same
	// photo: on screen with this one, each the plate of a pass of its own.
	Others []string `json:"others,omitempty"`
	Motion string   `json:"motion"` // left_to_right, right_to_left, approaching, photo
	// FirstFrame and LastFrame bound the frames in which the vehicle (or
	// photo) is on screen, both inclusive; StartS and EndS are their times.
	FirstFrame int     `json:"first_frame"`
	LastFrame  int     `json:"last_frame"`
	StartS     float64 `json:"start_s"`
	EndS       float64 `json:"end_s"`
	// PlateWidthPx is the widest the plate gets, in pixels.
	PlateWidthPx int     `json:"plate_width_px"`
	Blur         string  `json:"blur"`            // none, gaussian or motion
	BlurPx       float64 `json:"blur_px"`         // Gaussian sigma or motion length, pixels
	Light        string  `json:"light"`           // normal, overcast, dusk, glare or photo
	Noise        float64 `json:"noise"`           // sensor noise sigma, grey levels
	Boxes        []Box   `json:"boxes,omitempty"` // plate box in each frame where the plate is wholly in view
}

// Box is the axis-aligned bounding box of the plate in one frame, in pixels.
type Box struct {
	Frame int `json:"frame"`
	X     int `json:"x"`
	Y     int `json:"y"`
	W     int `json:"w"`
	H     int `json:"h"`
}

// BoxAt returns the plate box of frame f and whether the plate is wholly in
// view in that frame.
func (p *Pass) BoxAt(f int) (Box, bool) {
	for _, b := range p.Boxes {
		if b.Frame == f {
			return b, true
		}
	}
	return Box{}, false
}

// MidFrame returns the frame in the middle of the frames where the plate is in
// view, or of the pass when it never is.
func (p *Pass) MidFrame() int {
	if len(p.Boxes) == 0 {
		return (p.FirstFrame + p.LastFrame) / 2
	}
	return p.Boxes[len(p.Boxes)/2].Frame
}

// PassAt returns the pass on screen at frame f, or nil in a gap.
func (t *Truth) PassAt(f int) *Pass {
	for i := range t.Passes {
		if f >= t.Passes[i].FirstFrame && f <= t.Passes[i].LastFrame {
			return &t.Passes[i]
		}
	}
	return nil
}

// Marshal returns the truth as indented JSON. The bytes depend only on the
// content, so equal truths give equal files.
func (t *Truth) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteFile writes the truth to path.
func (t *Truth) WriteFile(path string) error {
	b, err := t.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// LoadTruth reads a ground-truth file written by WriteFile and checks it.
func LoadTruth(path string) (*Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var t Truth
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("truth file %s: %w", path, err)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("truth file %s: %w", path, err)
	}
	return &t, nil
}

func (t *Truth) validate() error {
	if t.Version != TruthVersion {
		return fmt.Errorf("'version' is %d, this reader knows %d", t.Version, TruthVersion)
	}
	if t.Width <= 0 || t.Height <= 0 || t.FPS <= 0 || t.Frames <= 0 {
		return fmt.Errorf("'width', 'height', 'fps' and 'frames' must be > 0")
	}
	prev := -1
	for i, p := range t.Passes {
		if p.FirstFrame <= prev || p.LastFrame < p.FirstFrame || p.LastFrame >= t.Frames {
			return fmt.Errorf("'passes[%d]' spans frames %d–%d, which overlap or leave the video", i, p.FirstFrame, p.LastFrame)
		}
		prev = p.LastFrame
	}
	return nil
}

// seconds rounds a time in seconds to the millisecond so that the JSON stays
// short and stable.
func seconds(frame int, fps float64) float64 {
	return math.Round(float64(frame)/fps*1000) / 1000
}
