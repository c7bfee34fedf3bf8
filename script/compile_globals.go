package script

import (
	"fmt"
	"sort"
	"strings"
)

// Settings are the core parameters of the global section that olelo acts
// on. Compile fills them from the configuration, starting from Kamailio's
// defaults.
type Settings struct {
	// Listen holds the listen= lines in order; Sockets the socket = {...}
	// blocks. Port is port= (0 when not given: 5060).
	Listen  []*SocketList
	Sockets []*SocketBlock
	Port    int64
	// Aliases are the alias= addresses (host, optional proto and port).
	Aliases []*SocketAddr

	AdvertisedAddress string
	AdvertisedPort    int64

	Debug       int64 // -5..3 (L_ALERT..L_DBG); default 0 (L_WARN)
	LogStderror bool
	LogFacility string
	LogName     string
	LogPrefix   string

	Children    int64 // default 8
	TCPChildren int64 // 0: same as Children
	DisableTCP  bool
	EnableTLS   bool
	DisableSCTP bool

	MaxWhileLoops     int64 // default 100
	MaxRecursiveLevel int64 // default 256
	MaxBranches       int64 // default 12
	// ReturnMode 0: if/while take values > 0 as true; otherwise any
	// non-zero value.
	ReturnMode int64

	ServerHeader     string // "Server: ..." as given; "" means the default
	UserAgentHeader  string
	ServerSignature  bool // default true
	SIPWarning       bool
	OnsendRouteReply bool

	// Ignored lists the global parameters that were accepted but have no
	// effect in olelo, in file order ("name at file:line:col").
	Ignored []string
	// Raw holds every global parameter's last value as written (listen
	// and alias excluded).
	Raw map[string]Expr
}

func defaultSettings() Settings {
	return Settings{
		Children:          8,
		MaxWhileLoops:     100,
		MaxRecursiveLevel: 256,
		MaxBranches:       12,
		ServerSignature:   true,
		Raw:               map[string]Expr{},
	}
}

type globalKind uint8

const (
	gIgnore globalKind = iota // accepted, no effect
	gInt
	gBool
	gStr
)

type globalParam struct {
	kind globalKind
	set  func(s *Settings, i int64, str string)
}

func gi(f func(s *Settings, v int64)) globalParam {
	return globalParam{kind: gInt, set: func(s *Settings, i int64, _ string) { f(s, i) }}
}

func gb(f func(s *Settings, v bool)) globalParam {
	return globalParam{kind: gBool, set: func(s *Settings, i int64, _ string) { f(s, i != 0) }}
}

func gs(f func(s *Settings, v string)) globalParam {
	return globalParam{kind: gStr, set: func(s *Settings, _ int64, str string) { f(s, str) }}
}

// globalParams are the global parameters olelo acts on.
var globalParams = map[string]globalParam{
	"port":               gi(func(s *Settings, v int64) { s.Port = v }),
	"advertised_address": gs(func(s *Settings, v string) { s.AdvertisedAddress = v }),
	"advertised_port":    gi(func(s *Settings, v int64) { s.AdvertisedPort = v }),
	"debug":              gi(func(s *Settings, v int64) { s.Debug = v }),
	"log_stderror":       gb(func(s *Settings, v bool) { s.LogStderror = v }),
	"log_facility":       gs(func(s *Settings, v string) { s.LogFacility = v }),
	"log_name":           gs(func(s *Settings, v string) { s.LogName = v }),
	"log_prefix":         gs(func(s *Settings, v string) { s.LogPrefix = v }),
	"children":           gi(func(s *Settings, v int64) { s.Children = v }),
	"tcp_children":       gi(func(s *Settings, v int64) { s.TCPChildren = v }),
	"disable_tcp":        gb(func(s *Settings, v bool) { s.DisableTCP = v }),
	"enable_tls":         gb(func(s *Settings, v bool) { s.EnableTLS = v }),
	"tls_enable":         gb(func(s *Settings, v bool) { s.EnableTLS = v }),
	"disable_tls":        gb(func(s *Settings, v bool) { s.EnableTLS = !v }),
	"tls_disable":        gb(func(s *Settings, v bool) { s.EnableTLS = !v }),
	"disable_sctp":       gb(func(s *Settings, v bool) { s.DisableSCTP = v }),
	"enable_sctp":        gb(func(s *Settings, v bool) { s.DisableSCTP = !v }),
	"max_while_loops":    gi(func(s *Settings, v int64) { s.MaxWhileLoops = v }),
	"max_recursive_level": gi(func(s *Settings, v int64) {
		s.MaxRecursiveLevel = v
	}),
	"max_branches":       gi(func(s *Settings, v int64) { s.MaxBranches = v }),
	"return_mode":        gi(func(s *Settings, v int64) { s.ReturnMode = v }),
	"server_header":      gs(func(s *Settings, v string) { s.ServerHeader = v }),
	"user_agent_header":  gs(func(s *Settings, v string) { s.UserAgentHeader = v }),
	"server_signature":   gb(func(s *Settings, v bool) { s.ServerSignature = v }),
	"sip_warning":        gb(func(s *Settings, v bool) { s.SIPWarning = v }),
	"onsend_route_reply": gb(func(s *Settings, v bool) { s.OnsendRouteReply = v }),
}

