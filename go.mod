module github.com/olelo-sip/olelo

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	golang.org/x/sys v0.49.0
)
