package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/edge-agent/edge-agent/internal/secret"
)

// sourceKind is what a camera's source names.
type sourceKind int

const (
	kindDevice  sourceKind = iota // a V4L2 device: /dev/videoN, another /dev path, or an index
	kindNetwork                   // a stream read through FFmpeg: rtsp://, http(s)://, …
	kindFile                      // a video file
)

// networkSchemes are the URL schemes opened through FFmpeg as streams.
var networkSchemes = map[string]bool{
	"rtsp": true, "rtsps": true, "rtmp": true, "http": true, "https": true,
	"udp": true, "tcp": true, "srt": true,
}

// source is a parsed cameras[].source.
type source struct {
	kind   sourceKind
	target string // what is opened: a path, a URL or a device index
	index  int    // device index, -1 for a device path
	shown  string // safe for logs and errors: URL credentials removed
}

// parseSource tells what s names.
func parseSource(s string) (source, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return source{}, errors.New("'source' is empty: give /dev/videoN, a device index, a stream URL or a video file")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return source{}, fmt.Errorf("'source' %q: a device index must be 0 or more", secret.Redact(s))
		}
		return source{kind: kindDevice, target: s, index: n, shown: s}, nil
	}
	if strings.HasPrefix(s, "/dev/") {
		src := source{kind: kindDevice, target: s, index: -1, shown: s}
		if n, err := strconv.Atoi(strings.TrimPrefix(s, "/dev/video")); err == nil && n >= 0 {
			src.index = n
		}
		return src, nil
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		switch {
		case networkSchemes[strings.ToLower(u.Scheme)]:
			return source{kind: kindNetwork, target: s, index: -1, shown: secret.Redact(s)}, nil
		case strings.EqualFold(u.Scheme, "file"):
			return source{kind: kindFile, target: u.Path, index: -1, shown: u.Path}, nil
		default:
			return source{}, fmt.Errorf("'source' %q: unknown scheme %q (use rtsp, rtsps, rtmp, http, https, udp, tcp, srt or a file path)", secret.Redact(s), u.Scheme)
		}
	}
	// A URL that fails to parse is taken for a file name, and may hold a
	// password all the same.
	return source{kind: kindFile, target: s, index: -1, shown: secret.Redact(s)}, nil
}

// streamInfo describes an opened source.
type streamInfo struct {
	Width, Height int
	FPS           float64 // 0 when unknown
	Frames        int     // frames in a file, 0 when unknown
	Backend       string
}

// videoSource is an opened camera. Only the session's reader goroutine
// calls it: OpenCV's VideoCapture is not safe for concurrent use, and a
// Read may block for as long as the driver or network decides.
type videoSource interface {
	// Read decodes the next frame into m; false at the end or on failure.
	Read(m *gocv.Mat) bool
	// Pos is the position of the frame last read (files), else 0.
	Pos() time.Duration
	// Err tells, after Read returned false, why: nil for the clean end of
	// a file.
	Err() error
	Close() error
}

// opener opens a source; the real one is openSource.
type opener func(src source) (videoSource, streamInfo, error)

// openSource opens src with OpenCV: V4L2 for devices, FFmpeg for streams
// and files.
func openSource(src source) (videoSource, streamInfo, error) {
	var (
		vc  *gocv.VideoCapture
		err error
		api = gocv.VideoCaptureFFmpeg
	)
	switch src.kind {
	case kindDevice:
		api = gocv.VideoCaptureV4L2
		if src.index >= 0 {
			vc, err = gocv.VideoCaptureDeviceWithAPI(src.index, api)
		} else {
			vc, err = gocv.VideoCaptureFileWithAPI(src.target, api)
		}
	case kindFile:
		st, serr := os.Stat(src.target)
		switch {
		case errors.Is(serr, fs.ErrNotExist):
			return nil, streamInfo{}, fmt.Errorf("video file %s does not exist", src.shown)
		case serr != nil:
			return nil, streamInfo{}, fmt.Errorf("video file %s: %w", src.shown, serr)
		case st.IsDir():
			return nil, streamInfo{}, fmt.Errorf("video file %s is a directory", src.shown)
		}
		vc, err = gocv.VideoCaptureFileWithAPI(src.target, api)
	default:
		vc, err = gocv.VideoCaptureFileWithAPI(src.target, api)
	}
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			_ = vc.Close()
		}
		// gocv's own message repeats the source, credentials included.
		what := map[sourceKind]string{kindDevice: "device", kindNetwork: "stream", kindFile: "video file"}[src.kind]
		return nil, streamInfo{}, fmt.Errorf("cannot open %s %s with %s: not a readable video or the backend failed", what, src.shown, api)
	}
	info := streamInfo{
		Width:   int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height:  int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:     vc.Get(gocv.VideoCaptureFPS),
		Backend: api.String(),
	}
	if src.kind == kindFile {
		info.Frames = int(vc.Get(gocv.VideoCaptureFrameCount))
	}
	if info.FPS < 0 || math.IsNaN(info.FPS) || math.IsInf(info.FPS, 0) {
		info.FPS = 0
	}
	return &cvSource{vc: vc, file: src.kind == kindFile, info: info}, info, nil
}

// cvSource is a videoSource on an OpenCV VideoCapture.
type cvSource struct {
	vc   *gocv.VideoCapture
	file bool
	info streamInfo
	n    int // frames read
}

func (s *cvSource) Read(m *gocv.Mat) bool {
	if !s.vc.Read(m) || m.Empty() {
		return false
	}
	s.n++
	return true
}

func (s *cvSource) Pos() time.Duration {
	if !s.file {
		return 0
	}
	// CAP_PROP_POS_MSEC is the timestamp of the frame just read.
	ms := s.vc.Get(gocv.VideoCapturePosMsec)
	if ms >= 0 && !math.IsNaN(ms) && (ms > 0 || s.n == 1) {
		return time.Duration(math.Round(ms * float64(time.Millisecond)))
	}
	if s.info.FPS > 0 {
		return time.Duration(math.Round(float64(s.n-1) / s.info.FPS * float64(time.Second)))
	}
	return 0
}

func (s *cvSource) Err() error {
	if !s.file {
		return errors.New("no frame could be read: the stream ended or the device stopped")
	}
	// Containers that know their length let a cut-off file be told from one
	// that ended; one frame of slack for lengths estimated from the duration.
	if s.info.Frames > 0 && s.n < s.info.Frames-1 {
		return fmt.Errorf("video ended after %d of %d frames: the file is truncated or corrupt", s.n, s.info.Frames)
	}
	if s.n == 0 {
		return errors.New("video has no frame that could be decoded")
	}
	return nil
}

func (s *cvSource) Close() error { return s.vc.Close() }
