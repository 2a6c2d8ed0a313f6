package server

import (
	"net/http"
	"net/url"
	"strings"
)

// checkOrigin allows a websocket from the page's own host, from an allowed
// origin, or with no Origin header at all (not a browser: browsers always
// send one, so a cross-site page cannot use this).
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if n, ok := normalOrigin(origin); ok && s.origins[n] {
		return true
	}
	s.metrics.connsRejected.WithLabelValues("origin").Inc()
	return false
}

// normalOrigin lower-cases scheme://host[:port] and refuses anything else.
func normalOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// crossOriginProtection refuses cross-site requests to the citizen's own
// endpoints and the console's forms, like the page's form (see package web),
// trusting the allowed origins.
func (s *Server) crossOriginProtection() *http.CrossOriginProtection {
	cop := http.NewCrossOriginProtection()
	for o := range s.origins {
		_ = cop.AddTrustedOrigin(o)
	}
	return cop
}
