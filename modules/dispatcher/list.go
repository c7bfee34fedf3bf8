package dispatcher

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/olelo-sip/olelo/sip"
	"github.com/olelo-sip/olelo/transport"
)

// Destination flags: the state bits (low four) and the configuration bits.
const (
	flagInactive = 1
	flagTrying   = 2
	flagDisabled = 4
	flagProbing  = 8
	flagNoDNS    = 16
	flagNoPing   = 32
	statesAll    = flagInactive | flagTrying | flagDisabled | flagProbing
)

// attrs are a destination's attributes (the attrs column, "k=v;k=v").
type attrs struct {
	body       string
	duid       string
	maxload    int
	weight     int
	rweight    int
	cc         int
	latency    int
	socket     string
	sockname   string
	pingFrom   string
	pingSocket string
	obproxy    string
	// Overload control bounds and initial rate, percentages (algorithm
	// 64), normalised at load as Kamailio 5.8 does.
	ocmin, ocmax, ocrate int
}

// dest is one destination of a set.
type dest struct {
	uri      string
	priority int
	attrs    attrs
	desc     string

	// parsed and resolved at load: what ds_is_from_list compares
	host  string
	port  uint16 // 0: the protocol's default
	proto transport.Proto
	ips   []netip.Addr
	local netip.AddrPort // socket attribute, zero when none

	// Run-time state, guarded by the set's mutex.
	flags      int
	probeCount int
	dload      int
	lat        latency
	oc         overload
}

// latency is the estimator of ds_ping_latency_stats (ms).
type latency struct {
	count   int
	avg     float64
	m2      float64 // Welford's sum of squared differences
	est     float64
	max     int
	timeout int
}

func (l *latency) std() float64 {
	if l.count < 2 {
		return 0
	}
	return sqrt(l.m2 / float64(l.count-1))
}

func sqrt(x float64) float64 {
	if x <= 0 {
		return 0
	}
	z := x
	for i := 0; i < 30; i++ {
		z = (z + x/z) / 2
	}
	return z
}

// dset is a destination set: highest priority first, equal priorities in
// reverse load order (as Kamailio builds it).
type dset struct {
	id    int
	mu    sync.Mutex
	dests []*dest

	last   int        // round robin / latency: next start
	wlist  [100]uint8 // weight slots (algorithm 9)
	wlast  int
	rwlist [100]uint8 // relative weight slots (algorithm 11)
	rwlast int
}

// lists are the loaded sets.
type lists struct {
	sets []*dset // in Kamailio's RPC order (see order)
	byID map[int]*dset
}

// entry is one line of the list file or row of the table.
type entry struct {
	setid    int
	uri      string
	flags    int
	priority int
	attrs    string
	desc     string
	where    string // file:line, for errors
}

// parseList reads the list file format: "setid uri [flags [priority
// [attrs [description]]]]", '#' comments, blank lines. Errors name
// name:line.
func parseList(name string, r io.Reader) ([]entry, error) {
	var out []entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		where := name + ":" + strconv.Itoa(n)
		f := fields(line, 5)
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: want \"setid uri [flags [priority [attrs [description]]]]\", got %q", where, line)
		}
		e := entry{where: where, uri: f[1]}
		var err error
		if e.setid, err = parseInt(f[0]); err != nil {
			return nil, fmt.Errorf("%s: bad set id %q", where, f[0])
		}
		if len(f) > 2 {
			if e.flags, err = parseInt(f[2]); err != nil {
				return nil, fmt.Errorf("%s: bad flags %q", where, f[2])
			}
		}
		if len(f) > 3 {
			if e.priority, err = parseInt(f[3]); err != nil {
				return nil, fmt.Errorf("%s: bad priority %q", where, f[3])
			}
		}
		if len(f) > 4 {
			e.attrs = f[4]
		}
		if len(f) > 5 {
			e.desc = f[5]
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	return out, nil
}

