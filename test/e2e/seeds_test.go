package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

func example(name string) string { return filepath.Join("..", "..", "examples", name) }

// requireLog fails unless the olelo log has each line, in this order.
func requireLogOrder(t *testing.T, s *server, lines ...string) {
	t.Helper()
	log := s.log()
	at := 0
	for _, l := range lines {
		i := strings.Index(log[at:], l)
		if i < 0 {
			t.Fatalf("olelo log lacks %q after offset %d:\n%s", l, at, lastLines(log, 40))
		}
		at += i + len(l)
	}
}

// Kamailio 101 part 2: every request is logged and answered 501.
func TestSeedKamailio101Part2(t *testing.T) {
	s := startOlelo(t, "-f", example("kamailio101-part2.cfg"))
	runUAC(t, s, uac{Method: "REGISTER", Expect: 501}, 20, "u1")
	runUAC(t, s, uac{Method: "INVITE", Expect: 501}, 5, "t1")
	if n := strings.Count(s.log(), "I got a message"); n < 25 {
		t.Fatalf("%d log lines \"I got a message\", want at least 25", n)
	}
}

// Kamailio 101 part 3: route() goes to a block; exit there stops the
// script, so "Back in request_route" is never logged.
func TestSeedKamailio101Part3Routes(t *testing.T) {
	s := startOlelo(t, "-f", example("kamailio101-part3-routes.cfg"))
	runUAC(t, s, uac{Method: "REGISTER", Expect: 501}, 1, "u1")
	requireLogOrder(t, s, "Hello, I am in the request_route", "Now I am in the respond 501 route")
	if strings.Contains(s.log(), "Back in request_route") {
		t.Fatal("exit in route[RESPOND_501] did not stop the script")
	}
}

// Kamailio 101 part 3: INVITE → 480 (and the ACK is absorbed), REGISTER → 501.
func TestSeedKamailio101Part3Invite480(t *testing.T) {
	s := startOlelo(t, "-f", example("kamailio101-part3-invite480.cfg"))
	runUAC(t, s, uac{Method: "INVITE", Expect: 480}, 20, "u1")
	runUAC(t, s, uac{Method: "REGISTER", Expect: 501}, 20, "u1")
	runUAC(t, s, uac{Method: "INVITE", Expect: 480}, 5, "t1")
}

// The OpenSIPS seed's sanity checks: Max-Forwards 0 → 483 Too Many Hops.
func TestSeedOpenSIPSMaxForwards(t *testing.T) {
	s := startOlelo(t, "-f", example("opensips-maxfwd.cfg"))
	runUAC(t, s, uac{Method: "OPTIONS", Expect: 483, MaxForwards: "0"}, 10, "u1")
	runUAC(t, s, uac{Method: "REGISTER", Expect: 501, MaxForwards: "70"}, 10, "u1")
	requireLogOrder(t, s, "REGISTER from 127.0.0.1:")
}

// The ACK for sl's 480 is absorbed before the script, as Kamailio's sl
// does: the part 2 config would otherwise log it as a message.
func TestSeedACKAbsorbed(t *testing.T) {
	s := startOlelo(t, "-f", example("kamailio101-part2.cfg"))
	before := strings.Count(s.log(), "I got a message") // startOlelo's OPTIONS probes
	runUAC(t, s, uac{Method: "INVITE", Expect: 501}, 10, "u1")
	if n := strings.Count(s.log(), "I got a message") - before; n != 10 {
		t.Fatalf("%d log lines \"I got a message\" for 10 INVITEs and their ACKs, want 10", n)
	}
}
