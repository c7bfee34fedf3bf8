package dispatcher

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/olelo-sip/olelo/core"
	tmmod "github.com/olelo-sip/olelo/modules/tm"
	"github.com/olelo-sip/olelo/sip"
)

// Who changes a state: the event_callback_mode and the threshold
// counting depend on it.
const (
	stateScript = iota
	statePing
	stateRPC
)

// replyCodes is ds_ping_reply_codes: codes and classes accepted on top
// of any 2xx.
type replyCodes struct {
	codes   map[int]bool
	classes map[int]bool
}

func parseReplyCodes(s string) (replyCodes, error) {
	rc := replyCodes{codes: map[int]bool{}, classes: map[int]bool{}}
	for _, kv := range strings.Split(s, ";") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil {
			return rc, fmt.Errorf("ds_ping_reply_codes: bad entry %q (want code=NNN or class=N)", kv)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "code":
			rc.codes[n] = true
		case "class":
			rc.classes[n] = true
		default:
			return rc, fmt.Errorf("ds_ping_reply_codes: bad entry %q (want code=NNN or class=N)", kv)
		}
	}
	return rc, nil
}

func (rc replyCodes) ok(code int) bool {
	return (code >= 200 && code < 300) || rc.codes[code] || rc.classes[code/100]
}

// stateEvent is a dst-up or dst-down to raise once the locks are gone.
type stateEvent struct {
	name   string
	setID  int
	uri    string
	flags  int
	code   int
	reason string
}

// updateState changes the state of the destination uri of set group
// ("all": every destination), see setState.
func (m *Instance) updateState(group int, uri string, state, origin, code int, reason string) bool {
	if uri == "all" {
		return m.setState(group, func(*dest) bool { return true }, true, state, origin, code, reason)
	}
	return m.setState(group, func(d *dest) bool { return strings.EqualFold(d.uri, uri) }, false, state, origin, code, reason)
}

// setState changes the state of the first destination of set group that
// match selects, or of every one with all (Kamailio's ds_update_state
// for script and keepalives, ds_reinit_state* for RPC). False when no
// destination (or no set) matched.
func (m *Instance) setState(group int, match func(*dest) bool, all bool, state, origin, code int, reason string) bool {
	l := m.data.Load()
	if l == nil {
		return false
	}
	s := l.byID[group]
	if s == nil {
		return false
	}
	var events []stateEvent
	found := false
	s.mu.Lock()
	for _, d := range s.dests {
		if found && !all {
			break // Kamailio changes the first match only
		}
		if !match(d) {
			continue
		}
		found = true
		old := d.flags
		if origin == stateRPC {
			d.flags = d.flags&^statesAll | state
			d.probeCount = 0
		} else {
			if origin == statePing && old&flagDisabled != 0 {
				continue // pings never change a disabled destination
			}
			st := state
			d.flags &^= statesAll
			if st&flagTrying != 0 && old&flagInactive != 0 {
				st = st&^flagTrying | flagInactive // stays inactive
			}
			if st&flagTrying != 0 {
				d.probeCount++
				if d.probeCount >= m.ProbingThreshold {
					st = st&^flagTrying | flagInactive
					d.probeCount = 0
				}
			} else if state&flagTrying == 0 && old&flagInactive != 0 && origin == statePing {
				d.probeCount++
				if d.probeCount < m.InactiveThreshold {
					st |= flagInactive
					if old&flagProbing != 0 {
						st |= flagProbing
					}
				} else {
					d.probeCount = 0
				}
			} else {
				d.probeCount = 0
			}
			if st&flagDisabled != 0 {
				// Disabling from the script or a ping keeps no other
				// state bit, probing included (RPC does keep it: "dp").
				st = flagDisabled
			}
			d.flags |= st
		}
		wasUp, isUp := !skip(old), !skip(d.flags)
		raise := origin == statePing || (origin == stateScript && m.EventCallbackMode != 1)
		if wasUp != isUp && raise {
			name := "dispatcher:dst-down"
			if isUp {
				name = "dispatcher:dst-up"
			}
			events = append(events, stateEvent{name: name, setID: group, uri: d.uri, flags: d.flags, code: code, reason: reason})
		}
	}
	if found {
		s.initRelativeWeights()
	}
	s.mu.Unlock()
	for _, e := range events {
		m.raise(e)
	}
	return found
}

// dsvKey carries the $dsv values of an event route in its context.
type dsvKey struct{}

// raise runs event_route[dispatcher:dst-up|down] with $dsv set.
func (m *Instance) raise(e stateEvent) {
	m.log().Info("dispatcher: destination state changed", "event", e.name, "set", e.setID, "uri", e.uri, "flags", stateText(e.flags))
	r := m.events.Load()
	if r == nil {
		return
	}
	ctx := context.WithValue(m.baseCtx(), dsvKey{}, e)
	// As in Kamailio, the route runs with a request whose Request-URI
	// ($ru) is the destination.
	raw := "OPTIONS " + e.uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKdsevent\r\n" +
		"From: " + angle(m.PingFrom) + ";tag=dsevent\r\nTo: " + angle(e.uri) + "\r\nCall-ID: dsevent\r\n" +
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	msg := new(sip.Message)
	var cm *core.Msg
	if err := msg.Parse([]byte(raw), sip.Datagram); err == nil {
		cm = &core.Msg{Message: msg}
	}
	(*r).RunEvent(ctx, e.name, cm)
}

