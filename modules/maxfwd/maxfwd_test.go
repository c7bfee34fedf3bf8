package maxfwd

import (
	"strings"
	"testing"

	"github.com/olelo-sip/olelo/modules/internal/modtest"
)

func withMF(v string) string {
	if v == "" {
		return strings.Replace(modtest.Request, "Max-Forwards: 70\r\n", "", 1)
	}
	return strings.Replace(modtest.Request, "Max-Forwards: 70", "Max-Forwards: "+v, 1)
}

// The values Kamailio 5.6 gives with max_limit=70 and limit 10.
func TestProcess(t *testing.T) {
	tests := []struct {
		in     string
		rc     int
		out    string // Max-Forwards after; "" = unchanged
		lt10   int    // is_maxfwd_lt(10) after
		before int    // is_maxfwd_lt(10) before
	}{
		{"50", 1, "49", -1, -1},
		{"71", 1, "70", -1, -1},
		{"200", 1, "70", -1, -1},
		{"70", 1, "69", -1, -1},
		{"0", -1, "", 1, 1},
		{"", 2, "10", -2, -2},
		{"1", 1, "0", 1, 1},
		{"9", 1, "8", 1, 1},
	}
	for _, tt := range tests {
		c, _, _ := modtest.NewCtx(t, withMF(tt.in))
		m := &Instance{MaxLimit: 70}
		if rc := modtest.Call(t, m, c, "is_maxfwd_lt", "10"); rc != tt.before {
			t.Errorf("%q: is_maxfwd_lt before = %d, want %d", tt.in, rc, tt.before)
		}
		if rc := modtest.Call(t, m, c, "mf_process_maxfwd_header", "10"); rc != tt.rc {
			t.Errorf("%q: rc %d, want %d", tt.in, rc, tt.rc)
		}
		out := modtest.Out(c)
		want := tt.out
		if want == "" {
			want = tt.in
		}
		if n := strings.Count(out, "Max-Forwards: "); n != 1 || !strings.Contains(out, "\r\nMax-Forwards: "+want+"\r\n") {
			t.Errorf("%q: after processing, want Max-Forwards %s:\n%s", tt.in, want, out)
		}
		if rc := modtest.Call(t, m, c, "is_maxfwd_lt", "10"); rc != tt.lt10 {
			t.Errorf("%q: is_maxfwd_lt after = %d, want %d", tt.in, rc, tt.lt10)
		}
		// A second call does not edit the header again.
		modtest.Call(t, m, c, "maxfwd_process", "10")
		if modtest.Out(c) != out {
			t.Errorf("%q: second call changed the message", tt.in)
		}
	}
}

func TestLimits(t *testing.T) {
	m := &Instance{MaxLimit: 70}
	f := modtest.Find(t, m, "mf_process_maxfwd_header", 1)
	for _, v := range []int{256, -1} {
		if _, err := modtest.Args(f, v); err == nil {
			t.Errorf("limit %d accepted", v)
		}
	}
	if err := (&Instance{MaxLimit: 0}).Start(nil, nil); err == nil {
		t.Error("max_limit 0 accepted")
	}
	if err := (&Instance{MaxLimit: 256}).Start(nil, nil); err != nil {
		t.Error(err)
	}
}
