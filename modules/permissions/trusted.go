package permissions

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// trustedEntry is one row of the trusted table, its patterns compiled.
type trustedEntry struct {
	srcIP       string // compared as a string with the source address
	proto       string // lower case: any, udp, tcp, tls, sctp, ws, wss
	fromPattern *regexp.Regexp
	ruriPattern *regexp.Regexp
	fromRaw     string // as in the table, for trustedDump ("" when NULL)
	ruriRaw     string
	tag         string
	hasTag      bool
	priority    int64
}

// trustedRow is a row as read, before checks.
type trustedRow struct {
	at                 string
	srcIP, proto       string
	from, ruri, tag    string
	fromNull, ruriNull bool
	tagNull            bool
	priority           int64
}

// trustedTable is the cached trusted table (db_mode 1): the entries of
// each source address, highest priority first. Replaced as a whole on
// reload, never modified.
type trustedTable struct {
	bySrc map[string][]trustedEntry
	all   []trustedEntry // in load order, for trustedDump
}

var knownProtos = []string{"any", "udp", "tcp", "tls", "sctp", "ws", "wss"}

// newTrustedEntry checks a row and compiles its patterns. A row whose
// proto is "none" is skipped (ok false), as Kamailio skips it.
func newTrustedEntry(r trustedRow) (e trustedEntry, ok bool, err error) {
	proto := strings.ToLower(strings.TrimSpace(r.proto))
	if proto == "none" {
		return trustedEntry{}, false, nil
	}
	if !slices.Contains(knownProtos, proto) {
		return trustedEntry{}, false, fmt.Errorf("%s: unknown proto %q (want any, udp, tcp, tls, sctp, ws, wss or none)", r.at, r.proto)
	}
	if r.srcIP == "" {
		return trustedEntry{}, false, fmt.Errorf("%s: empty src_ip", r.at)
	}
	e = trustedEntry{srcIP: r.srcIP, proto: proto, tag: r.tag, hasTag: !r.tagNull, priority: r.priority}
	if !r.fromNull {
		if e.fromPattern, err = regexp.Compile(r.from); err != nil {
			return trustedEntry{}, false, fmt.Errorf("%s: bad from_pattern %q: %w", r.at, r.from, err)
		}
		e.fromRaw = r.from
	}
	if !r.ruriNull {
		if e.ruriPattern, err = regexp.Compile(r.ruri); err != nil {
			return trustedEntry{}, false, fmt.Errorf("%s: bad ruri_pattern %q: %w", r.at, r.ruri, err)
		}
		e.ruriRaw = r.ruri
	}
	return e, true, nil
}

func newTrustedTable(rows []trustedRow) (*trustedTable, error) {
	t := &trustedTable{bySrc: map[string][]trustedEntry{}}
	for _, r := range rows {
		e, ok, err := newTrustedEntry(r)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		t.bySrc[e.srcIP] = append(t.bySrc[e.srcIP], e)
		t.all = append(t.all, e)
	}
	for _, es := range t.bySrc {
		sortByPriority(es)
	}
	return t, nil
}

func sortByPriority(es []trustedEntry) {
	slices.SortStableFunc(es, func(a, b trustedEntry) int { return cmp.Compare(b.priority, a.priority) })
}

// matches reports whether e admits a request over proto ("any" when the
// caller gave it so) with that From URI and Request-URI.
func (e *trustedEntry) matches(proto, from, ruri string) bool {
	if proto != "any" && e.proto != "any" && e.proto != proto {
		return false
	}
	if e.fromPattern != nil && !e.fromPattern.MatchString(from) {
		return false
	}
	if e.ruriPattern != nil && !e.ruriPattern.MatchString(ruri) {
		return false
	}
	return true
}

// matchTrusted walks the entries of one source address (priority order)
// and calls onMatch for each match; with all false it stops at the
// first. It returns the number of matches.
func matchTrusted(es []trustedEntry, proto, from, ruri string, all bool, onMatch func(*trustedEntry)) int {
	n := 0
	for i := range es {
		if !es[i].matches(proto, from, ruri) {
			continue
		}
		n++
		onMatch(&es[i])
		if !all {
			break
		}
	}
	return n
}
