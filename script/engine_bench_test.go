package script

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// reqinitScript is shaped like the REQINIT route of the stock
// kamailio.cfg: pseudo-variable comparisons, a few module function calls
// and a header check, all of which pass so that the whole route runs.
const reqinitScript = `loadmodule "testmod.so"
request_route {
	route(REQINIT);
	if (is_present_hf("X-Nope")) { exit; }
	if ($rm == "CANCEL") { exit; }
	exit;
}

route[REQINIT] {
	if ($hdr(User-Agent) =~ "friendly-scanner|sipcli|VaxSIPUserAgent") {
		sl_send_reply("200", "OK");
		exit;
	}
	if (!retq(1)) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (method == "OPTIONS" && uri == myself && $rU == $null) {
		sl_send_reply("200", "Keepalive");
		exit;
	}
	if (!ok()) {
		sl_send_reply("400", "Bad Request");
		exit;
	}
	if (src_ip == 192.168.0.0/16 || $si == "10.9.9.9") {
		exit;
	}
	if (!is_present_hf("Call-ID") || $var(count) > 3) {
		exit;
	}
	$var(count) = $var(count) + 1;
}
`

func BenchmarkDispatchREQINIT(b *testing.B) {
	e, err := compileSrc(b, reqinitScript, CompileOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	msg := parseMsg(b, strings.Replace(testInvite, "friendly-scanner", "olelo-bench", 1))
	ctx := context.Background()
	// The same script with a mark at the end of REQINIT must reach it.
	check, err := compileSrc(b, strings.Replace(reqinitScript, "$var(count) = $var(count) + 1;", "$var(count) = $var(count) + 1; rec(\"end\");", 1), CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	check.HandleRequest(ctx, msg)
	if got := check.Instance("testmod").(*testInst).got(); got != "end" {
		b.Fatalf("the route did not run to its end: %q", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.HandleRequest(ctx, msg)
	}
}