// fields splits line into at most n whitespace-separated words plus the
// rest of the line (the description).
func fields(line string, n int) []string {
	var out []string
	for len(out) < n {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return out
		}
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return append(out, line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
	if rest := strings.TrimSpace(line); rest != "" {
		out = append(out, rest)
	}
	return out
}

// parseInt reads a decimal or 0x hexadecimal integer.
func parseInt(s string) (int, error) {
	n, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// parseAttrs reads "k=v;k=v" (keys case-insensitive); unknown keys stay
// in the body only.
func parseAttrs(body string) (attrs, error) {
	a := attrs{body: body}
	for _, kv := range strings.Split(body, ";") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		num := func() int { n, _ := strconv.Atoi(v); return n }
		switch k {
		case "duid":
			a.duid = v
		case "maxload":
			a.maxload = num()
		case "weight":
			if a.weight = num(); a.weight < 1 || a.weight > 100 {
				a.weight = 0
			}
		case "rweight":
			if a.rweight = num(); a.rweight < 1 || a.rweight > 100 {
				a.rweight = 0
			}
		case "cc":
			a.cc = num()
		case "latency":
			a.latency = num()
		case "socket":
			a.socket = v
		case "sockname":
			a.sockname = v
		case "ping_from":
			a.pingFrom = v
		case "ping_socket":
			a.pingSocket = v
		case "obproxy":
			a.obproxy = v
		case "ocmin":
			a.ocmin = max(num(), 0) // Kamailio reads them unsigned: "-5" stays 0
		case "ocmax":
			a.ocmax = max(num(), 0)
		case "ocrate":
			a.ocrate = max(num(), 0)
		}
	}
	a.normaliseOC()
	return a, nil
}

// normaliseOC bounds the overload control attributes the way Kamailio
// 5.8 does at load: ocmax 0 or over 100 is 100, an ocmin over 100 or
// over ocmax is 0, an ocrate over 100 is 0, then the rate is clamped
// into [ocmin, ocmax].
func (a *attrs) normaliseOC() {
	if a.ocmax > 100 || a.ocmax == 0 {
		a.ocmax = 100
	}
	if a.ocmin > 100 || a.ocmin > a.ocmax {
		a.ocmin = 0
	}
	if a.ocrate > 100 {
		a.ocrate = 0
	}
	a.ocrate = a.clampRate(a.ocrate)
}

// clampRate bounds an overload control rate into [ocmin, ocmax].
func (a *attrs) clampRate(r int) int {
	return min(max(r, a.ocmin), a.ocmax)
}

// newDest checks and resolves one entry.
func newDest(ctx context.Context, e entry, resolver *net.Resolver) (*dest, error) {
	uri := e.uri
	if !strings.HasPrefix(strings.ToLower(uri), "sip:") && !strings.HasPrefix(strings.ToLower(uri), "sips:") {
		uri = "sip:" + uri
	}
	u, err := sip.ParseURI([]byte(uri))
	if err != nil {
		return nil, fmt.Errorf("%s: bad destination URI %q: %v", e.where, e.uri, err)
	}
	a, err := parseAttrs(e.attrs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", e.where, err)
	}
	d := &dest{uri: uri, priority: e.priority, attrs: a, desc: e.desc, flags: e.flags, port: u.Port}
	d.oc.setRate(a.ocrate)
	d.host = strings.Trim(string(u.Host), "[]")
	if len(u.Transport) > 0 {
		if d.proto, err = transport.ParseProto(string(u.Transport)); err != nil {
			return nil, fmt.Errorf("%s: %q: %v", e.where, e.uri, err)
		}
	}
	if u.Scheme == sip.SchemeSIPS && d.proto == 0 {
		d.proto = transport.ProtoTLS
	}
	if a.socket != "" {
		if d.local, err = parseSocket(a.socket); err != nil {
			return nil, fmt.Errorf("%s: socket %q: %v", e.where, a.socket, err)
		}
	}
	if ip, err := netip.ParseAddr(d.host); err == nil {
		d.ips = []netip.Addr{ip.Unmap()}
	} else if e.flags&flagNoDNS == 0 {
		ips, err := resolver.LookupNetIP(ctx, "ip", d.host)
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("%s: cannot resolve %s (flag 16 skips the lookup)", e.where, d.host)
		}
		for _, ip := range ips {
			d.ips = append(d.ips, ip.Unmap())
		}
	}
	return d, nil
}

// parseSocket reads "proto:addr:port" (a listen socket).
func parseSocket(s string) (netip.AddrPort, error) {
	if i := strings.Index(s, ":"); i > 0 {
		if _, err := transport.ParseProto(s[:i]); err == nil {
			s = s[i+1:]
		}
	}
	s = strings.Replace(strings.Replace(s, "[", "", 1), "]", "", 1)
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return netip.AddrPort{}, err
		}
		return netip.AddrPortFrom(ip, 5060), nil
	}
	ip, err := netip.ParseAddr(s[:i])
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// buildLists turns entries into sets. Every destination is checked (and
// its host resolved) before anything is replaced, so a failing reload
// keeps the old sets.
func buildLists(ctx context.Context, entries []entry, resolver *net.Resolver) (*lists, error) {
	l := &lists{byID: map[int]*dset{}}
	var tree *avlNode
	for _, e := range entries {
		d, err := newDest(ctx, e, resolver)
		if err != nil {
			return nil, err
		}
		s := l.byID[e.setid]
		if s == nil {
			s = &dset{id: e.setid}
			l.byID[e.setid] = s
			tree = avlInsert(tree, s)
		}
		s.dests = append(s.dests, d)
	}
	l.sets = avlPostOrder(tree, nil)
	for _, s := range l.sets {
		// Highest priority first; equal priorities end up in reverse
		// load order, as in Kamailio (it sorts ascending, then copies
		// backwards).
		slicesReverse(s.dests)
		sort.SliceStable(s.dests, func(i, j int) bool { return s.dests[i].priority > s.dests[j].priority })
		for _, d := range s.dests {
			seedLatency(d)
		}
		s.initWeights()
		s.initRelativeWeights()
	}
	return l, nil
}