// ignoredGlobals are the other global parameters of Kamailio (5.6 and a
// few newer ones), accepted without effect.
var ignoredGlobals = wordSet(`
	fork fork_delay modinit_delay log_color log_prefix_mode log_engine_type
	log_engine_data xavp_via_params xavp_via_fields auto_aliases dns rev_dns
	dns_try_ipv6 dns_try_naptr dns_srv_lb dns_srv_loadbalancing dns_udp_pref
	dns_udp_preference dns_tcp_pref dns_tcp_preference dns_tls_pref
	dns_tls_preference dns_sctp_pref dns_sctp_preference dns_retr_time
	dns_slow_query_ms dns_retr_no dns_servers_no dns_use_search_list
	dns_search_full_match dns_naptr_ignore_rfc dns_cache_init use_dns_cache
	use_dns_failover dns_cache_flags dns_cache_negative_ttl dns_cache_min_ttl
	dns_cache_max_ttl dns_cache_mem dns_cache_gc_interval dns_cache_del_nonexp
	dns_cache_delete_nonexpired dns_cache_rec_pref auto_bind_ipv6
	bind_ipv6_link_local dst_blocklist_init use_dst_blocklist dst_blocklist_mem
	dst_blocklist_expire dst_blocklist_ttl dst_blocklist_gc_interval
	dst_blocklist_udp_imask dst_blocklist_tcp_imask dst_blocklist_tls_imask
	dst_blocklist_sctp_imask dst_blacklist_init use_dst_blacklist
	dst_blacklist_mem dst_blacklist_expire dst_blacklist_ttl
	dst_blacklist_gc_interval dst_blacklist_udp_imask dst_blacklist_tcp_imask
	dst_blacklist_tls_imask dst_blacklist_sctp_imask ip_free_bind ipfreebind
	ip_nonlocal_bind statistics maxbuffer sql_buffer_size socket_workers
	async_workers async_usleep async_nonblock async_workers_group check_via
	phone2tel memlog mem_log memdbg mem_dbg mem_summary mem_safety mem_join
	mem_status_mode mem_add_size corelog core_log reply_to_via user uid group
	gid chroot workdir wdir rundir run_dir mhomed tcp_accept_aliases
	tcp_accept_unique tcp_send_timeout tcp_connect_timeout
	tcp_connection_lifetime tcp_connection_match tcp_poll_method
	tcp_max_connections tls_max_connections tcp_no_connect tcp_source_ipv4
	tcp_source_ipv6 tcp_fd_cache tcp_buf_write tcp_async tcp_conn_wq_max
	tcp_wq_max tcp_rd_buf_size tcp_wq_blk_size tcp_defer_accept
	tcp_delayed_ack tcp_syncnt tcp_linger2 tcp_keepalive tcp_keepidle
	tcp_keepintvl tcp_keepcnt tcp_crlf_ping tcp_accept_no_cl tcp_accept_hep3
	tcp_accept_haproxy tcp_clone_rcvbuf tcp_reuse_port tlslog tls_log
	tls_port_no tls_method tls_verify tls_require_certificate tls_certificate
	tls_private_key tls_ca_list tls_handshake_timeout tls_send_timeout
	tls_threads_mode sctp_children disable_core_dump open_files_limit shm
	shm_mem shm_mem_size shm_force_alloc mlock_pages real_time rt_prio
	rt_policy rt_timer1_prio rt_fast_timer_prio rt_ftimer_prio
	rt_timer1_policy rt_ftimer_policy rt_timer2_prio rt_stimer_prio
	rt_timer2_policy rt_stimer_policy mcast_loopback mcast_ttl mcast tos
	pmtu_discovery exit_timeout ser_kill_timeout pv_buffer_size
	pv_buffer_slots pv_cache_limit pv_cache_action http_reply_hack
	http_reply_parse version_table verbose_startup server_id route_locks_size
	latency_cfg_log latency_log latency_limit_db latency_limit_action
	latency_limit_cfg uri_host_extra_chars msg_time udp_mtu udp_mtu_try_proto
	udp4_raw udp4_raw_mtu udp4_raw_ttl received_route_mode sip_parser_log
	sip_parser_log_oneline sip_parser_mode wait_worker1_mode wait_worker1_time
	wait_worker1_usleep rpc_exec_delta force_rport local_rport
	udp_receiver_mode
`)

