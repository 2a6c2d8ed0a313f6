package ingest

import (
	"context"
	"fmt"

	"github.com/govchat/govchat"
	src "github.com/govchat/govchat/ingest/source"
)

// ItemSource yields raw items: a directory, the Content API or a sitemap.
type ItemSource interface {
	Items(ctx context.Context, yield func(src.Item) error) error
}

// Collect reads every item from src and parses it. A per-item failure is
// kept as Parsed.Err (the run goes on; stored content is left alone); a
// Content API 404 or 410 is a removal.
func Collect(ctx context.Context, from ItemSource, opts ParseOptions) ([]Parsed, error) {
	var out []Parsed
	err := from.Items(ctx, func(it src.Item) error {
		out = append(out, ParseItem(it, opts))
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("ingest: read source: %w", err)
	}
	sortParsed(out)
	return out, nil
}

// ParseItem parses one raw item.
func ParseItem(it src.Item, opts ParseOptions) Parsed {
	if it.Gone() {
		return Parsed{Doc: govchat.Document{BasePath: it.Ref, Locale: "en", Origin: it.Origin}, Remove: true,
			Reason: fmt.Sprintf("the source answered %d (gone)", it.Status)}
	}
	if it.Err != nil {
		return Parsed{Doc: govchat.Document{BasePath: it.Ref, Origin: it.Origin}, Err: it.Err}
	}
	var (
		doc  govchat.Document
		skip Skip
		err  error
	)
	switch it.Kind {
	case src.KindContentItem:
		doc, skip, err = ParseContentItem(it.Body, it.Origin, opts)
	default:
		// The name gives the page its path when it has no usable URL.
		name := it.Origin
		if it.Rel != "" {
			name = it.Rel
		}
		doc, skip, err = ParsePage(it.Body, name, opts)
	}
	if err != nil {
		return Parsed{Doc: govchat.Document{BasePath: it.Ref, Origin: it.Origin}, Err: err}
	}
	doc.Origin = it.Origin
	return Parsed{Doc: doc, Remove: skip.Skipped(), Reason: skip.Reason}
}
