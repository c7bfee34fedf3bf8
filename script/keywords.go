package script

import "strings"

// This file lists the words the Kamailio lexer treats as keywords. The facts
// (which words are keywords) come from Kamailio 5.6's cfg.lex; the lists are
// ours. A keyword is never replaced by a #!define of the same name: Kamailio
// only substitutes ID tokens, and a keyword is not an ID. So
// "#!define udp 1" leaves "listen=udp:..." alone, while "#!define lo 1" does
// change "listen=udp:lo:5060".

func wordSet(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// reservedWords are keyword tokens in Kamailio that our lexer returns as
// identifiers (the parser decides by text). They are exempt from define
// substitution.
var reservedWords = wordSet(`
	forward forward_tcp forward_udp forward_tls forward_sctp drop exit return break
	log error route request_route failure_route reply_route onreply_route
	branch_route onsend_route event_route exec force_rport add_rport
	add_local_rport force_tcp_alias add_tcp_alias udp_mtu udp_mtu_try_proto
	udp4_raw udp4_raw_mtu udp4_raw_ttl setflag resetflag isflagset flags bool
	setavpflag resetavpflag isavpflagset avpflags rewritehost sethost seth
	rewritehostport sethostport sethp rewritehostporttrans sethostporttrans sethpt
	rewriteuser setuser setu rewriteuserpass setuserpass setup rewriteport
	setport setp rewriteuri seturi revert_uri prefix strip strip_tail userphone
	remove_branch clear_branches if else set_advertised_address
	set_advertised_port force_send_socket set_forward_no_connect
	set_reply_no_connect set_forward_close set_reply_close switch case default
	while cfg_select cfg_reset max_len method uri status from_uri to_uri src_ip
	src_port dst_ip dst_port snd_ip snd_port snd_proto to_proto snd_af to_af
	to_ip to_port proto af myself
	debug fork fork_delay modinit_delay log_stderror log_facility log_name
	log_color log_prefix log_prefix_mode log_engine_type log_engine_data
	xavp_via_params xavp_via_fields listen advertise ADVERTISE alias
	auto_aliases dns rev_dns dns_try_ipv6 dns_try_naptr dns_srv_lb
	dns_srv_loadbalancing dns_udp_pref dns_udp_preference dns_tcp_pref
	dns_tcp_preference dns_tls_pref dns_tls_preference dns_sctp_pref
	dns_sctp_preference dns_retr_time dns_slow_query_ms dns_retr_no
	dns_servers_no dns_use_search_list dns_search_full_match
	dns_naptr_ignore_rfc dns_cache_init use_dns_cache use_dns_failover
	dns_cache_flags dns_cache_negative_ttl dns_cache_min_ttl dns_cache_max_ttl
	dns_cache_mem dns_cache_gc_interval dns_cache_del_nonexp
	dns_cache_delete_nonexpired dns_cache_rec_pref auto_bind_ipv6
	bind_ipv6_link_local dst_blacklist_init use_dst_blacklist dst_blacklist_mem
	dst_blacklist_expire dst_blacklist_ttl dst_blacklist_gc_interval
	dst_blacklist_udp_imask dst_blacklist_tcp_imask dst_blacklist_tls_imask
	dst_blacklist_sctp_imask ip_free_bind ipfreebind ip_nonlocal_bind port
	statistics maxbuffer sql_buffer_size children socket_workers async_workers
	async_usleep async_nonblock check_via phone2tel memlog mem_log memdbg
	mem_dbg mem_summary mem_safety mem_join mem_status_mode corelog core_log
	sip_warning server_signature server_header user_agent_header reply_to_via
	user uid group gid chroot workdir wdir rundir run_dir mhomed disable_tcp
	tcp_children tcp_accept_aliases tcp_accept_unique tcp_send_timeout
	tcp_connect_timeout tcp_connection_lifetime tcp_connection_match
	tcp_poll_method tcp_max_connections tls_max_connections tcp_no_connect
	tcp_source_ipv4 tcp_source_ipv6 tcp_fd_cache tcp_buf_write tcp_async
	tcp_conn_wq_max tcp_wq_max tcp_rd_buf_size tcp_wq_blk_size
	tcp_defer_accept tcp_delayed_ack tcp_syncnt tcp_linger2 tcp_keepalive
	tcp_keepidle tcp_keepintvl tcp_keepcnt tcp_crlf_ping tcp_accept_no_cl
	tcp_accept_hep3 tcp_accept_haproxy tcp_clone_rcvbuf tcp_reuse_port
	disable_tls tls_disable enable_tls tls_enable tlslog tls_log tls_port_no
	tls_method tls_verify tls_require_certificate tls_certificate
	tls_private_key tls_ca_list tls_handshake_timeout tls_send_timeout
	disable_sctp enable_sctp sctp_children advertised_address advertised_port
	disable_core_dump open_files_limit shm shm_mem shm_mem_size
	shm_force_alloc mlock_pages real_time rt_prio rt_policy rt_timer1_prio
	rt_fast_timer_prio rt_ftimer_prio rt_timer1_policy rt_ftimer_policy
	rt_timer2_prio rt_stimer_prio rt_timer2_policy rt_stimer_policy
	mcast_loopback mcast_ttl mcast tos pmtu_discovery exit_timeout
	ser_kill_timeout max_while_loops pv_buffer_size pv_buffer_slots
	pv_cache_limit pv_cache_action http_reply_hack http_reply_parse
	version_table verbose_startup server_id route_locks_size kemi
	onsend_route_callback reply_route_callback event_route_callback
	received_route_callback received_route_mode max_recursive_level
	max_branches latency_cfg_log latency_log latency_limit_db
	latency_limit_action latency_limit_cfg uri_host_extra_chars msg_time
	onsend_route_reply description descr desc loadmodule loadmodulex loadpath
	mpath modparam modparamx cfgengine include_file import_file
	udp UDP tcp TCP tls TLS sctp SCTP ws WS wss WSS
	sslv23 SSLv23 SSLV23 sslv2 SSLv2 SSLV2 sslv3 SSLv3 SSLV3 tlsv1 TLSv1 TLSV1
	selval socket coreparam
`)

// wordNumbers are words the Kamailio lexer turns into NUMBER tokens.
// inet/inet6 are the Linux values of AF_INET and AF_INET6.
var wordNumbers = map[string]int64{
	"yes": 1, "true": 1, "on": 1, "enable": 1,
	"no": 0, "false": 0, "off": 0, "disable": 0,
	"inet": 2, "INET": 2, "ipv4": 2,
	"inet6": 10, "INET6": 10, "ipv6": 10,
}

// wordOperators are operator keywords.
var wordOperators = map[string]tokKind{
	"not": tNot, "and": tAndAnd, "or": tOrOr, "mod": tMod,
	"eq": tStrEq, "ne": tStrNe, "ieq": tIntEq, "ine": tIntNe,
	"defined": tDefined, "strlen": tStrlen, "strempty": tStrempty,
}

// coreExprKeywords are the core "exp_elem" operands usable in expressions
// (spec §3.4): message fields and sockets compared with ==, != or =~.
var coreExprKeywords = wordSet(`
	method uri status from_uri to_uri src_ip src_port dst_ip dst_port
	snd_ip snd_port snd_proto to_proto snd_af to_af to_ip to_port proto af
	myself msg:len uri:host uri:port
`)

// bareActions are the core actions Kamailio 5.6 accepts without
// parentheses ("force_rport;"). Every other call needs "()".
var bareActions = wordSet(`
	force_rport add_rport add_local_rport force_tcp_alias add_tcp_alias
	set_forward_no_connect set_reply_no_connect set_forward_close
	set_reply_close revert_uri
`)

// transportProtos are the words accepted before "proto:" in socket
// addresses (listen=udp:..., force_send_socket(tcp:...)).
var transportProtos = wordSet(`udp tcp tls sctp ws wss any UDP TCP TLS SCTP WS WSS ANY`)

// routeKeywords maps the block keywords to their route kind.
var routeKeywords = map[string]RouteKind{
	"request_route": RequestRoute,
	"route":         RequestRoute,
	"failure_route": FailureRoute,
	"onreply_route": ReplyRoute,
	"reply_route":   ReplyRoute,
	"branch_route":  BranchRoute,
	"onsend_route":  OnSendRoute,
	"event_route":   EventRoute,
}

// topLevelKeywords start a top-level statement; a socket list (alias=a b)
// stops when it meets one of them.
var topLevelKeywords = wordSet(`
	loadmodule loadmodulex loadpath mpath modparam modparamx cfgengine flags
	bool avpflags socket coreparam request_route route failure_route
	onreply_route reply_route branch_route onsend_route event_route
	advertise ADVERTISE name virtual agname
`)

// defineCandidate reports whether an identifier may be replaced by a define.
func defineCandidate(t token) bool {
	if t.kind != tIdent || t.text == "" {
		return false
	}
	c := t.text[0]
	if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false // NUM_ID such as 1and1: never substituted
	}
	return !reservedWords[t.text] && !strings.ContainsAny(t.text, ":")
}
