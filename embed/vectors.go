// Package embed turns text into vectors without a network: a local embedder
// built on public-domain GloVe word vectors (SIF-weighted, common component
// removed) combined with hashed lexical features, and a purely lexical
// baseline.
package embed

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"unicode/utf8"
)

// ErrCorrupt reports a vector file that is truncated, damaged or not a vector
// file at all. Rebuild it with `make vectors`.
var ErrCorrupt = errors.New("embed: corrupt vector file")

// The vector file layout, all integers little-endian:
//
//	header   magic "GVCHVEC1", version u32, dims u32, count u32, wordBytes u32
//	common   dims × float32: the unit common component removed from every text
//	words    count × (uvarint length, UTF-8 bytes), most frequent word first
//	scales   count × float32: each word vector is scale × its int8 codes
//	codes    count × dims × int8
//	trailer  SHA-256 of everything before it
//
// Words are in frequency order, so a word's position is its frequency rank.
const (
	fileMagic   = "GVCHVEC1"
	fileVersion = 1
	headerSize  = 8 + 4*4
	maxDims     = 4096
	maxWords    = 10_000_000
	maxWordLen  = 256
)

// Vectors is a loaded vector file: a frequency-ordered vocabulary of int8
// quantised word vectors.
type Vectors struct {
	dims   int
	words  []string
	index  map[string]int32
	scales []float32
	codes  []byte // int8 values
	common []float32
	sum    [sha256.Size]byte
}

// Dims is the word vector dimension.
func (v *Vectors) Dims() int { return v.dims }

// Len is the vocabulary size.
func (v *Vectors) Len() int { return len(v.words) }

// Checksum is the hex SHA-256 trailer of the file the vectors came from.
func (v *Vectors) Checksum() string { return hex.EncodeToString(v.sum[:]) }

// rank returns the 0-based frequency rank of word, or -1 when it is unknown.
func (v *Vectors) rank(word string) int {
	i, ok := v.index[word]
	if !ok {
		return -1
	}
	return int(i)
}

// addTo adds w times the vector of the word at rank r to dst.
func (v *Vectors) addTo(dst []float32, r int, w float32) {
	s := v.scales[r] * w
	codes := v.codes[r*v.dims : (r+1)*v.dims]
	for i, c := range codes {
		dst[i] += s * float32(int8(c))
	}
}

// LoadVectors reads and verifies a vector file written by BuildVectorFile.
func LoadVectors(path string) (*Vectors, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("embed: vector file %s does not exist: run `make vectors` (scripts/vectors.sh) to build it: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("embed: read vector file: %w", err)
	}
	v, err := decodeVectors(data, true)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w; rebuild it with `make vectors`", ErrCorrupt, path, err)
	}
	return v, nil
}

// decodeVectors parses a vector file. verify=false skips the checksum so
// fuzzing can reach the parser.
func decodeVectors(data []byte, verify bool) (*Vectors, error) {
	if len(data) < headerSize+sha256.Size {
		return nil, fmt.Errorf("file is %d bytes, too short for a header", len(data))
	}
	if string(data[:8]) != fileMagic {
		return nil, errors.New("not a govchat vector file (bad magic)")
	}
	body, trailer := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	v := &Vectors{}
	copy(v.sum[:], trailer)
	if verify && sha256.Sum256(body) != v.sum {
		return nil, errors.New("checksum mismatch: the file is truncated or damaged")
	}
	le := binary.LittleEndian
	version := le.Uint32(data[8:])
	dims := le.Uint32(data[12:])
	count := le.Uint32(data[16:])
	wordBytes := le.Uint32(data[20:])
	switch {
	case version != fileVersion:
		return nil, fmt.Errorf("file format version %d, want %d", version, fileVersion)
	case dims == 0 || dims > maxDims:
		return nil, fmt.Errorf("dimension %d out of range", dims)
	case count == 0 || count > maxWords:
		return nil, fmt.Errorf("word count %d out of range", count)
	}
	want := uint64(headerSize) + 4*uint64(dims) + uint64(wordBytes) + 4*uint64(count) + uint64(count)*uint64(dims)
	if uint64(len(body)) != want {
		return nil, fmt.Errorf("file body is %d bytes, header implies %d", len(body), want)
	}
	v.dims = int(dims)
	off := headerSize
	v.common = make([]float32, dims)
	for i := range v.common {
		v.common[i] = math.Float32frombits(le.Uint32(body[off:]))
		off += 4
	}
	// One string holds every word, so the vocabulary is a single allocation.
	words := string(body[off : off+int(wordBytes)])
	off += int(wordBytes)
	if err := v.readWords(words, int(count)); err != nil {
		return nil, err
	}
	v.scales = make([]float32, count)
	for i := range v.scales {
		s := math.Float32frombits(le.Uint32(body[off:]))
		if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) || s < 0 {
			return nil, fmt.Errorf("bad scale for word %d", i)
		}
		v.scales[i] = s
		off += 4
	}
	v.codes = body[off:]
	if err := checkCommon(v.common); err != nil {
		return nil, err
	}
	return v, nil
}

// readWords fills the vocabulary from its encoding: count words, each a
// uvarint length and UTF-8 bytes, none repeated.
func (v *Vectors) readWords(words string, count int) error {
	v.words = make([]string, 0, count)
	v.index = make(map[string]int32, count)
	for len(words) > 0 {
		n, k := uvarint(words)
		if k <= 0 || n == 0 || n > maxWordLen || n > uint64(len(words)-k) {
			return fmt.Errorf("bad length for word %d", len(v.words))
		}
		w := words[k : k+int(n)]
		words = words[k+int(n):]
		if !utf8.ValidString(w) {
			return fmt.Errorf("word %d is not UTF-8", len(v.words))
		}
		if len(v.words) == count {
			return fmt.Errorf("more than %d words", count)
		}
		if _, dup := v.index[w]; dup {
			return fmt.Errorf("word %q appears twice", w)
		}
		v.index[w] = int32(len(v.words))
		v.words = append(v.words, w)
	}
	if len(v.words) != count {
		return fmt.Errorf("%d words, header says %d", len(v.words), count)
	}
	return nil
}

