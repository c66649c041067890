// Package config holds the agent's configuration: its schema, defaults and
// bounds (as struct tags), a strict YAML loader that names the key the user
// wrote, and per-camera overrides of global settings.
//
// Struct tags used by the loader:
//
//	yaml:"key"        the key as written in the YAML file
//	default:"v"       the value when the key is absent
//	min:"v" max:"v"   inclusive bounds (numbers, durations, byte sizes)
//	enum:"a|b"        the allowed values of a string
//	help:"…"          the one-line comment written above the key in configs/edge-agent.yaml
//	yaml:",inline"    on a struct field: its keys are the parent's (sections that share them)
//	retired:"why"     a key that no longer does anything: accepted so that an
//	                  older file still loads, left out of configs/edge-agent.yaml,
//	                  and named with the reason by Retired
package config

import "time"

// Conf is the whole configuration file.
type Conf struct {
	Identity    Identity    `yaml:"identity"`
	Log         Log         `yaml:"log"`
	Cameras     []Camera    `yaml:"cameras" help:"cameras to read; each may override motion and alpr settings"`
	Motion      Motion      `yaml:"motion"`
	ALPR        ALPR        `yaml:"alpr"`
	GPS         GPS         `yaml:"gps"`
	Store       Store       `yaml:"store"`
	Metrics     Metrics     `yaml:"metrics"`
	Improvement Improvement `yaml:"improvement"`
	Uplink      Uplink      `yaml:"uplink"`
	Events      Events      `yaml:"events"`
	Hotlist     Hotlist     `yaml:"hotlist"`
	API         API         `yaml:"api"`
}

// Identity names the tenant and device. Neither ever leaves the vehicle in
// an improvement sample.
type Identity struct {
	TenantID string `yaml:"tenant_id" default:"" help:"tenant (customer) id; used locally only"`
	DeviceID string `yaml:"device_id" default:"" help:"this gateway's id; used locally only, never sent"`
	// VehicleID is checked for like the other two: no sample, sample
	// topic, client id, username or certificate subject may hold it.
	VehicleID string `yaml:"vehicle_id" default:"" help:"this vehicle's name or registration; used locally only, never sent"`
}

// Log sets up logging.
type Log struct {
	Level  string `yaml:"level" default:"info" enum:"debug|info|warn|error" help:"log level; plate text and positions appear only at debug"`
	Format string `yaml:"format" default:"text" enum:"text|json" help:"log line format"`
}

// Camera is one video source.
type Camera struct {
	Name   string `yaml:"name" default:"" help:"camera name, unique, used in metrics and read records"`
	Source string `yaml:"source" default:"" help:"/dev/videoN, a device index, rtsp://…, http://… or a video file path"`
	// Loop restarts a video file from the beginning when it ends.
	Loop         bool          `yaml:"loop" default:"false" help:"restart a video file when it ends (files only)"`
	FPS          float64       `yaml:"fps" default:"0" min:"0" max:"120" help:"frames per second to analyse at most; 0 analyses every frame"`
	StallTimeout time.Duration `yaml:"stall_timeout" default:"10s" min:"1s" max:"10m" help:"reopen the camera when no frame came for this long"`
	// Queue is short by default: each frame waiting is a full frame (6.2 MB
	// at 1080p), and two waiting keep both analysis workers busy, as the
	// reader and the motion gate hold one more each.
	Queue  int        `yaml:"queue" default:"2" min:"1" max:"64" help:"frames waiting for analysis; when full, new frames are dropped and counted"`
	Motion Motion     `yaml:"motion" inherit:"motion" help:"overrides the global motion settings for this camera"`
	ALPR   CameraALPR `yaml:"alpr" inherit:"alpr" help:"overrides the global alpr settings for this camera"`
}

// Motion gates the ALPR engine on change in the picture.
type Motion struct {
	Enabled   bool          `yaml:"enabled" default:"true" help:"analyse only frames that differ from the recent scene"`
	Width     int           `yaml:"width" default:"160" min:"32" max:"640" help:"width in px of the downscaled frame that is compared"`
	Threshold int           `yaml:"threshold" default:"25" min:"1" max:"255" help:"pixel difference (0-255) that counts as change"`
	MinArea   float64       `yaml:"min_area" default:"0.002" min:"0" max:"1" help:"share of the frame that must change to count as motion"`
	Hold      time.Duration `yaml:"hold" default:"2s" min:"0s" max:"1m" help:"keep analysing this long after the last motion"`
}

