package runes

import (
	"testing"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"abc", 0, ""},
		{"Cymraeg: ŵ ŷ", 10, "Cymraeg: ŵ"},
		{"ŵŷŵ", 2, "ŵŷ"},
		{"ŵŷ", 2, "ŵŷ"},
		{"😀😀", 1, "😀"},
	} {
		if got := Truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q; want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// FuzzTruncate: valid text stays valid, is a prefix of the input, and holds
// min(n, its runes) runes.
func FuzzTruncate(f *testing.F) {
	f.Add("Cymraeg: ŵ ŷ", 4)
	f.Add("😀 emoji", 1)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !utf8.ValidString(s) || n < 0 || n > 1<<16 {
			return
		}
		got := Truncate(s, n)
		if !utf8.ValidString(got) || len(got) > len(s) || s[:len(got)] != got {
			t.Fatalf("Truncate(%q, %d) = %q; want a valid prefix", s, n, got)
		}
		if c, want := utf8.RuneCountInString(got), min(n, utf8.RuneCountInString(s)); c != want {
			t.Fatalf("Truncate(%q, %d) has %d runes; want %d", s, n, c, want)
		}
	})
}
