package uplink

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

// BenchmarkEnqueue measures durable enqueues (one fsync each) and batched
// ones (one fsync per 100).
func BenchmarkEnqueue(b *testing.B) {
	for _, size := range []int{1 << 10, 8 << 10} {
		payload := brokertest.Sample(0, size)
		b.Run(fmt.Sprintf("single/%dKiB", size>>10), func(b *testing.B) {
			ob := openBench(b)
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := ob.Enqueue(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("batch100/%dKiB", size>>10), func(b *testing.B) {
			ob := openBench(b)
			batch := make([][]byte, 100)
			for i := range batch {
				batch[i] = payload
			}
			b.SetBytes(int64(len(payload)) * 100)
			for b.Loop() {
				if err := ob.EnqueueBatch(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

func openBench(b *testing.B) *Outbox {
	b.Helper()
	ob, err := OpenOutbox(filepath.Join(b.TempDir(), "o.db"), OutboxOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ob.Close() })
	return ob
}

// BenchmarkDrain50k drains a backlog of 50,000 samples to a local Mosquitto.
// Run with -benchtime=1x; it reports messages/s and MB/s.
func BenchmarkDrain50k(b *testing.B) {
	if testing.Short() {
		b.Skip("needs mosquitto")
	}
	const backlog = 50000
	broker := brokertest.Start(b, brokertest.Options{})
	for _, size := range []int{1 << 10, 8 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			ob := openBench(b)
			cfg := testConfig(broker.URL())
			cfg.AckTimeout = 30 * time.Second
			p, err := New(cfg, ob, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			batch := make([][]byte, 1000)
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				for i := 0; i < backlog; i += len(batch) {
					for j := range batch {
						batch[j] = brokertest.Sample(i+j, size)
					}
					if err := ob.EnqueueBatch(batch); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				t0 := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				err := p.Drain(ctx)
				cancel()
				elapsed += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
			}
			msgs := float64(backlog * b.N)
			b.ReportMetric(msgs/elapsed.Seconds(), "msg/s")
			b.ReportMetric(msgs*float64(len(brokertest.Sample(0, size)))/elapsed.Seconds()/1e6, "MB/s")
		})
	}
}
