package auth_db

import (
	"testing"

	"github.com/olelo-sip/olelo/db"
)

// fakeWatch is a db.ChangeWatcher whose generation the test sets.
type fakeWatch struct{ gen uint64 }

func (f *fakeWatch) Generation() (uint64, bool) { return f.gen, true }

func TestCredCache(t *testing.T) {
	w := &fakeWatch{gen: 1}
	cc := &credCache{watch: w, max: 2}
	alice := credKey{table: "subscriber", col: "ha1", user: "alice"}
	bob := credKey{table: "subscriber", col: "ha1", user: "bob"}
	carol := credKey{table: "subscriber", col: "ha1", user: "carol"}
	row := db.Row{"h1"}

	cc.put(1, alice, row)
	cc.put(1, bob, nil) // unknown
	steps := []struct {
		name    string
		gen     uint64
		k       credKey
		wantHit bool
		wantRow bool
	}{
		{"kept row", 1, alice, true, true},
		{"kept unknown user", 1, bob, true, false},
		{"never read", 1, carol, false, false},
		{"after a commit", 2, alice, false, false},
	}
	for _, s := range steps {
		r, hit := cc.get(s.gen, s.k)
		if hit != s.wantHit || (r != nil) != s.wantRow {
			t.Errorf("%s: hit %v row %v, want hit %v row %v", s.name, hit, r, s.wantHit, s.wantRow)
		}
	}

	// A row read before a commit the cache has seen is not kept.
	cc.put(3, alice, row)
	cc.put(2, bob, row)
	if _, hit := cc.get(3, bob); hit {
		t.Error("a row read at an older generation was kept")
	}
	// The bound: the third row starts the cache again.
	cc.put(3, bob, row)
	cc.put(3, carol, row)
	if len(cc.rows) > cc.max {
		t.Errorf("%d rows kept, max %d", len(cc.rows), cc.max)
	}
	if _, hit := cc.get(3, carol); !hit {
		t.Error("the row that overflowed the cache was not kept")
	}
}

func TestNewCredCacheOff(t *testing.T) {
	if cc := newCredCache(nil, 10); cc != nil {
		t.Error("a cache for a Conn that cannot report commits")
	}
	var cc *credCache
	if _, ok := cc.generation(); ok {
		t.Error("a nil cache claims a generation")
	}
}
