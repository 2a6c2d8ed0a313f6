package server

import (
	"net"
	"net/http"
	"strings"
)

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
