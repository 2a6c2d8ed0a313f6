package server

import (
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters keeps one token bucket per key (an IP address or a conversation)
// and forgets buckets that have been idle long enough to be full again, so
// the map cannot grow without bound. Sweeps happen on use; no goroutine.
type limiters struct {
	limit rate.Limit
	burst int
	idle  time.Duration

	mu        sync.Mutex
	m         map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiters allows perMinute events a minute per key, with a burst of the
// same size.
func newLimiters(perMinute float64) *limiters {
	burst := max(1, int(math.Ceil(perMinute)))
	// A bucket idle for the time it takes to refill is the same as a new one.
	idle := time.Duration(float64(burst)/perMinute*float64(time.Minute)) + time.Minute
	return &limiters{limit: rate.Limit(perMinute / 60), burst: burst, idle: idle, m: map[string]*limiterEntry{}}
}

// allow takes one token from key's bucket.
func (l *limiters) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.idle {
		for k, e := range l.m {
			if now.Sub(e.seen) > l.idle {
				delete(l.m, k)
			}
		}
		l.lastSweep = now
	}
	e, ok := l.m[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}

func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// clientIP is the address rate limits count against. Behind a trusted proxy
// it is the last X-Forwarded-For entry: the one the proxy itself appended.
// Earlier entries come from the client and can be forged.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
