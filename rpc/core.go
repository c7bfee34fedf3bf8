package rpc

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/olelo-sip/olelo/module"
)

// CoreConfig is what the core methods report about the running server.
// Every func field may be nil; the method then reports less.
type CoreConfig struct {
	// Name and Version make the version string ("olelo", "0.1.0").
	Name, Version string
	// Started is when the server started (core.uptime).
	Started time.Time
	// Roles describes what the process does, one line per role (core.ps
	// lists them all with the process id): "main process", the
	// listeners, "ctl handler" ...
	Roles func() []string
	// Reload compiles the configuration file again and swaps it in
	// (cfg.reload); an error leaves the running configuration.
	Reload func(ctx context.Context) error
	// Stats is the statistics registry (stats.*).
	Stats *Stats
	// Methods lists every method, for system.listMethods and
	// system.methodHelp (normally Dispatcher.Methods).
	Methods func() []module.RPC
}

// CoreMethods returns the core methods, with Kamailio's names and result
// shapes (see README.md).
func CoreMethods(c CoreConfig) []module.RPC {
	if c.Started.IsZero() {
		c.Started = time.Now()
	}
	versionString := c.Name + " " + c.Version + " (" + runtime.GOARCH + "/" + runtime.GOOS + ")"
	ms := []module.RPC{
		{Name: "core.version", Doc: "Returns the version string of the server.",
			Run: func(context.Context, module.RPCParams) (any, error) { return versionString, nil }},
		{Name: "core.uptime", Doc: "Returns the current time, the start time and the uptime in seconds.",
			Run: func(context.Context, module.RPCParams) (any, error) {
				now := time.Now()
				return map[string]any{
					"now":      now.Format(time.ANSIC),
					"up_since": c.Started.Format(time.ANSIC),
					"uptime":   int64(now.Sub(c.Started) / time.Second),
				}, nil
			}},
		{Name: "core.ps", Doc: "Returns the process id and a description of each role of the process, as a flat list.",
			Run: func(context.Context, module.RPCParams) (any, error) {
				roles := []string{"main process - attendant"}
				if c.Roles != nil {
					roles = c.Roles()
				}
				pid := os.Getpid()
				out := make([]any, 0, 2*len(roles))
				for _, r := range roles {
					out = append(out, pid, r)
				}
				return out, nil
			}},
		{Name: "core.info", Doc: "Returns the version, the build and the Go runtime.",
			Run: func(context.Context, module.RPCParams) (any, error) {
				return map[string]any{
					"version":  c.Name + " " + c.Version,
					"id":       buildID(),
					"compiler": runtime.Version(),
					"compiled": "",
					"flags":    "GOOS=" + runtime.GOOS + ", GOARCH=" + runtime.GOARCH + ", GOMAXPROCS=" + itoa(runtime.GOMAXPROCS(0)),
				}, nil
			}},
		{Name: "core.shmmem", Doc: "Returns memory use from the Go runtime, with Kamailio's shared memory keys.",
			Run: func(context.Context, module.RPCParams) (any, error) { return shmmem(), nil }},
		{Name: "cfg.reload", Doc: "Compiles the configuration file again and swaps it in; on an error the running configuration stays.",
			Run: func(ctx context.Context, _ module.RPCParams) (any, error) {
				if c.Reload == nil {
					return nil, module.RPCErrorf(500, "no configuration file to reload (started without -f)")
				}
				if err := c.Reload(ctx); err != nil {
					return nil, module.RPCErrorf(500, "%v", err)
				}
				return nil, nil
			}},
		{Name: "system.listMethods", Doc: "Returns the names of every method.",
			Run: func(context.Context, module.RPCParams) (any, error) {
				out := []string{}
				if c.Methods != nil {
					for _, m := range c.Methods() {
						out = append(out, m.Name)
					}
				}
				return out, nil
			}},
		{Name: "system.methodHelp", Doc: "Returns the description of a method.",
			Run: func(_ context.Context, p module.RPCParams) (any, error) {
				name, err := p.Str(0)
				if err != nil {
					return nil, err
				}
				if c.Methods != nil {
					for _, m := range c.Methods() {
						if m.Name == name {
							return m.Doc, nil
						}
					}
				}
				return nil, module.RPCErrorf(400, "command not found")
			}},
	}
	if c.Stats != nil {
		ms = append(ms, c.Stats.Methods()...)
	}
	return ms
}

// shmmem maps runtime.MemStats to Kamailio's core.shmmem keys: total is
// the memory obtained from the system (Sys), used the live heap
// (HeapAlloc), real_used the heap and stack spans in use, max_used the
// heap reserved (HeapSys, which only grows), free total - real_used.
// fragments has no Go equivalent and is the number of free heap spans'
// bytes divided by the page size (HeapIdle/8192), a rough count.
func shmmem() map[string]any {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	realUsed := m.HeapInuse + m.StackInuse
	free := uint64(0)
	if m.Sys > realUsed {
		free = m.Sys - realUsed
	}
	return map[string]any{
		"total":     m.Sys,
		"free":      free,
		"used":      m.HeapAlloc,
		"real_used": realUsed,
		"max_used":  m.HeapSys,
		"fragments": m.HeapIdle / 8192,
	}
}
