package core

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type countingHandler struct {
	n       atomic.Int64
	running atomic.Int64
	stopped atomic.Bool
	t       *testing.T
}

func (h *countingHandler) HandleRequest(ctx context.Context, req *Msg) {
	if h.stopped.Load() {
		h.t.Error("message handled by a handler after Swap returned it")
	}
	h.running.Add(1)
	time.Sleep(50 * time.Microsecond)
	h.n.Add(1)
	h.running.Add(-1)
}
func (h *countingHandler) HandleResponse(ctx context.Context, resp *Msg) {}

// TestSwapWaitsForInFlight: after Swap returns the old handler, no message
// is running on it or starts on it.
func TestSwapWaitsForInFlight(t *testing.T) {
	a, b := &countingHandler{t: t}, &countingHandler{t: t}
	s := NewSwapper(a)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.HandleRequest(context.Background(), nil)
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	old := s.Swap(b).(*countingHandler)
	if old != a {
		t.Fatal("Swap returned the wrong handler")
	}
	if r := a.running.Load(); r != 0 {
		t.Fatalf("%d messages still running on the old handler after Swap", r)
	}
	a.stopped.Store(true)
	close(stop)
	wg.Wait()
	if a.n.Load() == 0 || s.Current() != b {
		t.Fatalf("handled by old: %d, current is new: %v", a.n.Load(), s.Current() == b)
	}
}
