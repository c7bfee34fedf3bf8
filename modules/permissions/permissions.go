package permissions

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// addrEntry is one row of the address table.
type addrEntry struct {
	id     int64 // the row id, for error messages
	group  int64
	prefix netip.Prefix // the address with its mask (/32 or /128 for an exact entry)
	domain string       // set instead of prefix when ip_addr is not an IP address
	port   uint16       // 0 matches any port
	tag    string
	hasTag bool // tag was not NULL
}

// addrKey indexes exact entries: a group and an address. netip.Addr is
// comparable and hashes without allocating, so a lookup costs one map
// probe and no allocation.
type addrKey struct {
	group int64
	ip    netip.Addr
}

// addressTable is the address table as loaded, split as Kamailio splits
// it: exact addresses in a hash map, subnets in a list sorted by group,
// and names that are not IP addresses (compared as strings, never
// resolved). A loaded table is never modified: a reload builds a new one
// and swaps it in atomically, so lookups take no lock.
type addressTable struct {
	exact   map[addrKey][]addrEntry
	byIP    map[netip.Addr][]addrEntry // every exact entry of an address, groups ascending
	subnets []addrEntry                // sorted by group, then in table order
	// subnetIdx finds a group's subnets by masking the address once per
	// prefix length the group uses, instead of testing every subnet.
	subnetIdx map[int64]*groupSubnets
	domains   []addrEntry // sorted by group, then in table order
	rows      int
}

// addrRow is a row as read from a database or a file, before checks.
type addrRow struct {
	at      string // where the row comes from: "row id 5", "file:3"
	id      int64
	group   int64
	ip      string
	mask    int64
	port    int64
	tag     string
	tagNull bool
}

// parseIP reads an IPv4 or IPv6 address, with or without brackets, and
// returns it unmapped and without a zone (source addresses are compared
// that way). ok is false for anything else (a domain name).
func parseIP(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// newAddressTable checks the rows and builds the lookup structures. A bad
// row fails the whole load (Kamailio refuses the table too), so that a
// reload never leaves a half-loaded table in place.
func newAddressTable(rows []addrRow) (*addressTable, error) {
	t := &addressTable{
		exact: make(map[addrKey][]addrEntry, len(rows)),
		byIP:  make(map[netip.Addr][]addrEntry, len(rows)),
		rows:  len(rows),
	}
	for _, r := range rows {
		if r.group <= 0 || r.group > 0xffffffff {
			return nil, fmt.Errorf("%s: group %d is not a positive 32-bit number", r.at, r.group)
		}
		if r.port < 0 || r.port > 65535 {
			return nil, fmt.Errorf("%s: port %d is out of range (0-65535)", r.at, r.port)
		}
		if strings.TrimSpace(r.ip) == "" {
			return nil, fmt.Errorf("%s: empty ip_addr", r.at)
		}
		e := addrEntry{id: r.id, group: r.group, port: uint16(r.port), tag: r.tag, hasTag: !r.tagNull}
		ip, isIP := parseIP(r.ip)
		if !isIP {
			e.domain = strings.TrimSpace(r.ip)
			t.domains = append(t.domains, e)
			continue
		}
		bits := int(r.mask)
		if r.mask < 0 || bits > ip.BitLen() {
			return nil, fmt.Errorf("%s: mask %d is out of range for %s (0-%d)", r.at, r.mask, r.ip, ip.BitLen())
		}
		if bits == 0 {
			// Kamailio reads a mask of 0 as a host entry: a whole-
			// Internet subnet is never what a 0 in this column means.
			bits = ip.BitLen()
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.at, err)
		}
		e.prefix = p
		if bits == ip.BitLen() {
			k := addrKey{group: r.group, ip: ip}
			t.exact[k] = append(t.exact[k], e)
			t.byIP[ip] = append(t.byIP[ip], e)
			continue
		}
		t.subnets = append(t.subnets, e)
	}
	byGroup := func(a, b addrEntry) int { return cmp.Compare(a.group, b.group) }
	for _, es := range t.byIP {
		slices.SortStableFunc(es, byGroup)
	}
	slices.SortStableFunc(t.subnets, byGroup)
	slices.SortStableFunc(t.domains, byGroup)
	t.indexSubnets()
	return t, nil
}

// portMatches: a table port of 0 matches any port.
func portMatches(tablePort, port uint16) bool { return tablePort == 0 || tablePort == port }

