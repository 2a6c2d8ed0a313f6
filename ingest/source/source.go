// Package source finds raw guidance items for ingest: files in a directory,
// pages of the GOV.UK Content API, and the pages a sitemap lists. It only
// fetches bytes; parsing, chunking and storage happen elsewhere.
//
// Every source streams its items in a deterministic order through a yield
// callback, so memory stays bounded however many items there are. A failure
// that concerns one item (an unreadable file, a 500 after every retry) is
// reported in Item.Err and the run goes on; the error a source returns is for
// failures that end the run (a missing directory, a cancelled context, an
// unreadable sitemap).
package source

import (
	"errors"
	"log/slog"
	"net/http"
)

// Kinds of item, telling the parser what Body holds.
const (
	KindContentItem = "content-item" // GOV.UK Content API JSON
	KindHTML        = "html"
	KindMarkdown    = "markdown"
)

// Item is one raw item from a source.
type Item struct {
	Ref    string // base path ("/renew-adult-passport") or file path
	Origin string // file path or URL, for logs
	// Rel is a file's path under the directory read ("guides/bins.md"),
	// or its name when a single file was read; "" for fetched items. A page
	// with no usable URL of its own takes its path from it, never from
	// where the files happen to sit on this machine.
	Rel  string
	Kind string // KindContentItem, KindHTML or KindMarkdown
	Body []byte // nil when Err is set or the item is gone
	// Err is a failure of this item only. Stored content for Ref should be
	// left alone: the item may be back next time.
	Err error
	// Status is the final HTTP status for items fetched over HTTP, 0 for files.
	Status int
}

// Gone reports whether the server said the page no longer exists (404 or
// 410), so whatever was indexed for Ref should be removed.
func (it Item) Gone() bool {
	return it.Err == nil && (it.Status == http.StatusNotFound || it.Status == http.StatusGone)
}

// Errors that items and sources may wrap; check them with errors.Is.
var (
	// ErrTooLarge marks a file or body over its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrContentType marks a response whose Content-Type is not the one expected.
	ErrContentType = errors.New("unexpected content type")
	// ErrStatus marks a response with an HTTP status that is neither success nor gone.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrTooManyURLs marks a sitemap listing more URLs than allowed.
	ErrTooManyURLs = errors.New("too many URLs")
)

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
