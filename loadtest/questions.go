package loadtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ReadQuestions reads one question per line, or an eval dataset (JSONL with
// a "question" field; rows with a history are skipped, since a follow-up
// asked on its own is a different question). Blank lines and lines starting
// with # are ignored.
func ReadQuestions(r io.Reader) ([]string, error) {
	var qs []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "{") {
			qs = append(qs, line)
			continue
		}
		var row struct {
			Question string            `json:"question"`
			History  []json.RawMessage `json:"history"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			return nil, fmt.Errorf("loadtest: questions line %d: %w", n, err)
		}
		if row.Question != "" && len(row.History) == 0 {
			qs = append(qs, row.Question)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("loadtest: questions: %w", err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("loadtest: questions: none found")
	}
	return qs, nil
}
