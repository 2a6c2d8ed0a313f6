package server

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func FuzzParseFilter(f *testing.F) {
	f.Add("2026-01-31", "2026-02-01", "answered", "genuine_rag", "useful", "/renew-adult-passport", "passport", "10", "50")
	f.Add("31/01/2026", "", "happy", "nonsense", "maybe", "", strings.Repeat("x", 300), "-5", "99999")
	f.Fuzz(func(t *testing.T, from, to, status, label, feedback, page, q, offset, limit string) {
		v := url.Values{"from": {from}, "to": {to}, "status": {status}, "label": {label}, "feedback": {feedback},
			"page": {page}, "q": {q}, "offset": {offset}, "limit": {limit}}
		form, af := parseFilter(httptest.NewRequest("GET", "/admin/conversations?"+v.Encode(), nil))
		if form.Offset < 0 || af.Limit < 1 || af.Limit > 1000 {
			t.Fatalf("offset %d limit %d out of range", form.Offset, af.Limit)
		}
		if len(form.Errors) == 0 {
			if af.Status != "" && !slices.Contains(form.Statuses, af.Status) || af.Label != "" && !slices.Contains(form.Labels, af.Label) {
				t.Fatalf("an unknown status %q or label %q passed", af.Status, af.Label)
			}
			if from != "" && af.From.Format("2006-01-02") != from || to != "" && af.To.AddDate(0, 0, -1).Format("2006-01-02") != to {
				t.Fatalf("dates %q %q read as %v %v", from, to, af.From, af.To)
			}
		}
		// The query the pages link to reads back as the same filter.
		again, af2 := parseFilter(httptest.NewRequest("GET", "/admin/conversations?"+form.query(form.Offset), nil))
		if len(again.Errors) != len(form.Errors) || af2.Status != af.Status || af2.Text != af.Text || af2.Page != af.Page || af2.Offset != af.Offset {
			t.Fatalf("the filter did not survive its own query: %+v then %+v", af, af2)
		}
	})
}

func FuzzSession(f *testing.F) {
	s := &Server{cfg: Config{AdminToken: "fuzz-token"}}
	// A fixed expiry (1 January 2100): the fuzzing workers run this
	// function again in their own processes, and a session made from
	// time.Now() there could differ from the seed made here by a second.
	good := s.newSession(time.Unix(4102444800, 0))
	f.Add(good)
	f.Add("9999999999.AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		if v != good && s.validSession(v) {
			t.Fatalf("a made-up session %q was accepted", v)
		}
	})
}

func TestSessions(t *testing.T) {
	s := &Server{cfg: Config{AdminToken: "one"}}
	other := &Server{cfg: Config{AdminToken: "two"}}
	v := s.newSession(time.Now().Add(time.Hour))
	if !s.validSession(v) || other.validSession(v) || s.validSession(s.newSession(time.Now().Add(-time.Second))) {
		t.Error("a session must hold only for its own token and until it expires")
	}
	if s.csrfToken(v) == other.csrfToken(v) || s.csrfToken(v) == s.csrfToken(s.newSession(time.Now().Add(2*time.Hour))) {
		t.Error("CSRF tokens must differ between tokens and between sessions")
	}
	for next, want := range map[string]string{"/admin/feedback?x=1": "/admin/feedback?x=1", "https://evil.example": "/admin/conversations",
		"//evil.example/admin/": "/admin/conversations", "/admin/\\evil": "/admin/conversations", "": "/admin/conversations"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q; want %q", next, got, want)
		}
	}
}
