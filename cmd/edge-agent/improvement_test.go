package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/improvement"
	"github.com/edge-agent/edge-agent/internal/read"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// TestImprovementWithdrawCommand: samples released to the outbox and samples
// held are all purged by the command, which then reports the withdrawal;
// resume takes it back.
func TestImprovementWithdrawCommand(t *testing.T) {
	dir := t.TempDir()
	sets := []string{
		"improvement.enabled=true",
		"improvement.queue_path=" + filepath.Join(dir, "improvement.db"),
		"improvement.audit_path=" + filepath.Join(dir, "audit.log"),
		"uplink.outbox_path=" + filepath.Join(dir, "outbox.db"),
	}
	conf, err := loadConfig("", sets)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := uplink.OpenOutbox(conf.Uplink.OutboxPath, uplink.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := improvement.New(conf.Improvement, config.Identity{TenantID: "tenant-Xq4w8Lz2"}, ob, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 120, 40)), nil); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-3 * time.Hour)
	for i, pl := range []string{"AB1001", "AB1002", "AB1003", "AB1004"} {
		at := past
		if i == 3 {
			at = time.Now() // its bucket is open: held
		}
		p.Offer(read.Record{ID: int64(i + 1), CapturedAt: at, Camera: "front", Plate: read.Plate(pl),
			Crop: buf.Bytes(), CropBox: image.Rect(10, 10, 110, 30)})
	}
	if n, err := p.Flush(context.Background(), improvement.FlushOptions{SkipJitter: true}); err != nil || n != 3 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	p.Close()

	// While the agent holds the outbox, the command purges the holding queue
	// and says the agent will purge its outbox.
	run := func(args ...string) string {
		t.Helper()
		for _, s := range sets {
			args = append(args, "--set", s)
		}
		var out, errOut bytes.Buffer
		if err := improvementCmd(context.Background(), args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	out := run("withdraw", "--reason", "agency left the programme")
	if !strings.Contains(out, "purged 1 held samples and 0 outbox entries") || !strings.Contains(out, "a running agent purges it within 30 s") {
		t.Errorf("withdraw with the outbox in use:\n%s", out)
	}
	ob.Close()
	out = run("withdraw")
	if !strings.Contains(out, "purged 0 held samples and 3 outbox entries") {
		t.Errorf("withdraw:\n%s", out)
	}
	if out := run("status"); !strings.Contains(out, "consent: withdrawn since") || !strings.Contains(out, "held samples: 0") {
		t.Errorf("status:\n%s", out)
	}
	run("resume")
	if out := run("status"); !strings.Contains(out, "consent: opted in") {
		t.Errorf("status after resume:\n%s", out)
	}
	var errOut bytes.Buffer
	if err := improvementCmd(context.Background(), []string{"optout"}, &bytes.Buffer{}, &errOut); err == nil ||
		err.Error() != `improvement: unknown action "optout": must be withdraw, resume or status` {
		t.Errorf("unknown action: %v", err)
	}
}
