// Package pv implements Kamailio's pseudo-variables, transformations and
// format strings for olelo.
//
// The compiler calls Parse for each pseudo-variable of the script
// ("$ru", "$hdr(Via)", "$(avp(x)[*])", "$(ru{uri.user}{s.len})") and
// ParseFormat for each string argument that may hold them ("From $fu to
// $ru"). Both resolve class names through a Lookup built from the loaded
// modules (module.PVProvider), so other modules add classes ($sht, $T_*,
// $dlg_var ...) the same way this package adds the core ones; CoreLookup
// knows the core classes only.
//
// Parsing happens once, at load time: the class's PV, the index and the
// transformations (with constant parameters converted) are prepared, and
// per message only the reads run. The message classes read through the
// typed accessors of sip.Message, which parse a header once and cache it.
//
// The core classes are registered as one always-loaded module, "pv"
// (module.Module{Core: true}), whose instance also exports the pv
// module's functions pv_isset, pv_unset and is_int.
//
// Semantics follow Kamailio 5.6 as checked against the real server (see
// README.md): a missing header or value reads as null, which a format
// prints as "<null>"; a transformation that fails makes the read fail,
// and a format then prints nothing for it; $var lives for one message.
// README.md lists every class and transformation and what is not
// implemented.
package pv
