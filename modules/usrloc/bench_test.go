package usrloc

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

var million = flag.Bool("usrloc.million", false, "fill a table with 1M contacts and report the process RSS")

// filled returns a memory-mode table with n AoRs of one contact each.
func filled(tb testing.TB, n int) (*Table, []string) {
	t := newTable("bench", 10)
	exp := time.Now().Unix() + 3600
	aors := make([]string, n)
	for i := range n {
		aor := "user" + strconv.Itoa(i)
		aors[i] = aor
		t.Update(aor, func(r *Record) error {
			r.Insert(Contact{Address: "sip:" + aor + "@192.0.2.1:5060", CallID: aor + "-callid@192.0.2.1",
				CSeq: 1, Q: QUnset, Expires: exp, UserAgent: "bench/1.0", Socket: "udp:127.0.0.1:5060", Methods: MethodsAll, ConnID: -1})
			return nil
		})
	}
	return t, aors
}

func benchSize() int {
	if *million {
		return 1_000_000
	}
	return 100_000
}

// BenchmarkSave refreshes an existing contact (the common REGISTER).
func BenchmarkSave(b *testing.B) {
	t, aors := filled(b, benchSize())
	exp := time.Now().Unix() + 3600
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		aor := aors[i%len(aors)]
		i++
		t.Update(aor, func(r *Record) error {
			c := r.Contacts[0]
			c.CSeq++
			c.Expires = exp
			r.Update(0, c)
			return nil
		})
	}
}

// BenchmarkLookup reads the first contact of an AoR.
func BenchmarkLookup(b *testing.B) {
	t, aors := filled(b, benchSize())
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	var addr string
	for b.Loop() {
		t.View(aors[i%len(aors)], func(r *Record) {
			if r != nil {
				addr = r.Contacts[0].Address
			}
		})
		i++
	}
	_ = addr
}

// TestMillionContactsRSS fills 1M contacts and reports the resident set
// size (go test ./modules/usrloc -run Million -usrloc.million -v).
func TestMillionContactsRSS(t *testing.T) {
	if !*million {
		t.Skip("run with -usrloc.million")
	}
	before := rss(t)
	tb, _ := filled(t, 1_000_000)
	runtime.GC()
	debug.FreeOSMemory()
	after := rss(t)
	aors, contacts := tb.Count()
	t.Logf("%d AoRs, %d contacts: RSS %d MB (before %d MB)", aors, contacts, after>>20, before>>20)
	if after > 1<<30 {
		t.Errorf("RSS %d MB is above 1 GB", after>>20)
	}
	runtime.KeepAlive(tb)
}

func rss(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
