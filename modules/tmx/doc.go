// Package tmx is the "tmx" module: tm's extras that Kamailio keeps in a
// separate module (t_precheck_trans, the route-type checks,
// t_flush_flags and the $T_* pseudo-variables).
package tmx
