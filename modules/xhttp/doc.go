// Package xhttp is the "xhttp" module: HTTP requests that arrive on a SIP
// TCP or TLS listener (same port as SIP, as in Kamailio) run
// event_route[xhttp:request], where $hu is the URL, $hdr(...) the HTTP
// headers, $rb the body, and xhttp_reply() answers. The transport hands
// such connections over (transport.Manager.SetHTTPHandler); the server
// calls Instance.Serve with the running configuration.
package xhttp
