package rpc

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/olelo-sip/olelo/module"
)

// StatsProvider is implemented by module instances that export counters
// (Kamailio's statistics: sl:200_replies, tm:UAS_transactions ...).
// Statistics returns the current values keyed "group:name". It uses only
// built-in types so that a module implements it without importing this
// package; the server finds it on the instances of the running
// configuration.
type StatsProvider interface {
	Statistics() map[string]uint64
}

// StatsSource returns counters keyed "group:name".
type StatsSource func() map[string]uint64

// Stats is the registry behind stats.get_statistics: the core counters,
// the runtime's memory (the shmem group) and those of the sources added
// (the modules). Counters only grow; a reset records the current value
// as the new zero, so sources need no reset of their own.
type Stats struct {
	mu       sync.Mutex
	sources  []StatsSource
	baseline map[string]uint64
}

// NewStats returns a registry with the shmem group.
func NewStats() *Stats {
	s := &Stats{baseline: map[string]uint64{}}
	s.Add(shmemStats)
	return s
}

// Add adds a source.
func (s *Stats) Add(src StatsSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources = append(s.sources, src)
}

// stat is one counter.
type stat struct {
	group, name string
	value       uint64
}

// Snapshot returns the counters, sorted by group and name, after resets.
func (s *Stats) snapshot() []stat {
	s.mu.Lock()
	sources := slices.Clone(s.sources)
	s.mu.Unlock()
	var out []stat
	for _, src := range sources {
		for k, v := range src() {
			g, n, ok := strings.Cut(k, ":")
			if !ok {
				g, n = "core", k
			}
			out = append(out, stat{g, n, v})
		}
	}
	s.mu.Lock()
	for i := range out {
		if b, ok := s.baseline[out[i].group+":"+out[i].name]; ok {
			out[i].value -= min(b, out[i].value)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b stat) int {
		if c := strings.Compare(a.group, b.group); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

// Get returns the values keyed "group:name" (after resets).
func (s *Stats) Get() map[string]uint64 {
	out := map[string]uint64{}
	for _, st := range s.snapshot() {
		out[st.group+":"+st.name] = st.value
	}
	return out
}

// matches reports whether a counter is selected by a query: "all",
// "group:" (a whole group), "group:name", or "name" (in any group).
func (st stat) matches(q string) bool {
	switch {
	case q == "all":
		return true
	case strings.HasSuffix(q, ":"):
		return st.group == q[:len(q)-1]
	case strings.Contains(q, ":"):
		return st.group+":"+st.name == q
	}
	return st.name == q
}

// Methods returns stats.get_statistics, stats.reset_statistics and
// stats.fetch.
func (s *Stats) Methods() []module.RPC {
	return []module.RPC{
		{Name: "stats.get_statistics", Doc: `Returns counters as "group:name = value" strings; parameters: "all", "group:", "group:name" or "name".`,
			Run: func(_ context.Context, p module.RPCParams) (any, error) {
				qs, err := queries(p)
				if err != nil {
					return nil, err
				}
				out := []string{}
				for _, st := range s.snapshot() {
					if slices.ContainsFunc(qs, st.matches) {
						out = append(out, st.group+":"+st.name+" = "+strconv.FormatUint(st.value, 10))
					}
				}
				return out, nil
			}},
		{Name: "stats.fetch", Doc: `Returns counters as an object {"group.name": "value"}; parameters as for stats.get_statistics.`,
			Run: func(_ context.Context, p module.RPCParams) (any, error) {
				qs, err := queries(p)
				if err != nil {
					return nil, err
				}
				out := map[string]string{}
				for _, st := range s.snapshot() {
					if slices.ContainsFunc(qs, st.matches) {
						out[st.group+"."+st.name] = strconv.FormatUint(st.value, 10)
					}
				}
				return out, nil
			}},
		{Name: "stats.reset_statistics", Doc: `Sets counters back to 0; parameters as for stats.get_statistics.`,
			Run: func(_ context.Context, p module.RPCParams) (any, error) {
				qs, err := queries(p)
				if err != nil {
					return nil, err
				}
				cur := s.snapshot()
				s.mu.Lock()
				defer s.mu.Unlock()
				for _, st := range cur {
					if slices.ContainsFunc(qs, st.matches) {
						k := st.group + ":" + st.name
						s.baseline[k] += st.value
					}
				}
				return nil, nil
			}},
	}
}

// queries returns the parameters as strings; none is a 400 error, as in
// Kamailio.
func queries(p module.RPCParams) ([]string, error) {
	if p.Len() == 0 {
		return nil, module.RPCErrorf(400, "Please provide which stats to retrieve")
	}
	qs := make([]string, p.Len())
	for i := range qs {
		q, err := p.Str(i)
		if err != nil {
			return nil, err
		}
		qs[i] = q
	}
	return qs, nil
}

// shmemStats is the shmem group from the Go runtime (see shmmem).
func shmemStats() map[string]uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	realUsed := m.HeapInuse + m.StackInuse
	return map[string]uint64{
		"shmem:total_size":     m.Sys,
		"shmem:used_size":      m.HeapAlloc,
		"shmem:real_used_size": realUsed,
		"shmem:max_used_size":  m.HeapSys,
		"shmem:free_size":      m.Sys - min(m.Sys, realUsed),
		"shmem:fragments":      m.HeapIdle / 8192,
	}
}
