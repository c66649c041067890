package api

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the fixture is written with plain SQL

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/store"
)

// benchReads and benchPlates shape the fixture: a million reads of 200,000
// plates (a fleet sees the same vehicles again), one a second.
const (
	benchReads  = 1_000_000
	benchPlates = 200_000
)

// BenchmarkReadsByPlate is GET /api/v1/reads?plate=P&limit=50 over HTTP
// on loopback against a store of a million reads; it reports the p50 and
// p99 latency of the requests. Building the store takes about a minute.
//
//	go test -run XXX -bench ReadsByPlate -benchtime 2000x ./internal/api/
func BenchmarkReadsByPlate(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "reads.db")
	st, err := store.Open(path, config.Defaults().Store, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := fill(path, benchReads); err != nil {
		b.Fatal(err)
	}
	if n, err := st.Count(context.Background()); err != nil || n != benchReads {
		b.Fatalf("store holds %d reads (%v), want %d", n, err, benchReads)
	}
	s, err := New(config.API{Listen: "127.0.0.1:0"}, st, cameraAgent{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rnd := rand.New(rand.NewPCG(5, 6))
	client := &http.Client{}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		url := fmt.Sprintf("http://%s/api/v1/reads?plate=%s&limit=50", s.Addr(), benchPlate(rnd.IntN(benchPlates)))
		began := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		var buf [4096]byte
		for {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				break
			}
		}
		resp.Body.Close()
		lat = append(lat, time.Since(began))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func benchPlate(i int) string { return fmt.Sprintf("B%06dX", i) }

// fill writes n final reads into the store at path in one transaction,
// with the columns the store writes.
func fill(path string, n int) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT INTO reads (captured_at, camera, plate, confidence, char_confs, region,
		box_x0, box_y0, box_x1, box_y1, candidates, frames, crop_x0, crop_y0, crop_x1, crop_y1, size, crop, final, final_seq)
		VALUES (?, 'front', ?, 0.9, '[]', 'us', 0, 0, 10, 10, '[]', 3, 0, 0, 10, 10, 300, ?, 1, ?)`)
	if err != nil {
		return err
	}
	crop := make([]byte, 64)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(7, 8))
	for i := range n {
		if _, err := stmt.Exec(t0.Add(time.Duration(i)*time.Second).UnixNano(), benchPlate(rnd.IntN(benchPlates)), crop, i+1); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`UPDATE final_counter SET seq = ?`, n); err != nil {
		return err
	}
	return tx.Commit()
}