// ALPR configures the plate engine.
type ALPR struct {
	ModelsDir         string        `yaml:"models_dir" default:"models" help:"folder with the plate detector and reader networks (make models)"`
	Region            string        `yaml:"region" default:"us" enum:"us|eu|br" help:"plate format pack used to correct the reads"`
	MinConfidence     float64       `yaml:"min_confidence" default:"0.8" min:"0" max:"1" help:"reads below this confidence are discarded, and vehicle passes whose voted plate is below it (plates read right score 0.9 or more, signs and misreads less)"`
	MinChars          int           `yaml:"min_chars" default:"4" min:"1" max:"10" help:"reads with fewer characters are discarded"`
	SearchRate        float64       `yaml:"search_rate" default:"10" min:"0" max:"120" help:"frames per second per camera searched for plates; the others only advance the tracker; 0 searches every frame"`
	DetectWidth       int           `yaml:"detect_width" default:"960" min:"320" max:"1920" help:"plate detector input: each frame is seen scaled down so that its longer side is at most this (a 1080p frame at half size); larger finds smaller plates, at a cost that grows with its square"`
	WideLook          bool          `yaml:"wide_look" default:"false" retired:"the plate detector sees every searched frame whole; the key is ignored" help:"retired"`
	Workers           int           `yaml:"workers" default:"2" min:"1" max:"16" help:"frames analysed in parallel (they share the plate networks, one call at a time each)"`
	Networks          int           `yaml:"networks" default:"1" min:"1" max:"16" retired:"the workers share one set of plate networks; the key is ignored" help:"retired"`
	RequireLayout     bool          `yaml:"require_layout" default:"true" help:"a box the detector is not sure of is a plate only when its text fits a plate layout of the region; false also reads such boxes as vanity and foreign plates, and more signs"`
	MinFrames         int           `yaml:"min_frames" default:"2" min:"1" max:"100" help:"a vehicle pass is stored only when its plate was read in this many searched frames"`
	MinCharConfidence float64       `yaml:"min_char_confidence" default:"0.5" min:"0" max:"1" help:"a vehicle pass is stored only when each character of its voted plate has at least this confidence (low where the frames disagree on a character: a far plate read in part, a sign)"`
	TrackTimeout      time.Duration `yaml:"track_timeout" default:"1500ms" min:"100ms" max:"1m" help:"a vehicle pass ends when its plate is unseen this long"`
	TopN              int           `yaml:"top_n" default:"5" min:"1" max:"20" help:"candidate readings kept per plate"`
}

// CameraALPR is the part of ALPR a camera may override.
type CameraALPR struct {
	Region        string  `yaml:"region" default:"us" enum:"us|eu|br" help:"plate format pack for this camera"`
	MinConfidence float64 `yaml:"min_confidence" default:"0.8" min:"0" max:"1" help:"minimum confidence for this camera"`
}

// GPS selects the position source.
type GPS struct {
	Source string        `yaml:"source" default:"none" help:"gpsd://host:port, nmea:PATH, static:LAT,LON or none"`
	MaxAge time.Duration `yaml:"max_age" default:"5s" min:"100ms" max:"10m" help:"a fix older than this at capture time is not attached to a read"`
}

// Store keeps read records.
type Store struct {
	Path          string        `yaml:"path" default:"data/edge-agent.db" help:"SQLite file with the read records (created with mode 0600)"`
	Retention     time.Duration `yaml:"retention" default:"720h" min:"1h" max:"87600h" help:"reads older than this are deleted"`
	MaxBytes      ByteSize      `yaml:"max_bytes" default:"1GiB" min:"1MiB" max:"1TiB" help:"the database is kept below this size, oldest reads first"`
	MinFreeBytes  ByteSize      `yaml:"min_free_bytes" default:"256MiB" min:"0B" max:"1TiB" help:"oldest reads are deleted while the disk has less free space than this"`
	SaveFullFrame bool          `yaml:"save_full_frame" default:"false" help:"also keep the full frame of each read (large)"`
	CropQuality   int           `yaml:"crop_quality" default:"90" min:"10" max:"100" help:"JPEG quality of stored crops"`
}

