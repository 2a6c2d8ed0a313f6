package source

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathLen is the longest base path ReadPaths and Sitemap accept, in bytes.
const MaxPathLen = 2048

// ReadPaths reads base paths, one a line. Blank lines and lines starting
// with "#" are ignored, surrounding spaces are trimmed, and repeated paths are
// kept once, in first-seen order. A bad line makes the whole read fail, with
// the line number in the error, so a typo never silently drops a page.
func ReadPaths(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	// Room for the longest path plus generous surrounding space.
	sc.Buffer(make([]byte, 0, 4096), MaxPathLen+1024)
	var paths []string
	seen := make(map[string]bool)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if err := checkPath(s); err != nil {
			return nil, fmt.Errorf("source: paths line %d: %w", line, err)
		}
		if !seen[s] {
			seen[s] = true
			paths = append(paths, s)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("source: paths line %d: longer than %d bytes", line+1, MaxPathLen)
		}
		return nil, fmt.Errorf("source: reading paths after line %d: %w", line, err)
	}
	return paths, nil
}

// checkPath reports why p cannot be a GOV.UK base path appended to a
// Content API URL, or nil when it can.
func checkPath(p string) error {
	switch {
	case len(p) > MaxPathLen:
		return fmt.Errorf("path is %d bytes, longer than %d", len(p), MaxPathLen)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %.80q does not start with \"/\"", p)
	case strings.HasPrefix(p, "//"):
		return fmt.Errorf("path %.80q starts with \"//\"", p)
	case strings.Contains(p, ".."):
		return fmt.Errorf("path %.80q contains \"..\"", p)
	case !utf8.ValidString(p):
		return fmt.Errorf("path %.80q is not valid UTF-8", p)
	}
	for _, r := range p {
		switch {
		case unicode.IsSpace(r):
			return fmt.Errorf("path %.80q contains white space", p)
		case unicode.IsControl(r):
			return fmt.Errorf("path %.80q contains a control character", p)
		case r == '?' || r == '#' || r == '\\':
			return fmt.Errorf("path %.80q contains %q", p, r)
		}
	}
	return nil
}
