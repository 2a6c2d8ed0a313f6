package source

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadPaths(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string // substring of the error; "" for none
	}{
		{name: "empty", in: "", want: nil},
		{
			name: "comments blanks and dedupe",
			in:   "# guidance\n/renew-adult-passport\n\n  /council-tax-bands  \n\t# indented comment\n/renew-adult-passport\n/\n",
			want: []string{"/renew-adult-passport", "/council-tax-bands", "/"},
		},
		{name: "CRLF line endings", in: "/a\r\n/b\r\n", want: []string{"/a", "/b"}},
		{name: "no trailing newline", in: "/a\n/b", want: []string{"/a", "/b"}},
		{name: "percent escapes kept", in: "/foo%20bar\n", want: []string{"/foo%20bar"}},
		{name: "no leading slash", in: "/ok\nrenew-adult-passport\n", wantErr: "line 2: path \"renew-adult-passport\" does not start with \"/\""},
		{name: "full URL", in: "https://www.gov.uk/x\n", wantErr: "line 1: path \"https://www.gov.uk/x\" does not start"},
		{name: "dot dot", in: "\n\n/a/../etc/passwd\n", wantErr: "line 3: path \"/a/../etc/passwd\" contains \"..\""},
		{name: "inner space", in: "/a b\n", wantErr: "line 1: path \"/a b\" contains white space"},
		{name: "inline comment", in: "/a # note\n", wantErr: "line 1: path \"/a # note\" contains white space"},
		{name: "tab inside", in: "/a\tb\n", wantErr: "line 1: path \"/a\\tb\" contains white space"},
		{name: "control character", in: "/a\x00b\n", wantErr: "line 1: path \"/a\\x00b\" contains a control character"},
		{name: "query", in: "/search?q=tax\n", wantErr: "line 1: path \"/search?q=tax\" contains '?'"},
		{name: "fragment", in: "/a#b\n", wantErr: "contains '#'"},
		{name: "scheme relative", in: "//evil.example/x\n", wantErr: "line 1: path \"//evil.example/x\" starts with \"//\""},
		{name: "invalid UTF-8", in: "/a\xffb\n", wantErr: "line 1: path \"/a\\xffb\" is not valid UTF-8"},
		{name: "too long", in: "/ok\n/" + strings.Repeat("a", MaxPathLen) + "\n", wantErr: "line 2: path is 2049 bytes, longer than 2048"},
		{name: "far too long for a line", in: "/ok\n/x\n/" + strings.Repeat("a", 10*MaxPathLen) + "\n", wantErr: "line 3: longer than 2048 bytes"},
		{name: "longest allowed", in: "/" + strings.Repeat("a", MaxPathLen-1), want: []string{"/" + strings.Repeat("a", MaxPathLen-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPaths(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadPaths() error = %v; want one containing %q", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "source: ") {
					t.Errorf("ReadPaths() error = %q; want the \"source: \" prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadPaths() error = %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ReadPaths() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestReadPathsReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := ReadPaths(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Fatalf("ReadPaths() error = %v; want it to wrap %v", err, boom)
	}
}

func FuzzReadPaths(f *testing.F) {
	for _, s := range []string{
		"", "/a\n/b\n", "# c\n\n/a\r\n", "/a b", "/../x", "a", "/a?b", "/\x00",
		"/" + strings.Repeat("x", MaxPathLen+5),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		paths, err := ReadPaths(strings.NewReader(in))
		if err != nil {
			if paths != nil {
				t.Fatalf("ReadPaths() = %q with error %v; want nil paths", paths, err)
			}
			return
		}
		seen := make(map[string]bool)
		for _, p := range paths {
			if err := checkPath(p); err != nil {
				t.Fatalf("ReadPaths() returned bad path %q: %v", p, err)
			}
			if seen[p] {
				t.Fatalf("ReadPaths() returned %q twice", p)
			}
			seen[p] = true
		}
	})
}
