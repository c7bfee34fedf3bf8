// Package kex is the "kex" module: functions that look like core actions
// but live in Kamailio's kex module — branch and script flags, the
// destination URI ($du) helpers, is_myself and pv_printf.
package kex
