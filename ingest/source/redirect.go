package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ErrRedirect marks a redirect the fetcher refused to follow.
var ErrRedirect = errors.New("redirect refused")

// maxRedirects is the most redirects one request follows.
const maxRedirects = 5

// redirectPolicy returns an http.Client CheckRedirect that follows a redirect
// only to the host of the first request, never from https to http, and,
// unless allowPrivate, never to an address that is loopback, private,
// link-local or unspecified: a page must not steer the ingester into the
// network it runs in.
func redirectPolicy(allowPrivate bool, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		to := req.URL
		switch {
		case len(via) >= maxRedirects:
			return fmt.Errorf("%w: more than %d redirects", ErrRedirect, maxRedirects)
		case !strings.EqualFold(to.Host, first.Host):
			return fmt.Errorf("%w: %s leaves %s", ErrRedirect, to.Redacted(), first.Host)
		case first.Scheme == "https" && to.Scheme != "https":
			return fmt.Errorf("%w: %s drops https", ErrRedirect, to.Redacted())
		}
		if allowPrivate {
			return nil
		}
		addrs, err := lookup(req.Context(), strings.ToLower(to.Hostname()))
		if err != nil {
			return fmt.Errorf("%w: resolving %s: %w", ErrRedirect, to.Hostname(), err)
		}
		for _, a := range addrs {
			if internal(a) {
				return fmt.Errorf("%w: %s resolves to the internal address %s", ErrRedirect, to.Hostname(), a)
			}
		}
		return nil
	}
}

// internal reports addresses no public content lives at.
func internal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) // carrier-grade NAT, cloud metadata proxies
}

// lookupHost resolves host, or parses it when it is an address.
func lookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// withRedirectPolicy returns c, or a copy of it, that follows redirects by
// redirectPolicy; a client with its own CheckRedirect keeps it.
func withRedirectPolicy(c *http.Client, allowPrivate bool) *http.Client {
	if c.CheckRedirect != nil {
		return c
	}
	cp := *c
	cp.CheckRedirect = redirectPolicy(allowPrivate, lookupHost)
	return &cp
}
