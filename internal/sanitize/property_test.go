package sanitize

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/read"
)

const plateAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomCase draws a configuration within the documented bounds, distinctive
// ids, and a read record. In about one case in six the plate text contains
// one of the ids, which the encoder must then refuse to send.
func randomCase(t testing.TB, r *rand.Rand) (read.Record, Policy, bool) {
	cfg := config.Improvement{
		Enabled:          true,
		MaxWidth:         16 + r.IntN(1009),
		Margin:           r.Float64() * 0.1,
		TimeBucket:       time.Duration(900+r.IntN(86400-900+1)) * time.Second,
		GeohashPrecision: 1 + r.IntN(5),
		IncludeRead:      r.IntN(2) == 0,
	}
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = randomID(r, 8+r.IntN(9))
	}
	pol := Policy{Improvement: cfg, Identity: config.Identity{TenantID: ids[0], DeviceID: ids[1]}}
	plate := make([]byte, 1+r.IntN(10))
	for i := range plate {
		plate[i] = plateAlphabet[r.IntN(len(plateAlphabet))]
	}
	holdsID := r.IntN(6) == 0
	if holdsID { // an id made of plate characters, embedded in the plate
		id := make([]byte, 6+r.IntN(3))
		for i := range id {
			id[i] = plateAlphabet[r.IntN(len(plateAlphabet))]
		}
		ids[r.IntN(3)] = string(id)
		pol.Identity = config.Identity{TenantID: ids[0], DeviceID: ids[1]}
		plate = append(append([]byte{plate[0]}, id...), plate[1:]...)[:min(maxPlateLen, len(plate)+len(id))]
	}
	w, h := 20+r.IntN(400), 10+r.IntN(200)
	x0, y0 := r.IntN(w-2), r.IntN(h-2)
	box := image.Rect(x0, y0, x0+1+r.IntN(w-x0-1), y0+1+r.IntN(h-y0-1))
	rec := read.Record{
		CapturedAt: time.Unix(946684800+r.Int64N(3_000_000_000), r.Int64N(1e9)),
		Camera:     ids[2],
		Plate:      read.Plate(plate),
		Confidence: r.Float64(),
		Region:     []string{"", "us", "eu", "br"}[r.IntN(4)],
		Crop:       cropJPEG(t, w, h, box, uint8(r.IntN(256))),
		CropBox:    box,
	}
	if r.IntN(5) > 0 {
		rec.Fix = &read.Fix{Position: read.Position{Lat: r.Float64()*180 - 90, Lon: r.Float64()*360 - 180}}
	}
	return rec, pol, holdsID && cfg.IncludeRead
}

// TestMakeProperties runs Make over random records and configurations: each
// payload meets the contract (checked without AuditPayload), and a sample
// whose read would carry an id is refused with ErrIdentifier.
func TestMakeProperties(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0x5a17))
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		rec, pol, mustRefuse := randomCase(t, r)
		_, b, err := Make(rec, pol)
		switch {
		case mustRefuse:
			if !errors.Is(err, ErrIdentifier) {
				t.Fatalf("case %d: plate %q holds an id, Make returned %v", i, rec.Plate, err)
			}
		case err != nil:
			t.Fatalf("case %d: %v (config %+v)", i, err, pol.Improvement)
		default:
			checkContract(t, b, pol, rec)
			if err := AuditPayload(b, pol); err != nil {
				t.Fatalf("case %d: AuditPayload: %v", i, err)
			}
		}
	}
}