func slicesReverse(d []*dest) {
	for i, j := 0, len(d)-1; i < j; i, j = i+1, j-1 {
		d[i], d[j] = d[j], d[i]
	}
}

func seedLatency(d *dest) {
	if d.attrs.latency > 0 {
		v := float64(d.attrs.latency)
		d.lat = latency{avg: v, est: v, max: d.attrs.latency}
	}
}

// Kamailio keeps its sets in an AVL tree keyed by set id and lists them
// by a post-order walk (dispatcher.list shows 1, 3, 2 for sets loaded as
// 1, 2, 3): the same tree gives the same order.
type avlNode struct {
	s           *dset
	left, right *avlNode
	height      int
}

func height(n *avlNode) int {
	if n == nil {
		return 0
	}
	return n.height
}

func fix(n *avlNode) *avlNode {
	n.height = 1 + max(height(n.left), height(n.right))
	return n
}

func rotRight(n *avlNode) *avlNode {
	l := n.left
	n.left = l.right
	l.right = fix(n)
	return fix(l)
}

func rotLeft(n *avlNode) *avlNode {
	r := n.right
	n.right = r.left
	r.left = fix(n)
	return fix(r)
}

func avlInsert(n *avlNode, s *dset) *avlNode {
	if n == nil {
		return &avlNode{s: s, height: 1}
	}
	if s.id < n.s.id {
		n.left = avlInsert(n.left, s)
	} else {
		n.right = avlInsert(n.right, s)
	}
	fix(n)
	switch b := height(n.left) - height(n.right); {
	case b > 1:
		if s.id > n.left.s.id {
			n.left = rotLeft(n.left)
		}
		return rotRight(n)
	case b < -1:
		if s.id < n.right.s.id {
			n.right = rotRight(n.right)
		}
		return rotLeft(n)
	}
	return n
}

func avlPostOrder(n *avlNode, out []*dset) []*dset {
	if n == nil {
		return out
	}
	out = avlPostOrder(n.left, out)
	out = avlPostOrder(n.right, out)
	return append(out, n.s)
}

// initWeights fills the 100 slots of algorithm 9: weight slots per
// destination in order, the rest with the last one, shuffled once. When
// the first destination has no weight the slots stay 0 (index 0 is
// always chosen), as in Kamailio.
func (s *dset) initWeights() {
	if len(s.dests) == 0 || s.dests[0].attrs.weight == 0 {
		return
	}
	t := 0
fill:
	for j, d := range s.dests {
		for k := 0; k < d.attrs.weight; k++ {
			if t >= 100 {
				break fill
			}
			s.wlist[t] = uint8(j)
			t++
		}
	}
	if t > 0 {
		for last := s.wlist[t-1]; t < 100; t++ {
			s.wlist[t] = last
		}
	}
	shuffle(s.wlist[:])
}

// initRelativeWeights fills the slots of algorithm 11 from the rweight
// of the active destinations (rebuilt on every state change; s.mu held
// or s not shared yet).
func (s *dset) initRelativeWeights() {
	sum := 0
	lastActive := -1
	for j, d := range s.dests {
		if d.flags&(flagInactive|flagDisabled) == 0 && d.attrs.rweight > 0 {
			sum += d.attrs.rweight
			lastActive = j
		}
	}
	s.rwlist = [100]uint8{}
	if sum == 0 {
		return
	}
	t := 0
	for j, d := range s.dests {
		if d.flags&(flagInactive|flagDisabled) != 0 || d.attrs.rweight == 0 {
			continue
		}
		slice := d.attrs.rweight * 100 / sum
		for k := 0; k < slice && t < 100; k++ {
			s.rwlist[t] = uint8(j)
			t++
		}
	}
	for ; t < 100; t++ {
		s.rwlist[t] = uint8(lastActive)
	}
	shuffle(s.rwlist[:])
}
