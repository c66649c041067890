package uplink

import (
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/edge-agent/edge-agent/internal/config"
)

// DefaultConfig returns config.Uplink with the defaults written in its
// `default` struct tags, for callers that have no config file (such as
// `edge-agent outbox drain --broker URL`). Reading the tags keeps the two
// from drifting apart.
func DefaultConfig() config.Uplink {
	var c config.Uplink
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("default")
		if !ok {
			continue
		}
		if err := setDefault(v.Field(i), tag); err != nil {
			// The tags are compiled in; a bad one is a programming error
			// that TestDefaultConfig catches.
			panic(fmt.Sprintf("config.Uplink.%s: default %q: %v", t.Field(i).Name, tag, err))
		}
	}
	return c
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	byteSizeType = reflect.TypeFor[config.ByteSize]()
)

func setDefault(f reflect.Value, s string) error {
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(s)
		f.SetInt(int64(d))
		return err
	case f.Type() == byteSizeType:
		b, err := config.ParseByteSize(s)
		f.SetInt(int64(b))
		return err
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		f.SetBool(b)
		return err
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		f.SetInt(n)
		return err
	default:
		return fmt.Errorf("unsupported kind %s", f.Kind())
	}
	return nil
}

// OutboxOptionsFrom returns the outbox bounds of cfg.
func OutboxOptionsFrom(cfg config.Uplink) OutboxOptions {
	return OutboxOptions{
		MaxEntries:  cfg.MaxEntries,
		MaxBytes:    int64(cfg.MaxBytes),
		TTL:         cfg.TTL,
		MaxAttempts: cfg.MaxAttempts,
	}
}
