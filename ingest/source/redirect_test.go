package source

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// A redirect to another host (here an "internal" server on loopback) is not
// followed, nor retried; one within the base host is.
func TestContentAPIRedirectsStayOnTheBaseHost(t *testing.T) {
	internalSrv := newFakeAPI(t, map[string]script{"/secret": jsonBody(`{"base_path":"/secret"}`)})
	api := newFakeAPI(t, map[string]script{
		"/cross": func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, internalSrv.srv.URL+apiPrefix+"/secret", http.StatusFound)
		},
		"/moved": func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, apiPrefix+"/target", http.StatusMovedPermanently)
		},
		"/target": jsonBody(`{"base_path":"/target"}`),
	})
	c, _ := api.api("/cross", "/moved")
	c.AllowPrivate = true // both fakes are on loopback; this test is about hosts
	items := collect(t, c)
	if len(items) != 2 {
		t.Fatalf("got %d items; want 2", len(items))
	}
	if err := items[0].Err; !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "leaves") {
		t.Errorf("/cross: Err = %v; want ErrRedirect naming the host it leaves", err)
	}
	if n := internalSrv.total.Load(); n != 0 {
		t.Errorf("the other host got %d requests; want none", n)
	}
	if n := api.hitsFor("/cross"); n != 1 {
		t.Errorf("/cross was fetched %d times; a refused redirect must not be retried", n)
	}
	if items[1].Err != nil || !strings.Contains(string(items[1].Body), "/target") {
		t.Errorf("/moved: %v, body %q; want the redirect within the base host followed", items[1].Err, items[1].Body)
	}

	// By default a redirect never reaches a loopback or private address,
	// even on the same host.
	c.AllowPrivate = false
	c.Paths = []string{"/moved"}
	items = collect(t, c)
	if err := items[0].Err; !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "internal address") {
		t.Errorf("/moved without AllowPrivate: Err = %v; want ErrRedirect naming the internal address", err)
	}
}

func collect(t *testing.T, c ContentAPI) []Item {
	t.Helper()
	var items []Item
	if err := c.Items(context.Background(), func(it Item) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	return items
}

func TestRedirectPolicy(t *testing.T) {
	resolve := map[string][]netip.Addr{
		"www.gov.uk":      {netip.MustParseAddr("151.101.0.144")},
		"rebind.gov.uk":   {netip.MustParseAddr("151.101.0.144"), netip.MustParseAddr("10.0.0.7")},
		"metadata.gov.uk": {netip.MustParseAddr("169.254.169.254")},
	}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, err := netip.ParseAddr(host); err == nil {
			return []netip.Addr{a}, nil
		}
		if a, ok := resolve[host]; ok {
			return a, nil
		}
		return nil, errors.New("no such host")
	}
	policy := redirectPolicy(false, lookup)
	req := func(u string) *http.Request {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return (&http.Request{URL: p}).WithContext(context.Background())
	}
	tests := []struct {
		from, to string
		ok       bool
	}{
		{"https://www.gov.uk/api/content/a", "https://www.gov.uk/api/content/b", true},
		{"https://www.gov.uk/api/content/a", "https://WWW.GOV.UK/api/content/b", true},
		{"https://www.gov.uk/api/content/a", "http://www.gov.uk/api/content/b", false},
		{"https://www.gov.uk/api/content/a", "https://example.com/a", false},
		{"https://www.gov.uk/api/content/a", "http://169.254.169.254/latest/meta-data", false},
		{"https://www.gov.uk/api/content/a", "https://www.gov.uk:8443/a", false},
		{"https://rebind.gov.uk/a", "https://rebind.gov.uk/b", false},
		{"https://metadata.gov.uk/a", "https://metadata.gov.uk/b", false},
		{"http://[::1]:8080/a", "http://[::1]:8080/b", false},
		{"http://[::ffff:127.0.0.1]:80/a", "http://[::ffff:127.0.0.1]:80/b", false},
	}
	for _, tt := range tests {
		err := policy(req(tt.to), []*http.Request{req(tt.from)})
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrRedirect)) {
			t.Errorf("redirect %s -> %s: %v; want allowed %v", tt.from, tt.to, err, tt.ok)
		}
	}
	via := []*http.Request{req("https://www.gov.uk/a")}
	for range maxRedirects - 1 {
		via = append(via, req("https://www.gov.uk/a"))
	}
	if err := policy(req("https://www.gov.uk/b"), via); !errors.Is(err, ErrRedirect) {
		t.Errorf("redirect number %d: %v; want refused", len(via)+1, err)
	}
}
