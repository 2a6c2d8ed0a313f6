// Package wait pauses for a while unless a context ends first: the one
// timer-and-select that retries and pacing loops share.
package wait

import (
	"context"
	"time"
)

// For waits d. It reports false, as soon as ctx ends, when ctx ends first.
func For(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
