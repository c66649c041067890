package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/store"
)

// cameraAgent answers for one camera with a fixed JPEG: the camera side
// of the agent needs OpenCV and is tested in internal/agent.
type cameraAgent struct{}

func (cameraAgent) Cameras() []Camera {
	return []Camera{{Name: "front", Up: true, FPS: 10, LastFrame: time.Unix(1, 0).UTC()}}
}

func (cameraAgent) Frame(name string) ([]byte, error) {
	if name != "front" {
		return nil, ErrNoCamera
	}
	return []byte{0xff, 0xd8, 0xff, 0xd9}, nil
}

func (cameraAgent) Status() Status { return Status{Events: true, HotlistEntries: 3} }

const token = "0123456789abcdef-token"

// serve starts the API on a free loopback port over a store holding n
// reads, with a token file when withToken.
func serve(t *testing.T, n int, withToken bool) (*Server, *store.Store, []int64) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "reads.db"), config.Defaults().Store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var ids []int64
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		rec := read.Record{CapturedAt: t0.Add(time.Duration(i) * time.Second), Camera: "front",
			Plate: read.Plate(fmt.Sprintf("ABC%04d", i%3)), Confidence: 0.91234, Region: "us", Frames: 2,
			Crop: []byte{0xff, 0xd8, byte(i), 0xff, 0xd9}, Candidates: []read.Candidate{{Text: "ABC0000", Confidence: 0.9}}}
		if i == 0 {
			rec.Crop = nil
		}
		id, err := st.Insert(context.Background(), &rec)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	cfg := config.API{Listen: "127.0.0.1:0"}
	if withToken {
		cfg.TokenFile = filepath.Join(dir, "token")
		if err := os.WriteFile(cfg.TokenFile, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(cfg, st, cameraAgent{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, st, ids
}

func get(t testing.TB, s *Server, path, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.Addr()+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestTokenRequired(t *testing.T) {
	s, _, ids := serve(t, 2, true)
	for _, path := range []string{"/api/v1/reads", fmt.Sprintf("/api/v1/reads/%d", ids[1]),
		fmt.Sprintf("/api/v1/reads/%d/crop.jpg", ids[1]), "/api/v1/cameras", "/api/v1/cameras/front/frame.jpg", "/api/v1/status"} {
		for _, tok := range []string{"", "wrong-token-0123456789"} {
			if code, _ := get(t, s, path, tok); code != http.StatusUnauthorized {
				t.Errorf("%s with token %q: %d, want 401", path, tok, code)
			}
		}
		if code, _ := get(t, s, path, token); code != http.StatusOK {
			t.Errorf("%s with the token: %d, want 200", path, code)
		}
	}
	if code, body := get(t, s, "/", ""); code != http.StatusOK || !strings.Contains(string(body), "installer view") {
		t.Errorf("the page: %d", code)
	}
}

func TestRefusesOpenAddressWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:9811", ":9811", "192.168.1.20:9811"} {
		_, err := New(config.API{Listen: addr}, nil, cameraAgent{}, nil)
		if err == nil || !strings.Contains(err.Error(), "set 'api.token_file'") {
			t.Errorf("%s without a token: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		if _, err := New(config.API{Listen: addr}, nil, cameraAgent{}, nil); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	short := filepath.Join(t.TempDir(), "token")
	_ = os.WriteFile(short, []byte("abc\n"), 0o600)
	if _, err := New(config.API{Listen: "0.0.0.0:1", TokenFile: short}, nil, cameraAgent{}, nil); err == nil {
		t.Error("a 3-character token was taken")
	}
}

func TestReadsAndCrops(t *testing.T) {
	s, _, ids := serve(t, 7, false)
	var page struct {
		Reads      []readJSON `json:"reads"`
		NextCursor string     `json:"next_cursor"`
	}
	var got []int64
	path := "/api/v1/reads?plate=abc-0001&limit=2"
	for path != "" {
		code, body := get(t, s, path, "")
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		page.NextCursor = ""
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Reads {
			got = append(got, r.ID)
			if r.Plate != "ABC0001" || r.Confidence != 0.912 || r.CropURL != fmt.Sprintf("/api/v1/reads/%d/crop.jpg", r.ID) {
				t.Errorf("read %+v", r)
			}
		}
		path = ""
		if page.NextCursor != "" {
			path = "/api/v1/reads?plate=ABC0001&limit=2&cursor=" + page.NextCursor
		}
	}
	if want := fmt.Sprint([]int64{ids[4], ids[1]}); fmt.Sprint(got) != want {
		t.Errorf("plate ABC0001, newest first, in pages of 2: %v, want %v", got, want)
	}
	code, body := get(t, s, fmt.Sprintf("/api/v1/reads/%d/crop.jpg", ids[3]), "")
	if code != http.StatusOK || string(body) != string([]byte{0xff, 0xd8, 3, 0xff, 0xd9}) {
		t.Errorf("crop: %d %x", code, body)
	}
	for path, want := range map[string]int{
		"/api/v1/reads/999999/crop.jpg":                  http.StatusNotFound,
		fmt.Sprintf("/api/v1/reads/%d/crop.jpg", ids[0]): http.StatusNotFound, // a read without crop
		"/api/v1/reads/999999":                           http.StatusNotFound,
		"/api/v1/reads/x":                                http.StatusBadRequest,
		"/api/v1/reads?limit=100000":                     http.StatusBadRequest,
		"/api/v1/reads?since=yesterday":                  http.StatusBadRequest,
		"/api/v1/reads?cursor=bm9wZQ":                    http.StatusBadRequest,
		"/api/v1/cameras/back/frame.jpg":                 http.StatusNotFound,
		"/api/v1/cameras/front/frame.jpg":                http.StatusOK,
	} {
		if code, body := get(t, s, path, ""); code != want {
			t.Errorf("%s: %d %s, want %d", path, code, body, want)
		}
	}
	code, body = get(t, s, fmt.Sprintf("/api/v1/reads/%d", ids[2]), "")
	var one readJSON
	if err := json.Unmarshal(body, &one); code != http.StatusOK || err != nil || len(one.Candidates) != 1 {
		t.Errorf("one read: %d %s", code, body)
	}
}

// Every connection has its timeouts.
func TestServerTimeouts(t *testing.T) {
	s, _, _ := serve(t, 0, false)
	if s.srv.ReadHeaderTimeout == 0 || s.srv.ReadTimeout == 0 || s.srv.WriteTimeout == 0 || s.srv.IdleTimeout == 0 {
		t.Fatalf("timeouts %v %v %v %v", s.srv.ReadHeaderTimeout, s.srv.ReadTimeout, s.srv.WriteTimeout, s.srv.IdleTimeout)
	}
}

// A token file that a group or everyone may read is refused.
func TestTokenFileModeRefused(t *testing.T) {
	cfg := config.API{Listen: "0.0.0.0:0", TokenFile: filepath.Join(t.TempDir(), "token")}
	if err := os.WriteFile(cfg.TokenFile, []byte("0123456789abcdef0123\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	_, err := New(cfg, nil, cameraAgent{}, nil)
	want := fmt.Sprintf("'api.token_file' %s has mode 0640", cfg.TokenFile)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("New with a 0640 token file: %v; want %s…", err, want)
	}
}
