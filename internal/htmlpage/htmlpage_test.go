package htmlpage

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	page := template.Must(template.New("p").Parse(`<p>{{.}}</p>`))
	rec := httptest.NewRecorder()
	if err := Write(rec, http.StatusTeapot, page, "<b>"); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	if rec.Code != http.StatusTeapot || rec.Body.String() != "<p>&lt;b&gt;</p>" {
		t.Errorf("Write() sent %d %q; want 418 %q", rec.Code, rec.Body.String(), "<p>&lt;b&gt;</p>")
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q; want text/html; charset=utf-8", got)
	}

	broken := template.Must(template.New("p").Parse(`{{.Missing}}`))
	rec = httptest.NewRecorder()
	if err := Write(rec, http.StatusOK, broken, 1); err == nil {
		t.Error("Write(template failing on its data) = nil; want the error")
	}
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Errorf("a failed Write sent %q with headers %v; want nothing", rec.Body.String(), rec.Header())
	}
}
