package events

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edge-agent/edge-agent/internal/config"
	"github.com/edge-agent/edge-agent/internal/uplink"
)

// Queue names in the outbox file. The samples' queue is the file's
// unnamed one: none of these is ever drained through the consent gate,
// and no sample is ever put in them.
const (
	queueAlerts        = "alerts"
	queueReads         = "reads"
	queueWebhookAlerts = "webhook_alerts"
	queueWebhookReads  = "webhook_reads"
)

// Outlets are the ways out of events and alerts: their queues in the
// outbox file and what drains them, the tenant's broker (Publisher) and/or
// webhook (Poster).
type Outlets struct {
	Dests     []Destination
	Publisher *uplink.Publisher // nil when events.mqtt is false
	Poster    *uplink.Poster    // nil without events.webhook.url
	queues    []*uplink.Outbox
}

// Wanted reports whether cfg sends anything: read events, or alerts of a
// hotlist.
func Wanted(cfg *config.Conf) bool { return cfg.Events.Enabled || cfg.Hotlist.File != "" }

// OpenOutlets opens the queues of cfg's destinations in ob's file and
// builds their senders; nothing runs until their Run. Close closes the
// queues.
func OpenOutlets(cfg config.Events, ob *uplink.Outbox, log *slog.Logger, reg prometheus.Registerer) (_ *Outlets, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Outlets{}
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	caps := uplink.OutboxOptions{MaxEntries: cfg.MaxEntries, MaxBytes: int64(cfg.MaxBytes), TTL: cfg.TTL, MaxAttempts: cfg.MaxAttempts}
	open := func(alerts, reads string) (Destination, error) {
		a, err := ob.Queue(alerts, caps)
		if err != nil {
			return Destination{}, err
		}
		o.queues = append(o.queues, a)
		r, err := ob.Queue(reads, caps)
		if err != nil {
			return Destination{}, err
		}
		o.queues = append(o.queues, r)
		d := Destination{Alerts: a, Reads: r}
		o.Dests = append(o.Dests, d)
		return d, nil
	}
	if cfg.MQTT {
		d, err := open(queueAlerts, queueReads)
		if err != nil {
			return nil, err
		}
		o.Publisher, err = uplink.NewPublisher(uplink.Spec{
			Section: "events", Link: cfg.MQTTLink, Metrics: "edge_events",
			Routes: []uplink.Route{{Queue: d.Alerts, Topic: cfg.AlertTopic, Key: "events.alert_topic"},
				{Queue: d.Reads, Topic: cfg.Topic, Key: "events.topic"}},
		}, log.With("component", "events-mqtt"), reg)
		if err != nil {
			return nil, err
		}
	}
	if cfg.Webhook.URL != "" {
		d, err := open(queueWebhookAlerts, queueWebhookReads)
		if err != nil {
			return nil, err
		}
		o.Poster, err = uplink.NewPoster(cfg.Webhook, cfg.BackoffMin, cfg.BackoffMax, []*uplink.Outbox{d.Alerts, d.Reads},
			"edge_events_webhook", log.With("component", "events-webhook"), reg)
		if err != nil {
			return nil, err
		}
	}
	if len(o.Dests) == 0 {
		return nil, errors.New("'events.mqtt' is false and 'events.webhook.url' is empty: events and alerts would go nowhere")
	}
	return o, nil
}

// Depth is the number of messages queued in every destination.
func (o *Outlets) Depth() int64 {
	var n int64
	for _, q := range o.queues {
		if s, err := q.Stats(); err == nil {
			n += s.Depth
		}
	}
	return n
}

// Close closes the queues.
func (o *Outlets) Close() {
	for _, q := range o.queues {
		_ = q.Close()
	}
	o.queues = nil
}