// match finds an entry of group for ip and port: the exact entries
// first, then the subnets (the first matching one, or the longest prefix
// with longest set). ok is false when there is none.
func (t *addressTable) match(group int64, ip netip.Addr, port uint16, longest bool) (addrEntry, bool) {
	if t == nil {
		return addrEntry{}, false
	}
	for _, e := range t.exact[addrKey{group: group, ip: ip}] {
		if portMatches(e.port, port) {
			return e, true
		}
	}
	gs := t.subnetIdx[group]
	if gs == nil {
		return addrEntry{}, false
	}
	// The first matching subnet in table order (mode 0) or the longest
	// prefix (mode 1) wins, as a scan of the group's list would decide.
	var best subnetRef
	found := false
	for _, bits := range gs.lens {
		if bits > ip.BitLen() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			continue
		}
		for _, r := range gs.byPrefix[p] {
			if !portMatches(r.port, port) {
				continue
			}
			if !found || (longest && bits > best.bits) || (!longest && r.index < best.index) {
				best, found = r, true
			}
			break
		}
	}
	if !found {
		return addrEntry{}, false
	}
	return t.subnets[best.index], true
}

// groupSubnets indexes the subnets of one group by prefix.
type groupSubnets struct {
	lens     []int // the distinct prefix lengths, longest first
	byPrefix map[netip.Prefix][]subnetRef
}

// subnetRef points at a subnet entry of addressTable.subnets.
type subnetRef struct {
	index int
	bits  int
	port  uint16
}

func (t *addressTable) indexSubnets() {
	t.subnetIdx = map[int64]*groupSubnets{}
	for i, e := range t.subnets {
		gs := t.subnetIdx[e.group]
		if gs == nil {
			gs = &groupSubnets{byPrefix: map[netip.Prefix][]subnetRef{}}
			t.subnetIdx[e.group] = gs
		}
		bits := e.prefix.Bits()
		if !slices.Contains(gs.lens, bits) {
			gs.lens = append(gs.lens, bits)
		}
		gs.byPrefix[e.prefix] = append(gs.byPrefix[e.prefix], subnetRef{index: i, bits: bits, port: e.port})
	}
	for _, gs := range t.subnetIdx {
		slices.SortFunc(gs.lens, func(a, b int) int { return cmp.Compare(b, a) })
	}
}

// matchDomain finds an entry of group whose ip_addr is the name host
// (compared without regard to case; never resolved).
func (t *addressTable) matchDomain(group int64, host string, port uint16) (addrEntry, bool) {
	if t == nil {
		return addrEntry{}, false
	}
	for _, e := range t.domains {
		if e.group == group && portMatches(e.port, port) && strings.EqualFold(e.domain, host) {
			return e, true
		}
	}
	return addrEntry{}, false
}

// group returns the group of the first entry matching ip and port: an
// exact entry (lowest group first), else a subnet (lowest group first).
// -1 when none matches.
func (t *addressTable) group(ip netip.Addr, port uint16) int64 {
	if t == nil {
		return -1
	}
	for _, e := range t.byIP[ip] {
		if portMatches(e.port, port) {
			return e.group
		}
	}
	for _, e := range t.subnets {
		if portMatches(e.port, port) && e.prefix.Contains(ip) {
			return e.group
		}
	}
	return -1
}

// domainGroup is group for a name that is not an IP address.
func (t *addressTable) domainGroup(host string, port uint16) int64 {
	if t == nil {
		return -1
	}
	for _, e := range t.domains {
		if portMatches(e.port, port) && strings.EqualFold(e.domain, host) {
			return e.group
		}
	}
	return -1
}

// parseAddressFile reads an address_file: one entry per line,
// "group address [mask] [port] [tag]", '#' starts a comment. Errors name
// the file and line.
func parseAddressFile(name string, data []byte) ([]addrRow, error) {
	var rows []addrRow
	for n, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		at := fmt.Sprintf("%s:%d", name, n+1)
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: want \"group address [mask] [port] [tag]\", got %q", at, strings.TrimSpace(line))
		}
		r := addrRow{at: at, id: int64(n + 1), ip: f[1], tagNull: true}
		var err error
		if r.group, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			return nil, fmt.Errorf("%s: group %q is not a number", at, f[0])
		}
		ip, isIP := parseIP(f[1])
		if isIP {
			r.mask = int64(ip.BitLen())
		}
		if len(f) > 2 {
			if r.mask, err = strconv.ParseInt(f[2], 10, 64); err != nil {
				return nil, fmt.Errorf("%s: mask %q is not a number", at, f[2])
			}
		}
		if len(f) > 3 {
			if r.port, err = strconv.ParseInt(f[3], 10, 64); err != nil {
				return nil, fmt.Errorf("%s: port %q is not a number", at, f[3])
			}
		}
		if len(f) > 4 {
			r.tag, r.tagNull = strings.Join(f[4:], " "), false
		}
		rows = append(rows, r)
	}
	if _, err := newAddressTable(rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// sortEntries orders entries by group, then by address, then port (for
// dumps).
func sortEntries(es []addrEntry) {
	slices.SortStableFunc(es, func(a, b addrEntry) int {
		if c := cmp.Compare(a.group, b.group); c != 0 {
			return c
		}
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.port, b.port)
	})
}
