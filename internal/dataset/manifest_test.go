package dataset

import (
	"errors"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.tsv")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadScenes(t *testing.T) {
	// Columns in another order, an extra one, CRLF, a blank line, a box a
	// pixel past the edge, a plate without text, an image in a subfolder.
	m, err := Read(write(t, "plate_text\timage\tnote\tx\ty\tw\th\r\nab123\ta.jpg\t-\t10\t20\t100\t25\r\n\r\n\timages/b.jpg\t\t-1\t0\t5\t2\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Manifest{Rows: []Row{
		{Image: "a.jpg", Text: "AB123", Box: image.Rect(10, 20, 110, 45), Line: 2},
		{Image: "images/b.jpg", Box: image.Rect(-1, 0, 4, 2), Line: 4},
	}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v, want %+v", m, want)
	}
}

func TestReadCrops(t *testing.T) {
	m, err := Read(write(t, "image\tstate\tplate_text\nak1.png\tak\tfuw999\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Manifest{Crops: true, Rows: []Row{{Image: "ak1.png", Text: "FUW999", Line: 2}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v, want %+v", m, want)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"image\tplate\tx\ty\tw\th\n", "the header names neither image, plate_text, x, y, w, h (a scene set) nor image, state, plate_text"},
		{"image\tplate_text\tx\ty\tw\th\na.jpg\tAB1\t1\t2\t0\t4\n", "line 2: 'w' must be an integer (w and h positive), got \"0\""},
		{"image\tplate_text\tx\ty\tw\th\na.jpg\tAB1\tone\t2\t3\t4\n", "line 2: 'x' must be an integer (w and h positive), got \"one\""},
		{"image\tplate_text\tx\ty\tw\th\na.jpg\tAB1\t1\t2\n", "line 2: 'w' is missing"},
		{"image\tplate_text\tx\ty\tw\th\n../a.jpg\tAB1\t1\t2\t3\t4\n", "line 2: 'image' must be a path inside the set's folder, got \"../a.jpg\""},
		{"image\tstate\tplate_text\na.png\tak\n", "line 2: 'plate_text' is missing"},
		{"image\tplate_text\tx\ty\tw\th\n", "no rows"},
	} {
		path := write(t, c.body)
		_, err := Read(path)
		if err == nil || !strings.HasPrefix(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("manifest %q: got %v, want %s: ...%s", c.body, err, path, c.want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.tsv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing manifest: %v, want fs.ErrNotExist", err)
	}
}