// pingLoop sends the keepalives every ds_ping_interval seconds and
// sweeps the call load table, until ctx ends.
func (m *Instance) pingLoop(ctx context.Context) {
	defer close(m.loopDone)
	every := time.Duration(m.PingInterval) * time.Second
	check := time.Duration(m.HashCheckInterval) * time.Second
	if every <= 0 {
		every = check
	}
	if every <= 0 {
		every = 30 * time.Second
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	lastSweep := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tk.C:
			if m.PingInterval > 0 && m.pingActive.Load() {
				m.pingAll(ctx)
			}
			if now.Sub(lastSweep) >= check {
				m.loads.sweep(now)
				lastSweep = now
			}
		}
	}
}

// pingAll sends one keepalive to every destination the probing mode
// selects: all of them (mode 1), those with the Probing flag (0, 3), or
// those with Probing and Inactive (2); never disabled or no-ping ones.
func (m *Instance) pingAll(ctx context.Context) {
	l := m.data.Load()
	if l == nil || m.tm == nil {
		return
	}
	type target struct {
		setID int
		d     *dest
	}
	var targets []target
	for _, s := range l.sets {
		s.mu.Lock()
		for _, d := range s.dests {
			if d.flags&(flagDisabled|flagNoPing) != 0 {
				continue
			}
			switch m.ProbingMode {
			case 1:
			case 2:
				if d.flags&flagProbing == 0 || d.flags&flagInactive == 0 {
					continue
				}
			default:
				if d.flags&flagProbing == 0 {
					continue
				}
			}
			targets = append(targets, target{s.id, d})
		}
		s.mu.Unlock()
	}
	for _, t := range targets {
		m.ping(ctx, t.setID, t.d)
	}
}

// ping sends one keepalive to d and processes its outcome.
func (m *Instance) ping(ctx context.Context, setID int, d *dest) {
	from := d.attrs.pingFrom
	if from == "" {
		from = m.PingFrom
	}
	req := tmmod.LocalRequest{
		Method: m.PingMethod, URI: d.uri, From: angle(from), To: angle(d.uri),
		NextHop: d.attrs.obproxy, Local: d.local, Host: m.host,
	}
	if req.NextHop == "" {
		req.NextHop = m.OutboundProxy
	}
	sent := time.Now()
	err := m.tm.Request(ctx, req, func(code int, resp *sip.Message) {
		reason := "Request Timeout"
		if resp != nil {
			reason = string(resp.Reason())
		}
		m.pingDone(setID, d, code, reason, time.Since(sent))
	})
	if err != nil {
		m.log().Debug("dispatcher: keepalive not sent", "uri", d.uri, "err", err)
		m.pingDone(setID, d, 408, "Request Timeout", 0)
	}
}

// pingDone applies a keepalive's outcome to the state and the latency
// statistics.
func (m *Instance) pingDone(setID int, d *dest, code int, reason string, rtt time.Duration) {
	if m.PingLatencyStats != 0 {
		m.recordLatency(setID, d, code, rtt)
	}
	var state int
	if m.replyCodes.ok(code) {
		if m.ProbingMode == 1 {
			state |= flagProbing
		}
		if m.ProbingMode == 3 {
			if l := m.data.Load(); l != nil && l.byID[setID] != nil {
				s := l.byID[setID]
				s.mu.Lock()
				state |= d.flags & flagProbing
				s.mu.Unlock()
			}
		}
	} else {
		state = flagTrying
		if m.ProbingMode != 0 {
			state |= flagProbing
		}
	}
	m.updateState(setID, d.uri, state, statePing, code, reason)
}

// recordLatency updates AVG/STD (Welford), MAX, EST and TIMEOUT. EST
// is an EWMA keeping ds_latency_estimator_alpha per mille of the old
// value (the mean for the first 10 samples).
func (m *Instance) recordLatency(setID int, d *dest, code int, rtt time.Duration) {
	l := m.data.Load()
	if l == nil || l.byID[setID] == nil {
		return
	}
	s := l.byID[setID]
	s.mu.Lock()
	defer s.mu.Unlock()
	lt := &d.lat
	if code == 408 {
		lt.timeout++
		return
	}
	ms := float64(rtt.Microseconds()) / 1000
	lt.count++
	delta := ms - lt.avg
	lt.avg += delta / float64(lt.count)
	lt.m2 += delta * (ms - lt.avg)
	if int(ms) > lt.max {
		lt.max = int(ms)
	}
	if lt.count < 10 {
		lt.est = lt.avg
	} else {
		alpha := float64(m.LatencyEstimatorAlpha) / 1000
		lt.est = lt.est*alpha + ms*(1-alpha)
	}
}

// angle puts a URI in <> for a From/To header unless it has them.
func angle(u string) string {
	if strings.Contains(u, "<") {
		return u
	}
	return "<" + u + ">"
}
