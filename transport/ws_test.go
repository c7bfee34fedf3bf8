package transport

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func wsDial(t *testing.T, url string, protos []string, client *http.Client) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protos, HTTPClient: client})
}

func wsExchange(t *testing.T, c *websocket.Conn, send string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(send)); err != nil {
		t.Fatal(err)
	}
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("message type %v", typ)
	}
	return string(b)
}

func TestWS(t *testing.T) {
	col := newCollector()
	col.reply = echo
	m := startManager(t, Config{Listen: mustListen(t, "ws:127.0.0.1:0")}, col)
	url := "ws://" + m.Listeners()[0].Addr().String() + "/"
	c, _, err := wsDial(t, url, []string{"sip"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "sip" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	for _, method := range []string{"REGISTER", "INVITE"} {
		req := msg(method, "")
		if got := wsExchange(t, c, req); got != "echo:"+req {
			t.Fatalf("got %q", got)
		}
	}
	g1, g2 := col.next(t), col.next(t)
	if g1.Proto != ProtoWS || g1.ConnID == 0 || g1.ConnID != g2.ConnID || !g1.Remote.Addr().IsLoopback() {
		t.Fatalf("got %+v, %+v", g1, g2)
	}
	// A keep-alive ping message is answered, not delivered.
	if got := wsExchange(t, c, "\r\n\r\n"); got != "\r\n" {
		t.Fatalf("pong %q", got)
	}
	// The server can send on the connection by address too.
	if err := m.Send(context.Background(), Target{Proto: ProtoWS, Addr: g1.Remote}, []byte("NOTIFY")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, b, err := c.Read(ctx); err != nil || string(b) != "NOTIFY" {
		t.Fatalf("read %q, %v", b, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	waitFor(t, func() bool { return m.ConnCount() == 0 })
}

func TestWSRequiresSIPSubprotocol(t *testing.T) {
	m := startManager(t, Config{Listen: mustListen(t, "ws:127.0.0.1:0")}, newCollector())
	url := "ws://" + m.Listeners()[0].Addr().String() + "/"
	for _, protos := range [][]string{nil, {"chat"}} {
		c, resp, err := wsDial(t, url, protos, nil)
		if err == nil {
			c.CloseNow()
			t.Fatalf("handshake with %v succeeded", protos)
		}
		if resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("protos %v: resp %v, err %v", protos, resp, err)
		}
	}
}

func TestWSMessageTooLarge(t *testing.T) {
	col := newCollector()
	m := startManager(t, Config{Listen: mustListen(t, "ws:127.0.0.1:0"), MaxMessageSize: 500}, col)
	c, _, err := wsDial(t, "ws://"+m.Listeners()[0].Addr().String(), []string{"sip"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte(msg("MESSAGE", strings.Repeat("x", 600))))
	// The server closes the connection (with StatusMessageTooBig when the
	// close frame makes it out before the socket closes).
	if _, b, err := c.Read(ctx); err == nil {
		t.Fatalf("read %q", b)
	}
	select {
	case g := <-col.ch:
		t.Fatalf("delivered %d bytes", len(g.Data))
	default:
	}
}

// An idle client that never sends its upgrade request neither blocks other
// clients nor keeps its slot past the handshake timeout. (The timeout is
// generous: the real client must finish its handshake within it even on a
// loaded machine.)
func TestWSHandshakeTimeout(t *testing.T) {
	col := newCollector()
	col.reply = echo
	m := startManager(t, Config{Listen: mustListen(t, "ws:127.0.0.1:0"), WSHandshakeTimeout: 2 * time.Second}, col)
	addr := m.Listeners()[0].Addr().String()
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	c, _, err := wsDial(t, "ws://"+addr, []string{"sip"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := wsExchange(t, c, msg("OPTIONS", "")); got != "echo:"+msg("OPTIONS", "") {
		t.Fatalf("got %q", got)
	}
	expectEOF(t, idle)
	// The upgraded connection outlives the handshake timeout.
	if got := wsExchange(t, c, msg("INFO", "")); got != "echo:"+msg("INFO", "") {
		t.Fatalf("got %q", got)
	}
}

func TestWSS(t *testing.T) {
	tc, pool := tlsFiles(t)
	col := newCollector()
	col.reply = echo
	m := startManager(t, Config{Listen: mustListen(t, "wss:127.0.0.1:0"), TLS: tc}, col)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c, _, err := wsDial(t, "wss://"+m.Listeners()[0].Addr().String()+"/ws", []string{"sip"}, client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := wsExchange(t, c, msg("REGISTER", "")); got != "echo:"+msg("REGISTER", "") {
		t.Fatalf("got %q", got)
	}
	if g := col.next(t); g.Proto != ProtoWSS {
		t.Fatalf("got %+v", g)
	}
}

func TestWSConnectionLimit(t *testing.T) {
	col := newCollector()
	col.reply = echo
	m := startManager(t, Config{Listen: mustListen(t, "ws:127.0.0.1:0"), TCPMaxConnections: 1}, col)
	url := "ws://" + m.Listeners()[0].Addr().String()
	c, _, err := wsDial(t, url, []string{"sip"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	wsExchange(t, c, msg("OPTIONS", ""))
	if c2, _, err := wsDial(t, url, []string{"sip"}, nil); err == nil {
		c2.CloseNow()
		t.Fatal("second connection accepted over the limit")
	}
}