// applyGlobals reads the global section into c.e.Settings.
func (c *compiler) applyGlobals() {
	s := &c.e.Settings
	for _, g := range c.cfg.Globals {
		switch {
		case g.Name == "listen":
			if sl, ok := g.Value.(*SocketList); ok {
				s.Listen = append(s.Listen, sl)
			}
			continue
		case g.Name == "alias":
			if sl, ok := g.Value.(*SocketList); ok {
				s.Aliases = append(s.Aliases, sl.Addrs...)
			}
			continue
		case strings.HasPrefix(g.Name, "kemi."):
			s.Raw[g.Name] = g.Value
			s.Ignored = append(s.Ignored, g.Name+" at "+g.Pos.String())
			continue
		}
		p, known := globalParams[g.Name]
		if !known {
			if ignoredGlobals[g.Name] {
				s.Raw[g.Name] = g.Value
				s.Ignored = append(s.Ignored, g.Name+" at "+g.Pos.String())
				continue
			}
			msg := fmt.Sprintf("unknown global parameter %q", g.Name)
			if sug := suggest(g.Name, globalNames()); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
			c.errorf(g.Pos, "%s", msg)
			continue
		}
		s.Raw[g.Name] = g.Value
		switch p.kind {
		case gInt, gBool:
			n, ok := g.Value.(*IntLit)
			if !ok {
				what := "a number"
				if p.kind == gBool {
					what = "yes or no (1 or 0)"
				}
				c.errorf(g.Value.Position(), "%s needs %s, found %s", g.Name, what, describeExpr(g.Value))
				continue
			}
			p.set(s, n.Value, "")
		case gStr:
			var str string
			switch v := g.Value.(type) {
			case *StrLit:
				str = v.Value
			case *Ident:
				str = v.Name
			case *IPLit:
				str = v.Addr
			case *IntLit:
				str = v.Text
			default:
				c.errorf(g.Value.Position(), "%s needs a string, found %s", g.Name, describeExpr(g.Value))
				continue
			}
			p.set(s, 0, str)
		}
	}
	s.Sockets = c.cfg.Sockets
	if s.MaxWhileLoops <= 0 {
		s.MaxWhileLoops = 100
	}
	if s.MaxRecursiveLevel <= 0 {
		s.MaxRecursiveLevel = 256
	}
}

var globalNameList []string

func globalNames() []string {
	if globalNameList == nil {
		var l []string
		for n := range globalParams {
			l = append(l, n)
		}
		for n := range ignoredGlobals {
			l = append(l, n)
		}
		l = append(l, "listen", "alias")
		sort.Strings(l)
		globalNameList = l
	}
	return globalNameList
}

// suggest returns the candidate closest to name by edit distance, when it
// is close enough to be a likely misspelling.
func suggest(name string, candidates []string) string {
	limit := min(2, len(name)/4+1)
	best, bestD := "", limit+1
	for _, cand := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(cand)); d < bestD {
			best, bestD = cand, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment): a swap of two neighbours counts as one edit.
func editDistance(a, b string) int {
	la, lb := len(a), len(b)
	d := make([][]int, la+1)
	for i := range d {
		d[i] = make([]int, lb+1)
		d[i][0] = i
	}
	for j := 0; j <= lb; j++ {
		d[0][j] = j
	}
	for i := 1; i <= la; i++ {
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[la][lb]
}
