// Package registrar is the "registrar" module: the SIP registrar of RFC
// 3261 section 10.
//
// save() processes a REGISTER: it stores, refreshes or removes the
// bindings of the To AoR in a usrloc location table (expires from the
// Contact parameter, else the Expires header, else default_expires,
// bounded by min_expires and max_expires; q order; Call-ID/CSeq
// ordering; Path; the received address of a NATed UA) and answers with
// the 200 OK that lists every current binding, or with the error reply
// (400, 420, 423, 500, 503) and a P-Registrar-Error header. lookup()
// turns the Request-URI into the registered contacts: the first one (the
// highest q) becomes the Request-URI, the others branches that tm forks
// to. registrar finds usrloc through module.Linker, as Kamailio's
// registrar binds usrloc's API.
package registrar
