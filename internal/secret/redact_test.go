package secret

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rtsp://admin:hunter2@10.0.0.7:554/stream1", "rtsp://admin:xxxxx@10.0.0.7:554/stream1"},
		{"rtsp://10.0.0.7:554/live?channel=1&token=abc123", "rtsp://10.0.0.7:554/live?channel=xxxxx&token=xxxxx"},
		{"https://TOKEN123@hooks.example/x", "https://xxxxx@hooks.example/x"},
		// Fails to parse: a '%' that is no escape, a space, an '@' and a
		// '/' in the password, an unclosed IPv6 bracket.
		{"rtsp://admin:p%zzss@cam/1", "rtsp://admin:xxxxx@cam/1"},
		{"rtsp://admin:p@ss/w@cam/1", "rtsp://admin:xxxxx@cam/1"},
		{"rtsp://admin:pass@[::1/x", "rtsp://admin:xxxxx@[::1/x"},
		{`open "rtsp://u:s3cr3t@cam:554/a?auth=zz": 401`, `open "rtsp://u:xxxxx@cam:554/a?auth=xxxxx": 401`},
		{`parse "http://u:pw@h/?k=v": invalid`, `parse "http://u:xxxxx@h/?k=xxxxx": invalid`},
		{"tcp://127.0.0.1:1883", "tcp://127.0.0.1:1883"},
		{"/dev/video0", "/dev/video0"},
		{"reads stored: 3 of 4", "reads stored: 3 of 4"},
		{"a=b&c=d without a URL", "a=b&c=d without a URL"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
