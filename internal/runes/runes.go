// Package runes cuts text by characters (runes), not bytes, for the
// packages that cap what they store, embed or show.
package runes

// Truncate returns s cut to at most n runes, sharing s's bytes. It never
// splits a multi-byte character.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s // n bytes hold at most n runes
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