// Metrics serves Prometheus metrics and health.
type Metrics struct {
	Listen string `yaml:"listen" default:"127.0.0.1:9810" help:"address for /metrics and /healthz; empty disables"`
	Pprof  bool   `yaml:"pprof" default:"false" help:"serve /debug/pprof on the same address; only when it is a loopback address"`
	// AllowRemote: /metrics and /healthz carry no plate, position or
	// secret, but they tell an attacker on the network what the device is
	// and does; opening them is a decision to write down.
	AllowRemote bool `yaml:"allow_remote" default:"false" help:"allow a listen address other than loopback (metrics and health only; pprof is never served there)"`
}

// Improvement configures the opt-in improvement programme.
type Improvement struct {
	Enabled          bool          `yaml:"enabled" default:"false" help:"the tenant has opted in; false: no samples are made or sent"`
	MaxWidth         int           `yaml:"max_width" default:"320" min:"16" max:"1024" help:"sample crops are scaled down to at most this width in px"`
	Margin           float64       `yaml:"margin" default:"0.1" min:"0" max:"0.1" help:"margin around the plate box, as a share of its size"`
	TimeBucket       time.Duration `yaml:"time_bucket" default:"1h" min:"15m" max:"24h" help:"capture times are floored to this bucket"`
	GeohashPrecision int           `yaml:"geohash_precision" default:"4" min:"1" max:"5" help:"positions are generalised to a geohash of this many characters"`
	IncludeRead      bool          `yaml:"include_read" default:"false" help:"add the engine's text, confidence and region to each sample"`
	ReleaseJitter    time.Duration `yaml:"release_jitter" default:"10m" min:"0s" max:"24h" help:"random delay after a bucket closes before its samples are released"`
	MinPerCell       int           `yaml:"min_per_cell" default:"3" min:"1" max:"1000" help:"samples a (geohash cell, bucket) must hold before any is released"`
	BelowThreshold   string        `yaml:"below_threshold" default:"generalize" enum:"generalize|drop" help:"what to do with a cell under min_per_cell"`
	MaxPerPlate      int           `yaml:"max_per_plate" default:"1" min:"1" max:"100" help:"samples of one plate per bucket at most"`
	SaltRotation     time.Duration `yaml:"salt_rotation" default:"24h" min:"1h" max:"720h" help:"how often the local salt of the plate hash is replaced"`
	SampleRate       float64       `yaml:"sample_rate" default:"1" min:"0" max:"1" help:"share of eligible reads turned into samples"`
	DailyCap         int           `yaml:"daily_cap" default:"1000" min:"0" max:"1000000" help:"samples made per day at most"`
	QueuePath        string        `yaml:"queue_path" default:"data/improvement.db" help:"SQLite file holding samples until release"`
	AuditPath        string        `yaml:"audit_path" default:"data/improvement-audit.log" help:"local log of consent changes and purges"`
}

// Uplink sends released samples over MQTT.
type Uplink struct {
	Enabled    bool   `yaml:"enabled" default:"false" help:"send samples to the broker"`
	Topic      string `yaml:"topic" default:"alpr/improvement/samples" help:"topic samples are published to"`
	OutboxPath string `yaml:"outbox_path" default:"data/outbox.db" help:"SQLite file of the persistent outbox (samples, and read events and alerts in queues of their own)"`
	MQTTLink   `yaml:",inline"`
	QueueCaps  `yaml:",inline"`
}

// MQTTLink is how one publisher reaches its broker: the uplink's for
// samples, the events' for the tenant's read events and alerts.
type MQTTLink struct {
	Broker           string        `yaml:"broker" default:"tcp://127.0.0.1:1883" help:"broker URL, tcp://host:port or ssl://host:port"`
	AllowPlaintext   bool          `yaml:"allow_plaintext" default:"false" help:"allow a tcp:// (unencrypted) broker on another machine: credentials and payloads then cross the network in clear; a loopback broker needs no such leave"`
	CredentialsFile  string        `yaml:"credentials_file" default:"" help:"file with username on the first line and password on the second"`
	CAFile           string        `yaml:"ca_file" default:"" help:"PEM CA that the broker certificate must chain to (pinned)"`
	CertFile         string        `yaml:"cert_file" default:"" help:"PEM client certificate for mutual TLS"`
	KeyFile          string        `yaml:"key_file" default:"" help:"PEM key of the client certificate"`
	BandwidthLimit   ByteSize      `yaml:"bandwidth_limit" default:"0B" min:"0B" max:"1GiB" help:"bytes per second at most; 0 is unlimited"`
	RequireInterface string        `yaml:"require_interface" default:"" help:"send only while this network interface is up (e.g. wlan0); empty: always"`
	ConnectTimeout   time.Duration `yaml:"connect_timeout" default:"10s" min:"1s" max:"5m" help:"time allowed for one connection attempt"`
	AckTimeout       time.Duration `yaml:"ack_timeout" default:"30s" min:"1s" max:"10m" help:"time allowed for a PUBACK"`
	KeepAlive        time.Duration `yaml:"keep_alive" default:"30s" min:"5s" max:"10m" help:"MQTT keep-alive interval"`
	BackoffMin       time.Duration `yaml:"backoff_min" default:"1s" min:"10ms" max:"1m" help:"first reconnect delay"`
	BackoffMax       time.Duration `yaml:"backoff_max" default:"2m" min:"100ms" max:"1h" help:"longest reconnect delay"`
}

