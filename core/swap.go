package core

import (
	"context"
	"sync"
	"sync/atomic"
)

// Swapper is a Handler that forwards to a handler which can be replaced
// while messages are being handled (config reload). A message runs to the
// end on the handler it started with; Swap returns once every message
// still on the old handler is done, so the caller can then stop it.
type Swapper struct {
	cur atomic.Pointer[handlerRef]
}

type handlerRef struct {
	h Handler
	// mu is held shared by each message on h and exclusively by Swap
	// while it waits for them; retired is set under the exclusive lock.
	mu      sync.RWMutex
	retired bool
}

// NewSwapper returns a Swapper that starts with h.
func NewSwapper(h Handler) *Swapper {
	s := &Swapper{}
	s.cur.Store(&handlerRef{h: h})
	return s
}

// acquire returns the current handler, held until release.
func (s *Swapper) acquire() *handlerRef {
	for {
		r := s.cur.Load()
		r.mu.RLock()
		if !r.retired {
			return r
		}
		// Swapped between Load and RLock: take the new one.
		r.mu.RUnlock()
	}
}

// HandleRequest implements Handler.
func (s *Swapper) HandleRequest(ctx context.Context, req *Msg) {
	r := s.acquire()
	defer r.mu.RUnlock()
	r.h.HandleRequest(ctx, req)
}

// HandleResponse implements Handler.
func (s *Swapper) HandleResponse(ctx context.Context, resp *Msg) {
	r := s.acquire()
	defer r.mu.RUnlock()
	r.h.HandleResponse(ctx, resp)
}

// Swap installs h and returns the previous handler after the last
// message it was handling has finished.
func (s *Swapper) Swap(h Handler) Handler {
	old := s.cur.Swap(&handlerRef{h: h})
	old.mu.Lock()
	old.retired = true
	old.mu.Unlock()
	return old.h
}

// Current returns the handler new messages go to.
func (s *Swapper) Current() Handler { return s.cur.Load().h }
