package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edge-agent/edge-agent/internal/brokertest"
)

// TestSecretsNeverShown runs the daemon at debug level with a secret in
// every place one can be configured: a camera URL with user:password and a
// query token, a camera URL that fails to parse with a password in it, the
// broker password (credentials_file, a real Mosquitto that requires it),
// the webhook's URL key and token file, and the API token; then runs
// validate-config on files and --set overrides that quote secrets back in
// their errors. No secret may appear in any output: the log (every line,
// also what OpenCV and FFmpeg write to stderr), /healthz, /metrics, the
// API, and validate-config's output.
func TestSecretsNeverShown(t *testing.T) {
	needIntegration(t)
	secret := func(what string) string { return randomID(what + "Secret") }
	var (
		camPass, camToken, badPass = secret("cam"), secret("camtoken"), secret("bad")
		brokerPass, hookKey        = secret("broker"), secret("hookkey")
		hookToken, apiToken        = secret("hooktoken"), secret("apitoken")
	)
	b := brokertest.Start(t, brokertest.Options{Users: map[string]string{"edge": brokerPass}})
	s, _ := newLoopingSetup(t, short(t)) // one camera that works, for reads and events
	writeSecret := func(name, body string) string {
		p := filepath.Join(s.Dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	creds := writeSecret("broker-creds", "edge\n"+brokerPass+"\n")
	off := s.Conf.Cameras[0]
	off.Loop = false
	offline, unparsable := off, off
	offline.Name, offline.Source = randomID("cam"),
		fmt.Sprintf("rtsp://admin:%s@127.0.0.1:%d/stream1?channel=1&token=%s", camPass, brokertest.FreePort(t), camToken)
	unparsable.Name, unparsable.Source = randomID("cam"), fmt.Sprintf("rtsp://admin:%s%%zz@127.0.0.1:%d/x", badPass, brokertest.FreePort(t))
	s.Conf.Cameras = append(s.Conf.Cameras, offline, unparsable)
	s.Conf.Log.Level = "debug"
	s.optIn(b.URL())
	s.Conf.Uplink.CredentialsFile = creds
	e := &s.Conf.Events
	e.Enabled, e.Broker, e.CredentialsFile = true, b.URL(), creds
	e.BackoffMin, e.BackoffMax = 50*time.Millisecond, time.Second
	e.Webhook.URL = fmt.Sprintf("https://127.0.0.1:%d/hook?key=%s", brokertest.FreePort(t), hookKey)
	e.Webhook.TokenFile = writeSecret("hook-token", hookToken+"\n")
	s.Conf.API.TokenFile = writeSecret("api-token", apiToken+"\n")
	s.write()
	secrets := []string{camPass, camToken, badPass, brokerPass, hookKey, hookToken, apiToken}

	p := startAgent(t, "run", "--config", s.CfgPath)
	p.waitStored(1, 3*time.Minute)
	p.waitFor("a connection to the broker and a failed webhook POST", 2*time.Minute, func(ls []logLine) bool {
		var connected, posted bool
		for _, l := range ls {
			connected = connected || l.msg() == "connected to broker"
			posted = posted || l.msg() == "webhook interrupted; will retry"
		}
		return connected && posted
	})
	var healthz string
	eventually(t, "/healthz naming both offline cameras", 2*time.Minute, func() bool {
		_, body, err := health(s)
		healthz = body
		return err == nil && strings.Contains(body, offline.Name) && strings.Contains(body, unparsable.Name)
	})
	var out strings.Builder
	out.WriteString(healthz)
	out.WriteString(scrape(t, s))
	for _, path := range []string{"/api/v1/status", "/api/v1/cameras", "/api/v1/reads"} {
		out.WriteString(apiGet(t, "http://"+s.Conf.API.Listen+path, apiToken))
	}
	p.stop()
	out.WriteString(p.logText())
	out.WriteString(p.stdout.String())
	if !strings.Contains(healthz, "rtsp://admin:xxxxx@") {
		t.Errorf("/healthz does not show the offline camera's URL redacted: %s", healthz)
	}

	// validate-config quotes bad values back: a broker URL with a
	// password, a webhook URL with a token, --set overrides holding both.
	cfgPass, cfgToken, setPass := secret("cfg"), secret("cfgtoken"), secret("set")
	secrets = append(secrets, cfgPass, cfgToken, setPass)
	bad := writeSecret("bad.yaml", fmt.Sprintf("uplink:\n  broker: mqtt://edge:%s@broker.example\nevents:\n  webhook:\n    url: http://hooks.example/x?token=%s\ncameras:\n  - name: a\n    source: rtsp://u:%s@cam:554/1\n    fps: -1\n",
		cfgPass, cfgToken, cfgPass))
	cmd := exec.Command(edgeAgent(t), "validate-config", bad,
		"--set", "events.broker=ftp://edge:"+setPass+"@broker.example:21", "--set", "gps.source=gpsd://u:"+setPass+"@h")
	vout, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(vout), "'uplink.broker'") || !strings.Contains(string(vout), "'events.broker'") {
		t.Errorf("validate-config of a bad file: %v\n%s", err, vout)
	}
	out.Write(vout)
	checkNoSecrets(t, "the agent's log, /healthz, /metrics, the API and validate-config", []byte(out.String()), secrets)
}

// apiGet GETs url with a bearer token and returns the body.
func apiGet(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
