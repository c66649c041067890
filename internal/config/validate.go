package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type fieldError struct {
	path string
	msg  string
}

// validate checks the bounds and enums of every field, then the rules that
// tie fields together.
func validate(v reflect.Value, path string) []fieldError {
	errs := checkBounds(v, path)
	c := v.Addr().Interface().(*Conf)
	return append(errs, c.checkRules()...)
}

func checkBounds(v reflect.Value, path string) []fieldError {
	var errs []fieldError
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		fv := v.Field(i)
		p := join(path, yamlKey(f))
		if isInline(f) {
			p = path
		}
		switch fv.Kind() {
		case reflect.Struct:
			errs = append(errs, checkBounds(fv, p)...)
			continue
		case reflect.Slice:
			for j := 0; j < fv.Len(); j++ {
				errs = append(errs, checkBounds(fv.Index(j), fmt.Sprintf("%s[%d]", p, j))...)
			}
			continue
		}
		if enum := f.Tag.Get("enum"); enum != "" {
			allowed := strings.Split(enum, "|")
			if !contains(allowed, fv.String()) {
				errs = append(errs, fieldError{p, fmt.Sprintf("'%s' must be one of %s; got %q", p, strings.Join(allowed, ", "), fv.String())})
			}
		}
		lo, hi := f.Tag.Get("min"), f.Tag.Get("max")
		if lo == "" && hi == "" {
			continue
		}
		if (lo != "" && below(fv, lo)) || (hi != "" && below(bound(fv, hi), fv.Interface())) {
			errs = append(errs, fieldError{p, fmt.Sprintf("'%s' must be between %s and %s, got %s", p, lo, hi, FormatValue(fv))})
		}
	}
	return errs
}

// bound parses a min/max tag as a value of v's type.
func bound(v reflect.Value, tag string) reflect.Value {
	b := reflect.New(v.Type()).Elem()
	if err := setScalar(b, tag); err != nil {
		panic(fmt.Sprintf("config: bad bound %q: %v", tag, err))
	}
	return b
}

// below reports whether v < the bound tag (or, when tag is a value, v < tag).
func below(v reflect.Value, tag any) bool {
	var b reflect.Value
	switch t := tag.(type) {
	case string:
		b = bound(v, t)
	default:
		b = reflect.ValueOf(t)
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		return v.Int() < b.Int()
	case reflect.Float64:
		return v.Float() < b.Float()
	}
	return false
}

// FormatValue writes a config value the way a user would write it in YAML.
func FormatValue(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return shortDuration(time.Duration(v.Int()))
	case v.Type() == byteSizeType:
		return ByteSize(v.Int()).String()
	case v.Kind() == reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case v.Kind() == reflect.String:
		return strconv.Quote(v.String())
	}
	return fmt.Sprint(v.Interface())
}

func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var cameraName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// checkRules checks what single-field bounds cannot express.
func (c *Conf) checkRules() []fieldError {
	var errs []fieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, fieldError{path, fmt.Sprintf("'%s' "+format, append([]any{path}, args...)...)})
	}
	seen := map[string]bool{}
	for i, cam := range c.Cameras {
		p := fmt.Sprintf("cameras[%d]", i)
		switch {
		case !cameraName.MatchString(cam.Name):
			add(p+".name", "must be 1 to 32 letters, digits, '-' or '_', got %q", cam.Name)
		case seen[cam.Name]:
			add(p+".name", "repeats camera name %q", cam.Name)
		}
		seen[cam.Name] = true
		if strings.TrimSpace(cam.Source) == "" {
			add(p+".source", "must name a device, URL or video file")
		}
	}
	if err := CheckGPSSource(c.GPS.Source); err != nil {
		add("gps.source", "%v", err)
	}
	if c.Store.Path == "" {
		add("store.path", "must not be empty")
	}
	if c.Metrics.Listen != "" {
		host, _, err := net.SplitHostPort(c.Metrics.Listen)
		switch {
		case err != nil:
			add("metrics.listen", "must be host:port or empty, got %q", c.Metrics.Listen)
		case IsLoopback(host):
		case c.Metrics.Pprof:
			add("metrics.pprof", "is served on a loopback 'metrics.listen' only, and that is %q", c.Metrics.Listen)
		case !c.Metrics.AllowRemote:
			add("metrics.listen", "is %q, not a loopback address: set 'metrics.allow_remote: true' to serve metrics and health there", c.Metrics.Listen)
		}
	}
	c.Uplink.MQTTLink.check("uplink", add)
	checkTopic("uplink.topic", c.Uplink.Topic, add)
	c.checkSampleTopic(add)
	c.Events.MQTTLink.check("events", add)
	checkTopic("events.topic", c.Events.Topic, add)
	checkTopic("events.alert_topic", c.Events.AlertTopic, add)
	if c.Events.Topic == c.Events.AlertTopic {
		add("events.alert_topic", "must differ from 'events.topic' (%q): alerts and reads are told apart by topic", c.Events.Topic)
	}
	if w := c.Events.Webhook.URL; w != "" {
		if wu, err := url.Parse(w); err != nil || wu.Scheme != "https" || wu.Host == "" {
			add("events.webhook.url", "must be an https:// URL or empty, got %q", w)
		} else if wu.User != nil {
			add("events.webhook.url", "must not hold credentials; put a token in 'events.webhook.token_file'")
		}
	}
	if !c.Events.MQTT && c.Events.Webhook.URL == "" && (c.Events.Enabled || c.Hotlist.File != "") {
		add("events.mqtt", "is false and 'events.webhook.url' is empty: events and alerts would go nowhere")
	}
	if c.API.Listen != "" {
		host, _, err := net.SplitHostPort(c.API.Listen)
		switch {
		case err != nil:
			add("api.listen", "must be host:port or empty, got %q", c.API.Listen)
		case c.API.TokenFile == "" && !IsLoopback(host):
			add("api.listen", "is %q, not a loopback address: set 'api.token_file' so that requests need a token", c.API.Listen)
		}
	}
	if c.Improvement.QueuePath == "" {
		add("improvement.queue_path", "must not be empty")
	}
	if c.Uplink.OutboxPath == "" {
		add("uplink.outbox_path", "must not be empty")
	}
	return errs
}

