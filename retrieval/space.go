package retrieval

import (
	"context"
	"fmt"

	"github.com/govchat/govchat/store"
)

// InSpace is st searching sp whatever space is active: a re-embed gated by
// an evaluation searches the space it is building before switching to it.
func InSpace(st Store, sp store.Space) Store { return spaceStore{Store: st, sp: sp} }

type spaceStore struct {
	Store
	sp store.Space
}

func (s spaceStore) CheckSpace(ctx context.Context, model string, dims int) (store.Space, error) {
	if s.sp.Model != model || (dims != 0 && s.sp.Dimensions != dims) {
		return s.sp, fmt.Errorf("%w: space %d holds %q (%d dimensions), the embedder is %q (%d dimensions)",
			store.ErrModelMismatch, s.sp.ID, s.sp.Model, s.sp.Dimensions, model, dims)
	}
	return s.sp, nil
}
