// Package htmlpage writes server-rendered HTML pages for the citizen's page
// (web) and the admin console (server) in the same way.
package htmlpage

import (
	"bytes"
	"html/template"
	"net/http"
)

// Write executes t with data and sends the result with status, marked
// not to be cached. The page is rendered in full first, so that a template
// error sends nothing: the caller can still answer with an error page.
func Write(w http.ResponseWriter, status int, t *template.Template, data any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}
