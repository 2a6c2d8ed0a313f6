// Package web is the citizen's chat page: one HTML page built with the
// GOV.UK Design System, its own script and stylesheet, GOV.UK Frontend's
// built assets, and a form that works without JavaScript.
//
// With JavaScript, app.js talks to the server's websocket (/ws, see
// docs/protocol.md) and streams answers into the page. Without it, the
// page's form posts to /ask, which asks the injected Asker and renders the
// finished answer on the server.
//
// The page has no inline scripts or styles, so it runs under the server's
// Content-Security-Policy of default-src 'self' with no exceptions.
//
// POST /ask changes state (it stores a conversation), so it refuses
// cross-site requests: net/http.CrossOriginProtection rejects a post whose
// Sec-Fetch-Site header says it came from another site or, in browsers that
// do not send that header, whose Origin does not match the Host. Every
// browser in use sends one of the two on a cross-origin form post, so no
// token is needed; requests with neither come from something that is not a
// browser, which a cross-site request forgery cannot use. Options.TrustedOrigins
// adds origins allowed besides the page's own (the GOVCHAT_ALLOWED_ORIGINS
// setting is a natural source).
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/internal/htmlpage"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Asker answers one question sent in request r; *server.Door is one. It
// applies the service's guards (kill switch, rate limits, one question at a
// time) for the client who sent r. A refused question comes back with its
// Outcome's Status set to service_off, rate_limited or busy and the
// citizen's message as its Answer; the error may then carry a
// RetryAfter() time.Duration.
type Asker interface {
	AskFrom(ctx context.Context, r *http.Request, req chat.Request, ev chat.Events) (chat.Outcome, error)
}

// Options configure the page. The zero value of every field has a default.
type Options struct {
	// Dir holds the built front-end assets (scripts/web.sh writes them to
	// Dir/govuk). Default "web/dist", the GOVCHAT_WEB_DIR setting. When it
	// is missing the page still works with its own stylesheet.
	Dir string
	// Asker answers questions sent by the form without JavaScript: the
	// same guarded door as the websocket. When nil, POST /ask says the
	// service is not available.
	Asker Asker
	// Composer is how answers are made, "offline" or "llm", for the notice
	// shown before the page's script has heard the server's hello.
	Composer string
	// MaxQuestionChars is the longest question, in characters. Default 300.
	MaxQuestionChars int
	// TrustedOrigins are other origins (like "https://chat.example.gov.uk")
	// allowed to post the form; the page's own origin always is.
	TrustedOrigins []string
	// AskTimeout bounds one answer to the form. Default 60 seconds.
	AskTimeout time.Duration
	Logger     *slog.Logger
}

// handler serves the page and its assets.
type handler struct {
	opts   Options
	page   *template.Template
	govuk  bool // Dir/govuk/app.css exists
	assets map[string]asset
	mux    *http.ServeMux
}

