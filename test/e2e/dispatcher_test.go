package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The dispatcher suite: examples/dispatcher.cfg (the seed's route[DISPATCH]
// and failure_route[RTF_DISPATCH]) with SIPp gateways on loopback ports,
// run through olelo and, where the flow does not depend on timing,
// through Kamailio 5.6 with the same list file.

// dsGateway is one gateway of set 1: a SIPp scenario, or "" for a port
// nothing listens on (a gateway that never answers).
type dsGateway struct {
	scenario string
	calls    int
	flags    int // list file flags (1 = inactive)
}

// dsFlow is calls made by uac_call-like callers through the config.
type dsFlow struct {
	name     string
	gateways []dsGateway
	uac      string // caller scenario (testdata/callflow or absolute)
	calls    int
	defines  []string
	want     []int
}

// uasReject answers every INVITE with code and takes the ACK.
func uasReject(t *testing.T, code int, reason string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "callflow", "uas_busy.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, fmt.Sprintf("uas_%d.xml", code), strings.Replace(string(b), "486 Busy Here", fmt.Sprintf("%d %s", code, reason), 1))
}

const uacRejected = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller rejected">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: sut <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="404" />
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: sut <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
`

const uasOptions = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="gateway answering keepalives">
  <recv request="OPTIONS" />
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
`

// startGateway starts SIPp with scenario on port for calls calls and
// returns a channel that gets its outcome.
func startGateway(t *testing.T, ctx context.Context, sipp, scenario string, port, calls int) chan error {
	t.Helper()
	if !filepath.IsAbs(scenario) {
		scenario, _ = filepath.Abs(filepath.Join("testdata", "callflow", scenario))
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", fmt.Sprint(port),
		"-t", "u1", "-m", fmt.Sprint(calls), "-nostdin", "-mp", fmt.Sprint(freeMediaPort(t)),
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"))
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		if err != nil {
			errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			err = fmt.Errorf("%v\n%s\n%s", err, lastLines(out.String(), 10), errs)
		}
		done <- err
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	})
	for deadline := time.Now().Add(15 * time.Second); !portBusy(port, "u1"); {
		if time.Now().After(deadline) {
			t.Fatalf("gateway %s did not bind port %d", scenario, port)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return done
}

// runDispatch runs f through kind: gateways, list file, server, caller.
// It returns the replies the caller saw.
func runDispatch(t *testing.T, kind serverKind, f dsFlow) []int {
	t.Helper()
	sipp := lookPath(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var list strings.Builder
	var gws []chan error
	for i, g := range f.gateways {
		port := freePort(t)
		// Priorities keep the list order (equal ones would be reversed).
		fmt.Fprintf(&list, "1 sip:127.0.0.1:%d %d %d\n", port, g.flags, len(f.gateways)-i)
		if g.scenario != "" && g.calls > 0 {
			gws = append(gws, startGateway(t, ctx, sipp, g.scenario, port, g.calls))
		}
	}
	listFile := filepath.Join(t.TempDir(), "dispatcher.list")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	defs := append([]string{fmt.Sprintf("DS_LIST=%q", listFile)}, f.defines...)
	s := startServer(t, kind, example("dispatcher.cfg"), defs...)
	uac := f.uac
	if !filepath.IsAbs(uac) {
		uac, _ = filepath.Abs(filepath.Join("testdata", "callflow", uac))
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "msg.log")
	out, err := runPeer(t, 50*time.Second, sipp, s.addr, "-sf", uac, "-s", "bob", "-i", "127.0.0.1",
		"-p", fmt.Sprint(freePort(t)), "-mp", fmt.Sprint(freeMediaPort(t)), "-t", "u1", "-m", fmt.Sprint(max(f.calls, 1)),
		"-r", "20", "-l", "1", "-nostdin", "-timeout", "40s", "-timeout_error", "-max_recv_loops", "1000",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", trace)
	msgs, _ := os.ReadFile(trace)
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		t.Errorf("%s: caller through %s failed: %v\n%s\n%s\n%s log:\n%s", f.name, kind, err, lastLines(out, 15), errs, kind, lastLines(s.log(), 40))
	}
	for i, gw := range gws {
		select {
		case err := <-gw:
			if err != nil {
				t.Errorf("%s: gateway %d through %s failed: %v", f.name, i+1, kind, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s: gateway %d did not get all its calls through %s", f.name, i+1, kind)
		}
	}
	return callerReplies(string(msgs))
}

func dispatchFlows(t *testing.T) []dsFlow {
	rejected := writeFile(t, "uac_rejected.xml", uacRejected)
	return []dsFlow{
		{name: "round robin alternates over two gateways", calls: 10, uac: "uac_call.xml",
			gateways: []dsGateway{{"uas_answer.xml", 5, 0}, {"uas_answer.xml", 5, 0}},
			want:     slices.Repeat([]int{100, 180, 200, 200}, 10)},
		{name: "500 fails over to the second gateway", uac: "uac_call.xml",
			gateways: []dsGateway{{uasReject(t, 500, "Server Error"), 1, 0}, {"uas_answer.xml", 1, 0}},
			want:     []int{100, 180, 200, 200}},
		{name: "404 fails over when the script says so", uac: "uac_call.xml", defines: []string{`FAILOVER_CODES="404|500"`},
			gateways: []dsGateway{{uasReject(t, 404, "Not Found"), 1, 0}, {"uas_answer.xml", 1, 0}},
			want:     []int{100, 180, 200, 200}},
		{name: "404 is final when the script does not fail over on it", uac: rejected,
			gateways: []dsGateway{{uasReject(t, 404, "Not Found"), 1, 0}, {"uas_answer.xml", 0, 0}},
			want:     []int{100, 404}},
		{name: "no answer fails over after fr_timer", uac: "uac_call.xml",
			gateways: []dsGateway{{"", 0, 0}, {"uas_answer.xml", 1, 0}},
			want:     []int{100, 180, 200, 200}},
		{name: "no gateway up gives the script's 404", uac: rejected,
			gateways: []dsGateway{{"", 0, 1}, {"", 0, 1}},
			want:     []int{404}},
	}
}

func testDispatcher(t *testing.T, kind serverKind) {
	for _, f := range dispatchFlows(t) {
		t.Run(f.name, func(t *testing.T) {
			// The round robin start differs (Kamailio's per-process
			// counter) but the alternation is the same.
			got := runDispatch(t, kind, f)
			if !slices.Equal(got, f.want) {
				t.Errorf("%s: caller saw %v, want %v", kind, got, f.want)
			}
		})
	}
}

func TestDispatcherOlelo(t *testing.T)    { testDispatcher(t, oleloServer) }
func TestDispatcherKamailio(t *testing.T) { testDispatcher(t, kamailioServer) }

// TestDispatcherProbing: a gateway answering keepalives is AP; stopped,
// it goes to IP after the probing threshold, the dst-down event route
// runs and calls go to the other gateway; restarted, it is AP again;
// dispatcher.set_state dx drains it.
func TestDispatcherProbing(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	port := freePort(t)
	gw := fmt.Sprintf("sip:127.0.0.1:%d", port)
	options := writeFile(t, "uas_options.xml", uasOptions)
	gctx, stopGW := context.WithCancel(ctx)
	startGateway(t, gctx, sipp, options, port, 100000)
	listFile := filepath.Join(t.TempDir(), "dispatcher.list")
	os.WriteFile(listFile, []byte("1 "+gw+" 0 0\n"), 0o644)
	sock := "unix:" + filepath.Join(t.TempDir(), "ctl")
	s := startOlelo(t, "-f", example("dispatcher.cfg"), "-A", fmt.Sprintf("DS_LIST=%q", listFile), "-A", "DS_PING=1", "--rpc", sock)

	waitFlags := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, errOut, code := oleloRPC(t, sock, "dispatcher.list")
			if code != 0 {
				t.Fatalf("dispatcher.list: %s %s", out, errOut)
			}
			if strings.Contains(out, `"FLAGS": "`+want+`"`) || strings.Contains(out, `"FLAGS":"`+want+`"`) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("gateway not %s within 20s:\n%s\nlog:\n%s", want, out, lastLines(s.log(), 30))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFlags("AP")
	stopGW()
	waitFlags("IP")
	if !strings.Contains(s.log(), "gateway "+gw+" is down") {
		t.Errorf("dst-down event route did not run:\n%s", lastLines(s.log(), 20))
	}
	// No destination is up: the script answers 404.
	rejected := writeFile(t, "uac_rejected.xml", uacRejected)
	dir := t.TempDir()
	if out, err := runPeer(t, 20*time.Second, sipp, s.addr, "-sf", rejected, "-s", "bob", "-i", "127.0.0.1",
		"-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", "1", "-nostdin", "-timeout", "10s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log")); err != nil {
		t.Errorf("call with the gateway down did not get 404: %v\n%s", err, lastLines(out, 10))
	}
	startGateway(t, ctx, sipp, options, port, 100000)
	waitFlags("AP")
	if !strings.Contains(s.log(), "gateway "+gw+" is up") {
		t.Errorf("dst-up event route did not run")
	}
	if out, errOut, code := oleloRPC(t, sock, "dispatcher.set_state", "dx", "1", gw); code != 0 || !strings.Contains(out, "Dispatcher state updated") {
		t.Fatalf("set_state: %s %s", out, errOut)
	}
	waitFlags("DX")
	if out, _, code := oleloRPC(t, sock, "dispatcher.reload"); code != 0 || !strings.Contains(out, "successfully reloaded") {
		t.Errorf("reload: %s", out)
	}
	os.WriteFile(listFile, []byte("1 sip:no-such-host.invalid\n"), 0o644)
	if out, errOut, code := oleloRPC(t, sock, "dispatcher.reload"); code == 0 || !strings.Contains(out+errOut, "cannot resolve") {
		t.Errorf("failing reload: code %d %s %s", code, out, errOut)
	}
	if out, _, _ := oleloRPC(t, sock, "dispatcher.list"); !strings.Contains(out, gw) {
		t.Errorf("a failing reload lost the sets:\n%s", out)
	}
}

// TestDispatcherCanceled: the seed's failure route ends a call the caller
// cancelled (t_is_canceled) without trying the next gateway, even when
// the script fails over on 487: gateway 1 rings and gets the CANCEL,
// gateway 2 never sees a packet. Through olelo and Kamailio.
func TestDispatcherCanceled(t *testing.T) {
	sipp := lookPath(t, "sipp", "sip-tester")
	for _, kind := range []serverKind{oleloServer, kamailioServer} {
		t.Run(string(kind), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p1 := freePort(t)
			gw1 := startGateway(t, ctx, sipp, "uas_cancelled.xml", p1, 1)
			// Gateway 2: a bare socket counting what reaches it.
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			var got atomic.Int32
			go func() {
				buf := make([]byte, 65536)
				for {
					if _, _, err := pc.ReadFrom(buf); err != nil {
						return
					}
					got.Add(1)
				}
			}()
			p2 := pc.LocalAddr().(*net.UDPAddr).Port
			listFile := filepath.Join(t.TempDir(), "dispatcher.list")
			os.WriteFile(listFile, []byte(fmt.Sprintf("1 sip:127.0.0.1:%d 0 2\n1 sip:127.0.0.1:%d 0 1\n", p1, p2)), 0o644)
			s := startServer(t, kind, example("dispatcher.cfg"), fmt.Sprintf("DS_LIST=%q", listFile), `FAILOVER_CODES="487|500"`, `DS_ALG="8"`)
			uac, _ := filepath.Abs(filepath.Join("testdata", "callflow", "uac_cancel.xml"))
			dir := t.TempDir()
			trace := filepath.Join(dir, "msg.log")
			out, err := runPeer(t, 30*time.Second, sipp, s.addr, "-sf", uac, "-s", "bob", "-i", "127.0.0.1",
				"-p", fmt.Sprint(freePort(t)), "-t", "u1", "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error",
				"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-trace_msg", "-message_file", trace)
			if err != nil {
				t.Fatalf("caller: %v\n%s\nserver log:\n%s", err, lastLines(out, 15), lastLines(s.log(), 30))
			}
			select {
			case err := <-gw1:
				if err != nil {
					t.Errorf("gateway 1: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("gateway 1 did not get the CANCEL")
			}
			msgs, _ := os.ReadFile(trace)
			if codes := callerReplies(string(msgs)); !slices.Equal(codes, []int{100, 180, 200, 487}) {
				t.Errorf("caller saw %v, want [100 180 200 487]", codes)
			}
			// A failover would have sent its INVITE before the 487 reached
			// the caller; allow for loopback delivery.
			time.Sleep(300 * time.Millisecond)
			if n := got.Load(); n != 0 {
				t.Errorf("gateway 2 got %d packets after the caller cancelled", n)
			}
		})
	}
}
