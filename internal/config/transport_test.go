package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTransportConfErrors: what leaves the vehicle, and how, is checked at
// validation: the samples' topic holds no template and no identifier; a
// broker on another machine needs TLS or an explicit leave; metrics on an
// open address need an explicit leave, and pprof never goes there.
func TestTransportConfErrors(t *testing.T) {
	const ids = "identity:\n  tenant_id: acme-fleet\n  device_id: gw-0042\n  vehicle_id: VAN-17\ncameras:\n  - name: rear-cam\n    source: x.mp4\n"
	for _, tc := range []struct {
		name string
		body string
		want string // "" : valid
	}{
		{"topic template", "uplink:\n  topic: alpr/{device}/samples\n",
			`agent.yaml:2: 'uplink.topic' must not be a template ({}%$<>), got "alpr/{device}/samples"`},
		{"topic with tenant", ids + "uplink:\n  topic: alpr/ACME-fleet/samples\n",
			`agent.yaml:9: 'uplink.topic' must not contain 'identity.tenant_id' ("acme-fleet"): samples carry no identifier, nor does their topic`},
		{"topic with device", ids + "uplink:\n  topic: samples/gw-0042\n",
			`agent.yaml:9: 'uplink.topic' must not contain 'identity.device_id' ("gw-0042"): samples carry no identifier, nor does their topic`},
		{"topic with vehicle", ids + "uplink:\n  topic: samples/van-17\n",
			`agent.yaml:9: 'uplink.topic' must not contain 'identity.vehicle_id' ("VAN-17"): samples carry no identifier, nor does their topic`},
		{"topic with camera", ids + "uplink:\n  topic: samples/rear-cam\n",
			`agent.yaml:9: 'uplink.topic' must not contain 'cameras[0].name' ("rear-cam"): samples carry no identifier, nor does their topic`},
		{"plain topic", ids + "uplink:\n  topic: alpr/improvement/samples\n", ""},
		{"remote broker in clear", "uplink:\n  broker: tcp://broker.example:1883\n",
			`agent.yaml:2: 'uplink.broker' is "tcp://broker.example:1883", unencrypted to another machine: use ssl:// or set 'uplink.allow_plaintext: true'`},
		{"events broker in clear", "events:\n  broker: tcp://10.0.0.5:1883\n",
			`agent.yaml:2: 'events.broker' is "tcp://10.0.0.5:1883", unencrypted to another machine: use ssl:// or set 'events.allow_plaintext: true'`},
		{"remote broker in clear, allowed", "uplink:\n  broker: tcp://broker.example:1883\n  allow_plaintext: true\n", ""},
		{"remote broker over TLS", "uplink:\n  broker: ssl://broker.example:8883\n", ""},
		{"loopback broker in clear", "uplink:\n  broker: tcp://localhost:1883\n", ""},
		{"metrics on all interfaces", "metrics:\n  listen: 0.0.0.0:9810\n",
			`agent.yaml:2: 'metrics.listen' is "0.0.0.0:9810", not a loopback address: set 'metrics.allow_remote: true' to serve metrics and health there`},
		{"metrics on all interfaces, allowed", "metrics:\n  listen: 0.0.0.0:9810\n  allow_remote: true\n", ""},
		{"pprof on all interfaces", "metrics:\n  listen: 0.0.0.0:9810\n  allow_remote: true\n  pprof: true\n",
			`agent.yaml:4: 'metrics.pprof' is served on a loopback 'metrics.listen' only, and that is "0.0.0.0:9810"`},
		{"pprof on loopback", "metrics:\n  listen: 127.0.0.1:9810\n  pprof: true\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConf(t, tc.body)
			_, err := Load(p, nil)
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), filepath.Dir(p)+string(filepath.Separator), "")
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
