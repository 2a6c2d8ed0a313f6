package cli

import (
	"context"
	"errors"
)

func runLoadtest(ctx context.Context, io IO, args []string) error {
	return errors.New("loadtest: being written")
}
