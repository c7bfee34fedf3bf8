// Package tls is the tls module: the certificates and verification
// settings of olelo's TLS and WSS listeners and outbound TLS connections,
// given with Kamailio's tls modparams or a tls.cfg file.
package tls
