package transport

import "testing"

// TestSniffHTTP: only a first line ending in HTTP/1.x is HTTP; SIP
// request lines and incomplete lines are not mistaken for it.
func TestSniffHTTP(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"GET /RPC HTTP/1.1\r\nHost: x\r\n\r\n", sniffIsHTTP},
		{"POST /RPC HTTP/1.0\n", sniffIsHTTP},
		{"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n", sniffSIP},
		{"INVITE sip:http@b;x=HTTP/1.1 SIP/2.0\r\n", sniffSIP},
		{"GET /RPC HTTP/1.1", sniffMore},
		{"\r\n\r\n", sniffSIP},
	}
	for _, tc := range tests {
		if got := sniffHTTP([]byte(tc.in)); got != tc.want {
			t.Errorf("sniffHTTP(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
