//go:build cgo

package synth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"gocv.io/x/gocv"
)

// sink receives the frames of one video file, written to a temporary file
// beside the final path and renamed into place on Commit, so that a failed
// run leaves no half video.
type sink interface {
	Write(m gocv.Mat) error
	Commit() error
	Abort()
	Codec() string
}

// createVideo opens a sink for path with the named encoder (see
// SyntheticOptions.Encoder).
func createVideo(path string, fps float64, w, h int, encoder string, log *slog.Logger) (sink, error) {
	if filepath.Ext(path) != ".mp4" {
		return nil, fmt.Errorf("video %s: the file name must end in .mp4", path)
	}
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	ffmpeg, lookErr := exec.LookPath("ffmpeg")
	switch {
	case encoder == EncoderFFmpeg && lookErr != nil:
		return nil, fmt.Errorf("encoder ffmpeg: %w", lookErr)
	case encoder == EncoderFFmpeg || encoder == EncoderAuto && lookErr == nil:
		return startFFmpeg(ffmpeg, tmp, path, fps, w, h)
	case encoder == EncoderAuto:
		log.Warn("ffmpeg not found, encoding with OpenCV (about 3 times slower)")
	}
	return openCV(tmp, path, fps, w, h, log)
}

// ffmpegSink converts frames to I420 and pipes them into an ffmpeg process that encodes H.264
// with x264's veryfast preset: three to four times faster than OpenCV's
// writer, which is fixed to the medium preset, for files of the same size.
type ffmpegSink struct {
	yuv       gocv.Mat
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stderr    *bytes.Buffer
	tmp, path string
}

func startFFmpeg(bin, tmp, path string, fps float64, w, h int) (*ffmpegSink, error) {
	rate := strconv.FormatFloat(fps, 'f', -1, 64)
	cmd := exec.Command(bin, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", fmt.Sprintf("%dx%d", w, h), "-framerate", rate, "-i", "pipe:0",
		"-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
		"-g", strconv.Itoa(int(2*fps)), "-movflags", "+faststart",
		"-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", tmp)
	s := &ffmpegSink{yuv: gocv.NewMat(), cmd: cmd, stderr: &bytes.Buffer{}, tmp: tmp, path: path}
	cmd.Stderr = s.stderr
	var err error
	if s.stdin, err = cmd.StdinPipe(); err == nil {
		err = cmd.Start()
	}
	if err != nil {
		s.yuv.Close()
		return nil, fmt.Errorf("video %s: starting ffmpeg: %w", path, err)
	}
	return s, nil
}

func (s *ffmpegSink) Codec() string { return "h264 (ffmpeg libx264)" }

func (s *ffmpegSink) Write(m gocv.Mat) error {
	gocv.CvtColor(m, &s.yuv, gocv.ColorBGRToYUVI420)
	b, err := s.yuv.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("video %s: %w", s.path, err)
	}
	if _, err := s.stdin.Write(b); err != nil {
		return fmt.Errorf("video %s: ffmpeg: %w %s", s.path, err, s.tail())
	}
	return nil
}

func (s *ffmpegSink) Commit() error {
	s.yuv.Close()
	s.stdin.Close()
	if err := s.cmd.Wait(); err != nil {
		os.Remove(s.tmp)
		return fmt.Errorf("video %s: ffmpeg: %w %s", s.path, err, s.tail())
	}
	return os.Rename(s.tmp, s.path)
}

func (s *ffmpegSink) Abort() {
	s.yuv.Close()
	s.stdin.Close()
	s.cmd.Process.Kill()
	s.cmd.Wait()
	os.Remove(s.tmp)
}

func (s *ffmpegSink) tail() string {
	t := strings.TrimSpace(s.stderr.String())
	if len(t) > 500 {
		t = t[len(t)-500:]
	}
	return t
}

// cvSink writes through OpenCV's VideoWriter: H.264 (avc1, libx264 medium)
// where the FFmpeg backend has it, else MPEG-4 part 2.
type cvSink struct {
	w         *gocv.VideoWriter
	tmp, path string
	codec     string
}

func openCV(tmp, path string, fps float64, w, h int, log *slog.Logger) (*cvSink, error) {
	for _, c := range []string{"avc1", "mp4v"} {
		vw, err := gocv.VideoWriterFile(tmp, c, fps, w, h, true)
		if err == nil && vw.IsOpened() {
			return &cvSink{w: vw, tmp: tmp, path: path, codec: c}, nil
		}
		if vw != nil {
			vw.Close()
		}
		log.Warn("OpenCV video codec not available, trying the next", "codec", c)
	}
	os.Remove(tmp)
	return nil, errors.New("video " + path + ": OpenCV could not open a writer for avc1 or mp4v")
}

func (v *cvSink) Codec() string { return v.codec + " (OpenCV)" }

func (v *cvSink) Write(m gocv.Mat) error {
	if err := v.w.Write(m); err != nil {
		return fmt.Errorf("video %s: %w", v.path, err)
	}
	return nil
}

func (v *cvSink) Commit() error {
	if err := v.w.Close(); err != nil {
		os.Remove(v.tmp)
		return fmt.Errorf("video %s: %w", v.path, err)
	}
	return os.Rename(v.tmp, v.path)
}

func (v *cvSink) Abort() {
	v.w.Close()
	os.Remove(v.tmp)
}