// QueueCaps bound one queue of the outbox.
type QueueCaps struct {
	MaxEntries  int           `yaml:"max_entries" default:"100000" min:"1" max:"10000000" help:"queued entries at most; the oldest are dropped and counted"`
	MaxBytes    ByteSize      `yaml:"max_bytes" default:"256MiB" min:"1KiB" max:"1TiB" help:"queued payload bytes at most; the oldest are dropped and counted"`
	TTL         time.Duration `yaml:"ttl" default:"720h" min:"1m" max:"8760h" help:"entries older than this expire unsent, counted"`
	MaxAttempts int           `yaml:"max_attempts" default:"10" min:"1" max:"1000" help:"publish attempts before an entry is quarantined"`
}

// Events sends the tenant's own operational data, each stored read and
// each hotlist alert, to the tenant's systems. It is separate from the
// improvement programme: nothing of it is a sample, and nothing of it passes
// the samples' consent gate or rides on their queue.
type Events struct {
	Enabled     bool   `yaml:"enabled" default:"false" help:"send an event for each stored read to the tenant's broker and/or webhook (hotlist alerts are sent even when false)"`
	Topic       string `yaml:"topic" default:"edge-agent/reads" help:"topic read events are published to"`
	AlertTopic  string `yaml:"alert_topic" default:"edge-agent/alerts" help:"topic hotlist alerts are published to (QoS 1, sent ahead of read events)"`
	IncludeCrop bool   `yaml:"include_crop" default:"false" help:"add the plate crop (base64 JPEG) to each read event and alert"`
	MQTT        bool   `yaml:"mqtt" default:"true" help:"send events and alerts to events.broker; false: only to events.webhook.url"`
	MQTTLink    `yaml:",inline"`
	QueueCaps   `yaml:",inline"`
	Webhook     Webhook `yaml:"webhook"`
}

// Webhook POSTs each event and alert as JSON to an HTTPS URL.
type Webhook struct {
	URL       string        `yaml:"url" default:"" help:"https:// URL each read event and alert is POSTed to as JSON; empty: none"`
	TokenFile string        `yaml:"token_file" default:"" help:"file holding a bearer token sent in the Authorization header; empty: none"`
	CAFile    string        `yaml:"ca_file" default:"" help:"PEM CA that the server certificate must chain to (pinned); empty: the system roots"`
	Timeout   time.Duration `yaml:"timeout" default:"10s" min:"1s" max:"5m" help:"time allowed for one POST, answer included; its queues share the caps of events"`
}

// Hotlist raises an alert when a read matches a listed plate.
type Hotlist struct {
	File          string        `yaml:"file" default:"" help:"CSV of plates to alert on: plate,label,priority (header optional, # starts a comment); empty: no hotlist"`
	MaxEdits      int           `yaml:"max_edits" default:"1" min:"0" max:"2" help:"characters a read may differ by (substituted, missing or extra) and still match; look-alikes O/0 I/1 B/8 S/5 Z/2 are free"`
	CheckInterval time.Duration `yaml:"check_interval" default:"2s" min:"100ms" max:"1h" help:"how often the file is checked for changes (SIGHUP reloads it at once)"`
}

// API serves the local HTTP API and the installer view.
type API struct {
	Listen    string `yaml:"listen" default:"127.0.0.1:9811" help:"address of the local API and installer view; empty disables; any address but loopback needs token_file"`
	TokenFile string `yaml:"token_file" default:"" help:"file holding the bearer token every request must carry; empty: none (loopback only)"`
}
