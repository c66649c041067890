package uplink

import "github.com/edge-agent/edge-agent/internal/config"

// OutboxOptionsFrom returns the outbox bounds of cfg.
func OutboxOptionsFrom(cfg config.Uplink) OutboxOptions {
	return OutboxOptions{
		MaxEntries:  cfg.MaxEntries,
		MaxBytes:    int64(cfg.MaxBytes),
		TTL:         cfg.TTL,
		MaxAttempts: cfg.MaxAttempts,
	}
}