// checkCommon refuses a common component that is not a finite vector of at
// most unit length.
func checkCommon(common []float32) error {
	var norm float64
	for _, c := range common {
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return errors.New("bad common component")
		}
		norm += float64(c) * float64(c)
	}
	if norm > 1.01 {
		return errors.New("common component is not a unit vector")
	}
	return nil
}

// uvarint is binary.Uvarint for a string, avoiding a copy of the word table.
func uvarint(s string) (uint64, int) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<(7*i), i + 1
		}
		x |= uint64(b&0x7f) << (7 * i)
	}
	return 0, 0
}

// encodeVectors writes words (most frequent first) and their float vectors,
// quantised to int8 with a per-word scale, and computes the common component.
func encodeVectors(words []string, vecs [][]float32) ([]byte, error) {
	if len(words) == 0 || len(words) != len(vecs) {
		return nil, fmt.Errorf("embed: %d words and %d vectors", len(words), len(vecs))
	}
	dims := len(vecs[0])
	if dims == 0 || dims > maxDims {
		return nil, fmt.Errorf("embed: dimension %d out of range", dims)
	}
	var wb bytes.Buffer
	seen := make(map[string]bool, len(words))
	for i, w := range words {
		if w == "" || len(w) > maxWordLen || !utf8.ValidString(w) || seen[w] {
			return nil, fmt.Errorf("embed: bad or duplicate word %q at %d", w, i)
		}
		if len(vecs[i]) != dims {
			return nil, fmt.Errorf("embed: word %q has %d dimensions, want %d", w, len(vecs[i]), dims)
		}
		seen[w] = true
		wb.Write(binary.AppendUvarint(nil, uint64(len(w))))
		wb.WriteString(w)
	}
	scales := make([]float32, len(words))
	codes := make([]byte, len(words)*dims)
	for i, vec := range vecs {
		var maxAbs float32
		for _, x := range vec {
			maxAbs = max(maxAbs, float32(math.Abs(float64(x))))
		}
		if maxAbs == 0 {
			continue
		}
		scales[i] = maxAbs / 127
		for j, x := range vec {
			codes[i*dims+j] = byte(int8(math.Round(float64(x / scales[i]))))
		}
	}
	common := commonComponent(dims, scales, codes)

	le := binary.LittleEndian
	out := make([]byte, 0, headerSize+4*dims+wb.Len()+4*len(words)+len(codes)+sha256.Size)
	out = append(out, fileMagic...)
	out = le.AppendUint32(out, fileVersion)
	out = le.AppendUint32(out, uint32(dims))
	out = le.AppendUint32(out, uint32(len(words)))
	out = le.AppendUint32(out, uint32(wb.Len()))
	for _, c := range common {
		out = le.AppendUint32(out, math.Float32bits(c))
	}
	out = append(out, wb.Bytes()...)
	for _, s := range scales {
		out = le.AppendUint32(out, math.Float32bits(s))
	}
	out = append(out, codes...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...), nil
}

// commonSample is how many of the most frequent words estimate the common
// component: enough to cover almost all running text.
const commonSample = 50_000

// commonComponent estimates the first principal component of SIF-weighted
// text averages from the vocabulary alone: the top eigenvector of
// Σ p(w)·(sif(w)·v_w)(sif(w)·v_w)ᵀ over frequent words, p from Zipf rank.
// Power iteration from a fixed start keeps it deterministic.
func commonComponent(dims int, scales []float32, codes []byte) []float32 {
	n := min(len(scales), commonSample)
	z := zipf(len(scales))
	cov := make([]float64, dims*dims)
	row := make([]float64, dims)
	for r := range n {
		p := z.p(r)
		w := sifWeight(p, defaultSIF) * float64(scales[r])
		for j := range dims {
			row[j] = w * float64(int8(codes[r*dims+j]))
		}
		for a := range dims {
			ra := p * row[a]
			for b := range dims {
				cov[a*dims+b] += ra * row[b]
			}
		}
	}
	u := make([]float64, dims)
	for i := range u {
		u[i] = 1 / math.Sqrt(float64(dims))
	}
	next := make([]float64, dims)
	for range 200 {
		for a := range dims {
			var s float64
			for b := range dims {
				s += cov[a*dims+b] * u[b]
			}
			next[a] = s
		}
		var norm float64
		for _, x := range next {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			return make([]float32, dims)
		}
		var delta float64
		for i := range u {
			x := next[i] / norm
			delta += math.Abs(x - u[i])
			u[i] = x
		}
		if delta < 1e-9 {
			break
		}
	}
	out := make([]float32, dims)
	for i, x := range u {
		out[i] = float32(x)
	}
	return out
}

// zipfModel estimates a word's probability from its 0-based frequency rank.
type zipfModel struct{ h float64 }

func zipf(n int) zipfModel {
	// Harmonic number H_n ≈ ln n + γ normalises 1/rank to a distribution.
	return zipfModel{h: math.Log(float64(max(n, 1))) + 0.5772156649}
}

func (z zipfModel) p(rank int) float64 { return 1 / (float64(rank+1) * z.h) }

// defaultSIF is the SIF smoothing parameter a in a/(a+p(w)).
const defaultSIF = 1e-4

func sifWeight(p, a float64) float64 { return a / (a + p) }