// asset is one of our own embedded files.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// New returns the handler for GET /, GET /accessibility, POST /ask, /assets/app.js,
// /assets/app.css, /assets/favicon.svg and /assets/govuk/.
func New(opts Options) (http.Handler, error) {
	if opts.Dir == "" {
		opts.Dir = "web/dist"
	}
	if opts.MaxQuestionChars <= 0 {
		opts.MaxQuestionChars = 300
	}
	if opts.AskTimeout <= 0 {
		opts.AskTimeout = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	page, err := template.New("page.html").Funcs(template.FuncMap{
		"sourceHref":  sourceHref,
		"sourceLabel": sourceLabel,
		"longDate":    longDate,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parsing templates: %w", err)
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	h := &handler{opts: opts, page: page, assets: assets, mux: http.NewServeMux()}

	govukDir := filepath.Join(opts.Dir, "govuk")
	if _, err := os.Stat(filepath.Join(govukDir, "app.css")); err == nil {
		h.govuk = true
	} else {
		opts.Logger.Warn("web: GOV.UK Frontend assets not built; the page uses its own basic styles. Run `make web` to build them",
			"dir", govukDir)
	}

	cop, err := crossOrigin(opts.TrustedOrigins)
	if err != nil {
		return nil, err
	}
	h.mux.HandleFunc("GET /{$}", h.serveIndex)
	h.mux.HandleFunc("GET /accessibility", h.serveAccessibility)
	// Cross-site posts are refused: see the package comment.
	h.mux.Handle("POST /ask", cop.Handler(http.HandlerFunc(h.serveAsk)))
	h.mux.HandleFunc("GET /assets/app.js", h.serveAsset("app.js"))
	h.mux.HandleFunc("GET /assets/app.css", h.serveAsset("app.css"))
	h.mux.HandleFunc("GET /assets/favicon.svg", h.serveAsset("favicon.svg"))
	h.mux.Handle("GET /assets/govuk/", http.StripPrefix("/assets/govuk/", govukFiles(govukDir)))
	return h, nil
}

// loadAssets reads the page's own static files, each with its content type
// and an ETag from its digest.
func loadAssets() (map[string]asset, error) {
	assets := map[string]asset{}
	for name, ct := range map[string]string{
		"app.js":      "text/javascript; charset=utf-8",
		"app.css":     "text/css; charset=utf-8",
		"favicon.svg": "image/svg+xml",
	} {
		body, err := fs.ReadFile(staticFS, "static/"+name)
		if err != nil {
			return nil, fmt.Errorf("web: reading %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		assets[name] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return assets, nil
}

// crossOrigin refuses cross-site posts, except from the trusted origins,
// with a plain message.
func crossOrigin(trusted []string) (*http.CrossOriginProtection, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web: trusted origin %q: %w", o, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "This form must be sent from this service's own page.", http.StatusForbidden)
	}))
	return cop, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) serveAsset(name string) http.HandlerFunc {
	a := h.assets[name]
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", a.contentType)
		// Not versioned in the URL, so browsers revalidate with the ETag.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", a.etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	}
}

// contentTypes are set explicitly so that fonts and icons do not depend on
// the host's mime.types.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".map":   "application/json",
}

// govukFiles serves the built GOV.UK Frontend files, without directory
// listings.
func govukFiles(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if ct, ok := contentTypes[filepath.Ext(r.URL.Path)]; ok {
			w.Header().Set("Content-Type", ct)
		}
		// Fonts carry a hash in their names; the rest change only with a
		// new govuk-frontend version, so a day of caching is safe.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// pageData is everything the page template shows.
type pageData struct {
	GOVUK            bool
	Title            string
	Composer         string
	MaxQuestionChars int
	Question         string // the form's value after a validation error
	Error            string // a validation error for the question
	ConversationID   string
	Turn             *turn // the answer to a question sent without JavaScript
}

// turn is one answered question, rendered on the server.
type turn struct {
	Question string
	Status   string
	Blocks   []block
	Sources  []chat.Source
	Refusal  bool // personal data: styled as a warning
}

func (h *handler) data() pageData {
	return pageData{
		GOVUK:            h.govuk,
		Title:            "Ask a question about GOV.UK guidance",
		Composer:         h.opts.Composer,
		MaxQuestionChars: h.opts.MaxQuestionChars,
	}
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, h.data())
}

// serveAccessibility shows the accessibility statement of the chat page.
func (h *handler) serveAccessibility(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := h.page.ExecuteTemplate(&buf, "accessibility.html", h.data()); err != nil {
		h.opts.Logger.Error("web: rendering the accessibility statement", "err", err)
		http.Error(w, "Sorry, something went wrong.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

// maxFormBytes bounds the form body: a question of 300 characters is at
// most 1.2 kB of UTF-8, percent-encoded three times over.
const maxFormBytes = 16 << 10

func (h *handler) serveAsk(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	d := h.data()
	question := strings.TrimSpace(r.PostForm.Get("question"))
	d.ConversationID = validConversationID(r.PostForm.Get("conversation_id"))
	if h.refuseQuestion(w, d, question) {
		return
	}

	t := &turn{Question: question}
	d.Turn = t
	if h.opts.Asker == nil {
		t.Status = string(chat.StatusServiceOff)
		t.Blocks = renderAnswer(chat.MsgKillSwitch, nil)
		h.render(w, http.StatusServiceUnavailable, d)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.AskTimeout)
	defer cancel()
	out, err := h.opts.Asker.AskFrom(ctx, r, chat.Request{ConversationID: d.ConversationID, Question: question}, chat.Events{})
	if status, refused := refusalStatus(out.Status); refused {
		h.renderRefusal(w, d, status, out, err)
		return
	}
	answer := h.answerText(&out, err)
	if out.ConversationID != "" {
		d.ConversationID = out.ConversationID
	}
	t.Status = string(out.Status)
	t.Refusal = out.Status == chat.StatusRefusedPII
	t.Sources = linkable(out.Sources)
	t.Blocks = renderAnswer(answer, t.Sources)
	h.render(w, http.StatusOK, d)
}

// refuseQuestion answers an empty or too long question, and reports
// whether it did: with the form again and the error, or with crisis
// signposting, since a question is never too long to signpost.
func (h *handler) refuseQuestion(w http.ResponseWriter, d pageData, question string) bool {
	switch n := utf8.RuneCountInString(question); {
	case n == 0:
		d.Error = "Enter your question"
	case n > h.opts.MaxQuestionChars:
		if reply, ok := h.crisisReply(question); ok {
			d.Turn = &turn{Question: question, Status: string(chat.StatusCrisis), Blocks: renderAnswer(reply, nil)}
			h.render(w, http.StatusOK, d)
			return true
		}
		d.Error = fmt.Sprintf("Your question must be %d characters or fewer", h.opts.MaxQuestionChars)
	}
	if d.Error == "" {
		return false
	}
	d.Title = "Error: " + d.Title
	d.Question = question
	h.render(w, http.StatusUnprocessableEntity, d)
	return true
}

// answerText is the text to show for an outcome: the answer, or a plain
// message when answering failed (the outcome then counts as an error) or
// gave no text.
func (h *handler) answerText(out *chat.Outcome, err error) string {
	answer := out.Answer
	if err != nil {
		h.opts.Logger.Error("web: answering a form question", "err", err)
		if errors.Is(err, context.DeadlineExceeded) {
			answer = chat.MsgTimeout
		} else if answer == "" {
			answer = chat.MsgError
		}
		out.Status = chat.StatusError
	}
	if answer == "" {
		answer = fallbackMessage(out.Status)
	}
	return answer
}

// refusalStatus is the HTTP status of a question the service's guards
// refused before answering it.
func refusalStatus(s chat.AnswerStatus) (int, bool) {
	switch s {
	case chat.StatusServiceOff:
		return http.StatusServiceUnavailable, true
	case chat.StatusRateLimited:
		return http.StatusTooManyRequests, true
	case chat.StatusBusy:
		return http.StatusConflict, true
	}
	return 0, false
}

// renderRefusal shows why the question was not answered and keeps it in
// the text box, so the citizen can send it again without retyping it.
func (h *handler) renderRefusal(w http.ResponseWriter, d pageData, status int, out chat.Outcome, err error) {
	var ra interface{ RetryAfter() time.Duration }
	wait := time.Minute
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		wait = ra.RetryAfter()
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	}
	msg := out.Answer
	if msg == "" {
		msg = fallbackMessage(out.Status)
	}
	d.Question = d.Turn.Question
	d.Turn.Status = string(out.Status)
	d.Turn.Blocks = renderAnswer(msg, nil)
	h.render(w, status, d)
}

// crisisReply asks the asker, when it can, whether an over-long question
// carries crisis wording (server.Door can).
func (h *handler) crisisReply(question string) (string, bool) {
	cr, ok := h.opts.Asker.(interface {
		CrisisReply(text string) (string, bool)
	})
	if !ok {
		return "", false
	}
	return cr.CrisisReply(question)
}

// fallbackMessage is said when a turn ended without any text.
func fallbackMessage(s chat.AnswerStatus) string {
	if m, ok := fallbackMessages[s]; ok {
		return m
	}
	return chat.MsgError
}

// fallbackMessages are the fixed replies by status; any other is an error.
var fallbackMessages = map[chat.AnswerStatus]string{
	chat.StatusCrisis:           chat.MsgCrisis,
	chat.StatusRefusedPII:       chat.MsgPIIRefusal,
	chat.StatusRefusedJailbreak: chat.MsgJailbreakDecline,
	chat.StatusRefusedIllegal:   chat.MsgIllegal,
	chat.StatusRefusedHarmful:   chat.MsgHarmful,
	chat.StatusNoContent:        chat.MsgNoContent,
	chat.StatusOutOfScope:       chat.MsgOutOfScope,
	chat.StatusRateLimited:      chat.MsgRateLimited,
	chat.StatusServiceOff:       chat.MsgKillSwitch,
	chat.StatusBusy:             chat.MsgBusy,
	chat.StatusInvalid:          chat.MsgEmpty,
}

// linkable keeps the sources whose URL is a GOV.UK path.
func linkable(sources []chat.Source) []chat.Source {
	out := make([]chat.Source, 0, len(sources))
	for _, s := range sources {
		if sourceHref(s.URL) != "" {
			out = append(out, s)
		}
	}
	return out
}

// validConversationID keeps an id only if it looks like one, so the hidden
// field cannot carry anything else back into the page.
func validConversationID(id string) string {
	if len(id) == 0 || len(id) > 64 {
		return ""
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return id
}

func (h *handler) render(w http.ResponseWriter, status int, d pageData) {
	if err := htmlpage.Write(w, status, h.page, d); err != nil {
		h.opts.Logger.Error("web: rendering the page", "err", err)
		http.Error(w, "Sorry, something went wrong.", http.StatusInternalServerError)
	}
}