// check checks a broker link; section names its keys.
func (l MQTTLink) check(section string, add func(path, format string, args ...any)) {
	if bu, err := url.Parse(l.Broker); err != nil || (bu.Scheme != "tcp" && bu.Scheme != "ssl") || bu.Port() == "" {
		add(section+".broker", "must be tcp://host:port or ssl://host:port, got %q", l.Broker)
	}
	if err := l.CheckPlaintext(section); err != nil {
		add(section+".broker", "%v", err)
	}
	if (l.CertFile == "") != (l.KeyFile == "") {
		add(section+".cert_file", "and '%s.key_file' must be set together", section)
	}
	if l.BackoffMin > l.BackoffMax {
		add(section+".backoff_min", "must not exceed '%s.backoff_max' (%s)", section, shortDuration(l.BackoffMax))
	}
}

// MinIdentifierLen is the shortest identifier searched for in what leaves
// the vehicle (sanitize.MinIdentifierLen is this one). Shorter ids occur by
// chance in any timestamp, hex id or base64 image.
const MinIdentifierLen = 4

// templateChars would make a topic a template that some broker, bridge or
// later code fills in, maybe with an identifier.
const templateChars = "{}%$<>"

// checkSampleTopic refuses a samples' topic that is a template or holds an
// identifier of the tenant, the device, the vehicle or a camera: samples
// carry none, and their topic goes to the broker with each of them.
func (c *Conf) checkSampleTopic(add func(path, format string, args ...any)) {
	topic := c.Uplink.Topic
	if strings.ContainsAny(topic, templateChars) {
		add("uplink.topic", "must not be a template (%s), got %q", templateChars, topic)
	}
	ids := c.Identifiers()
	for _, key := range slices.Sorted(maps.Keys(ids)) {
		id := ids[key]
		if len(id) >= MinIdentifierLen && strings.Contains(strings.ToLower(topic), strings.ToLower(id)) {
			add("uplink.topic", "must not contain '%s' (%q): samples carry no identifier, nor does their topic", key, id)
		}
	}
}

// Identifiers are the names that must never leave the vehicle with a
// sample, by the key that sets them: the tenant, device and vehicle ids and
// each camera's name.
func (c *Conf) Identifiers() map[string]string {
	ids := map[string]string{
		"identity.tenant_id":  c.Identity.TenantID,
		"identity.device_id":  c.Identity.DeviceID,
		"identity.vehicle_id": c.Identity.VehicleID,
	}
	for i, cam := range c.Cameras {
		ids[fmt.Sprintf("cameras[%d].name", i)] = cam.Name
	}
	return ids
}

// CheckPlaintext refuses a tcp:// broker on another machine unless
// 'SECTION.allow_plaintext' is true: its credentials and payloads would
// cross the network in clear. The error follows the key's quoted name.
func (l MQTTLink) CheckPlaintext(section string) error {
	bu, err := url.Parse(l.Broker)
	if err != nil || bu.Scheme != "tcp" || l.AllowPlaintext || IsLoopback(bu.Hostname()) {
		return nil
	}
	return fmt.Errorf("is %q, unencrypted to another machine: use ssl:// or set '%s.allow_plaintext: true'", l.Broker, section)
}

func checkTopic(path, topic string, add func(path, format string, args ...any)) {
	if topic == "" || strings.ContainsAny(topic, "+#") {
		add(path, "must be a topic without wildcards, got %q", topic)
	}
}

// IsLoopback reports whether host (a name or an address, without port) is
// a loopback address: localhost, 127.0.0.0/8 or ::1. An empty host (all
// interfaces) is not.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckGPSSource checks the syntax of gps.source: gpsd://host:port,
// nmea:PATH, static:LAT,LON or none.
func CheckGPSSource(s string) error {
	switch {
	case s == "none":
		return nil
	case strings.HasPrefix(s, "gpsd://"):
		if _, _, err := net.SplitHostPort(strings.TrimPrefix(s, "gpsd://")); err != nil {
			return fmt.Errorf("must be gpsd://host:port, got %q", s)
		}
		return nil
	case strings.HasPrefix(s, "nmea:"):
		if strings.TrimPrefix(s, "nmea:") == "" {
			return fmt.Errorf("must be nmea:PATH with a device or file path, got %q", s)
		}
		return nil
	case strings.HasPrefix(s, "static:"):
		_, _, err := ParseStatic(s)
		return err
	}
	return fmt.Errorf("must be gpsd://host:port, nmea:PATH, static:LAT,LON or none, got %q", s)
}

// ParseStatic parses "static:LAT,LON" in decimal degrees.
func ParseStatic(s string) (lat, lon float64, err error) {
	latS, lonS, ok := strings.Cut(strings.TrimPrefix(s, "static:"), ",")
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(lonS), 64)
	if !ok || err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return 0, 0, fmt.Errorf("must be static:LAT,LON in degrees (-90..90, -180..180), got %q", s)
	}
	return lat, lon, nil
}
