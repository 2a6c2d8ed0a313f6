// Package version reports the build's version, set at link time with
// -ldflags "-X github.com/govchat/govchat/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the release name; "dev" for local builds.
var Version = "dev"

// String is the version plus the VCS revision when the build recorded one.
func String() string {
	rev := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
	}
	if rev == "" {
		return Version
	}
	return Version + " (" + rev + ")"
}
