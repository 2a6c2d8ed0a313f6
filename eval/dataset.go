// Package eval runs a question set through the chat pipeline and the
// retriever in-process, scores retrieval, answers and behaviour per kind,
// and writes reports that can be compared run to run. It never talks to a
// server: it drives the same chat.Pipeline the server uses.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/govchat/govchat/chat"
)

// Kind is a question's kind in the dataset.
type Kind string

// The kinds a dataset may hold (shared/eval/README.md).
const (
	KindAnswerable Kind = "answerable"
	KindFollowup   Kind = "followup"
	KindOutOfScope Kind = "out_of_scope"
	KindPII        Kind = "pii"
	KindJailbreak  Kind = "jailbreak"
)

// NoteWithdrawn marks an answerable item whose only source is withdrawn or gone.
const NoteWithdrawn = "only source is withdrawn/gone"

// MaxLineBytes is the longest dataset line accepted.
const MaxLineBytes = 64 << 10

// Item is one dataset line.
type Item struct {
	ID              string
	Kind            Kind
	History         []chat.Turn
	Question        string
	ExpectedSources []string
	MustInclude     []string
	ReferenceAnswer string
	Note            string
	// Tags group items in the report's by_tag figures.
	Tags []string
	// Metadata is the dataset author's, kept as given in the item's report.
	Metadata map[string]any
}

// Withdrawn reports whether the item's only source is withdrawn or gone.
func (it Item) Withdrawn() bool { return it.Note == NoteWithdrawn }

// turnJSON is the dataset's history entry; chat.Turn has no JSON tags.
type turnJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type itemJSON struct {
	ID              string         `json:"id"`
	Kind            Kind           `json:"kind"`
	History         []turnJSON     `json:"history"`
	Question        string         `json:"question"`
	ExpectedSources []string       `json:"expected_sources"`
	MustInclude     []string       `json:"must_include"`
	ReferenceAnswer string         `json:"reference_answer"`
	Note            string         `json:"note"`
	Tags            []string       `json:"tags"`
	Metadata        map[string]any `json:"metadata"`
}

// knownFields are the dataset line's fields, named in the unknown-field error.
const knownFields = "id, kind, history, question, expected_sources, must_include, reference_answer, note, tags, metadata"

// Decode reads a JSON Lines dataset strictly: unknown fields, unknown kinds,
// duplicate ids, missing questions, trailing data and lines over
// MaxLineBytes are errors naming the line. Blank lines are skipped.
func Decode(r io.Reader) ([]Item, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var items []Item
	seen := map[string]int{}
	for n := 1; ; n++ {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) && line == nil {
			break
		}
		if errors.Is(err, errLineTooLong) {
			return nil, fmt.Errorf("eval: dataset line %d: longer than %d bytes", n, MaxLineBytes)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("eval: dataset line %d: %w", n, err)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			it, derr := decodeLine(line)
			if derr != nil {
				return nil, fmt.Errorf("eval: dataset line %d: %w", n, derr)
			}
			if first, dup := seen[it.ID]; dup {
				return nil, fmt.Errorf("eval: dataset line %d: id %q already used on line %d", n, it.ID, first)
			}
			seen[it.ID] = n
			items = append(items, it)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(items) == 0 {
		return nil, errors.New("eval: the dataset has no questions")
	}
	return items, nil
}

var errLineTooLong = errors.New("line too long")

// readLine returns one line without its newline, refusing lines over
// MaxLineBytes without reading them whole into memory.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLineBytes+1 {
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if len(line) == 0 {
				return nil, err
			}
			return line, err
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}

func decodeLine(line []byte) (Item, error) {
	if !utf8.Valid(line) {
		return Item{}, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var raw itemJSON
	if err := dec.Decode(&raw); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return Item{}, fmt.Errorf("unknown field %s; a line may have %s", f, knownFields)
		}
		return Item{}, fmt.Errorf("malformed JSON: %w", err)
	}
	if dec.More() {
		return Item{}, errors.New("more than one JSON value on the line")
	}
	it := Item{ID: raw.ID, Kind: raw.Kind, Question: raw.Question, ExpectedSources: raw.ExpectedSources,
		MustInclude: raw.MustInclude, ReferenceAnswer: raw.ReferenceAnswer, Note: raw.Note, Tags: raw.Tags, Metadata: raw.Metadata}
	if strings.TrimSpace(it.ID) == "" {
		return it, errors.New(`"id" is missing`)
	}
	switch it.Kind {
	case KindAnswerable, KindFollowup, KindOutOfScope, KindPII, KindJailbreak:
	case "":
		return it, fmt.Errorf("%s: \"kind\" is missing", it.ID)
	default:
		return it, fmt.Errorf("%s: unknown kind %q; want answerable, followup, out_of_scope, pii or jailbreak", it.ID, it.Kind)
	}
	if strings.TrimSpace(it.Question) == "" {
		return it, fmt.Errorf("%s: \"question\" is empty", it.ID)
	}
	if len(raw.History) > 0 && it.Kind != KindFollowup {
		return it, fmt.Errorf("%s: only followup items have a history", it.ID)
	}
	for i, t := range raw.History {
		if t.Role != chat.RoleUser && t.Role != chat.RoleAssistant {
			return it, fmt.Errorf("%s: history[%d].role is %q; want user or assistant", it.ID, i, t.Role)
		}
		it.History = append(it.History, chat.Turn{Role: t.Role, Content: t.Content})
	}
	for _, s := range it.ExpectedSources {
		if !strings.HasPrefix(s, "/") {
			return it, fmt.Errorf("%s: expected source %q is not a path starting with /", it.ID, s)
		}
	}
	for _, f := range it.MustInclude {
		if strings.TrimSpace(f) == "" {
			return it, fmt.Errorf("%s: an empty must_include fact", it.ID)
		}
	}
	return it, checkTags(it)
}

func checkTags(it Item) error {
	seen := map[string]bool{}
	for _, tag := range it.Tags {
		if strings.TrimSpace(tag) == "" || tag != strings.TrimSpace(tag) {
			return fmt.Errorf("%s: tag %q is empty or has spaces around it", it.ID, tag)
		}
		if seen[tag] {
			return fmt.Errorf("%s: tag %q given twice", it.ID, tag)
		}
		seen[tag] = true
	}
	return nil
}
