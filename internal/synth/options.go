package synth

import (
	"fmt"
	"math"
)

// SyntheticOptions describes a synthetic video. Zero fields take the
// defaults noted.
type SyntheticOptions struct {
	Height int     // frame height in pixels, even, 360–2160; the width is 16:9. Default 1080.
	Passes int     // vehicles, 1–500. Default 15.
	Seed   int64   // everything random derives from it
	FPS    float64 // frames per second, 1–120. Default 30.
	Font   string  // TTF for plates and signs. Default DefaultFont.
	// Encoder is EncoderAuto (default: ffmpeg when on PATH, else OpenCV),
	// EncoderFFmpeg or EncoderOpenCV.
	Encoder string
}

// Encoders of the video file.
const (
	EncoderAuto   = "auto"
	EncoderFFmpeg = "ffmpeg"
	EncoderOpenCV = "opencv"
)

func (o *SyntheticOptions) fill() error {
	if o.Height == 0 {
		o.Height = 1080
	}
	if o.Passes == 0 {
		o.Passes = 15
	}
	if o.FPS == 0 {
		o.FPS = 30
	}
	if o.Font == "" {
		o.Font = DefaultFont
	}
	if err := checkHeight(o.Height); err != nil {
		return err
	}
	if err := checkEncoder(&o.Encoder); err != nil {
		return err
	}
	if o.Passes < 1 || o.Passes > 500 {
		return fmt.Errorf("'passes' must be in 1–500, got %d", o.Passes)
	}
	return checkFPS(o.FPS)
}

// PhotoOptions describes a video made from a folder of still photos.
type PhotoOptions struct {
	Dataset         string  // folder with manifest.tsv and the images
	Out             string  // video path, ending in .mp4
	Height          int     // as in SyntheticOptions; default 720
	SecondsPerPhoto float64 // time on screen per photo, 1–30; default 2
	// GapSeconds is the black between photos (and before the first and
	// after the last), 0.1–30; default DefaultPhotoGap.
	GapSeconds float64
	Limit      int     // use at most this many photos, 0 for all
	FPS        float64 // default 30
	Seed       int64   // picks each photo's camera motion
	Encoder    string  // as in SyntheticOptions
}

func (o *PhotoOptions) fill() error {
	if o.Height == 0 {
		o.Height = 720
	}
	if o.SecondsPerPhoto == 0 {
		o.SecondsPerPhoto = 2
	}
	if o.GapSeconds == 0 {
		o.GapSeconds = DefaultPhotoGap.Seconds()
	}
	if o.FPS == 0 {
		o.FPS = 30
	}
	if o.Dataset == "" {
		return fmt.Errorf("'dataset' is required")
	}
	if o.Limit < 0 {
		return fmt.Errorf("'limit' must be ≥ 0, got %d", o.Limit)
	}
	if o.SecondsPerPhoto < 1 || o.SecondsPerPhoto > 30 {
		return fmt.Errorf("'seconds-per-photo' must be in 1–30, got %g", o.SecondsPerPhoto)
	}
	if o.GapSeconds < 0.1 || o.GapSeconds > 30 {
		return fmt.Errorf("'gap-seconds' must be in 0.1–30, got %g", o.GapSeconds)
	}
	if err := checkHeight(o.Height); err != nil {
		return err
	}
	if err := checkEncoder(&o.Encoder); err != nil {
		return err
	}
	return checkFPS(o.FPS)
}

func checkEncoder(e *string) error {
	switch *e {
	case "":
		*e = EncoderAuto
	case EncoderAuto, EncoderFFmpeg, EncoderOpenCV:
	default:
		return fmt.Errorf("'encoder' must be auto, ffmpeg or opencv, got %q", *e)
	}
	return nil
}

func checkHeight(h int) error {
	if h < 360 || h > 2160 || h%2 != 0 {
		return fmt.Errorf("'height' must be an even number in 360–2160, got %d", h)
	}
	return nil
}

func checkFPS(fps float64) error {
	if !(fps >= 1 && fps <= 120) {
		return fmt.Errorf("'fps' must be in 1–120, got %g", fps)
	}
	return nil
}

// widthFor returns the 16:9 width for a height, rounded to an even number.
func widthFor(h int) int { return int(math.Round(float64(h)*16/9/2)) * 2 }

// Result names the files a generator wrote.
type Result struct {
	Video, TruthFile, NMEAFile string
	Codec                      string // FOURCC the video was written with
	Truth                      *Truth
}
