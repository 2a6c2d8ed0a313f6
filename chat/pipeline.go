package chat

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// Config tunes the pipeline. Zero values take the defaults in brackets.
type Config struct {
	MaxQuestionChars int           // [300]
	Retention        time.Duration // how long conversations are kept [90 days]
	HistoryTurns     int           // turns of history used for follow-ups [5]
	ForbiddenTerms   []string      // whole words an answer must never contain
	LLMTimeout       time.Duration // whole answer from the LLM [30s]
	LLMChecks        bool          // also use the LLM for jailbreak checks and follow-up rewriting
	Temperature      float32       // [0.1]
	MaxAnswerTokens  int           // [600]
	Router           *Router       // the question router [DefaultRouter(): words only]
}

// Pipeline answers questions: checks, follow-up rewriting, routing,
// retrieval, composition and output checks, in that order. It does not know
// about websockets; the server and the eval harness both drive it.
type Pipeline struct {
	retriever Retriever
	store     Store // nil: nothing is stored (eval dry runs)
	llm       LLM   // nil: the offline extractive composer
	cfg       Config
	log       *slog.Logger
	offline   Extractive
	router    *Router

	mu     sync.Mutex
	active map[string]bool // conversations with a question being answered here
}

// NewPipeline wires a pipeline. st may be nil (nothing stored); l may be nil
// (answers are assembled from guidance without a model).
func NewPipeline(r Retriever, st Store, l LLM, cfg Config, log *slog.Logger) *Pipeline {
	cfg.MaxQuestionChars = cmp.Or(cfg.MaxQuestionChars, DefaultMaxRunes)
	cfg.Retention = cmp.Or(cfg.Retention, 90*24*time.Hour)
	cfg.HistoryTurns = cmp.Or(cfg.HistoryTurns, 5)
	cfg.LLMTimeout = cmp.Or(cfg.LLMTimeout, 30*time.Second)
	cfg.Temperature = cmp.Or(cfg.Temperature, 0.1)
	cfg.MaxAnswerTokens = cmp.Or(cfg.MaxAnswerTokens, 600)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Router == nil {
		cfg.Router = DefaultRouter()
	}
	return &Pipeline{retriever: r, store: st, llm: l, cfg: cfg, log: log, router: cfg.Router, active: map[string]bool{}}
}

// Composer names how answers are written: "llm" or "offline".
func (p *Pipeline) Composer() string {
	if p.llm != nil {
		return "llm"
	}
	return "offline"
}

// NewID returns a random URL-safe identifier, unguessable, for conversations
// and messages.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// turn carries one Ask through the stages.
type turn struct {
	p       *Pipeline
	ev      Events
	out     Outcome
	start   time.Time
	started chan error // the conversation and message writes; nil when nothing is stored
	stored  bool
	emitted strings.Builder
	// signposted is set once crisis signposting has been sent ahead of an
	// answer (Decision.AnswerToo): the turn's status stays crisis, and no
	// fixed "nothing found" reply follows it.
	signposted bool
}

func (t *turn) stage(name string, since time.Time) {
	t.out.Timings[name] = time.Since(since)
}

func (t *turn) progress(stage string) {
	if t.ev.Progress != nil {
		t.ev.Progress(stage)
	}
}

// send streams text to the client and records it in the answer.
func (t *turn) send(text string) error {
	if text == "" {
		return nil
	}
	if _, ok := t.out.Timings["first_delta"]; !ok {
		t.out.Timings["first_delta"] = time.Since(t.start)
	}
	t.emitted.WriteString(text)
	if t.ev.Delta != nil {
		return t.ev.Delta(text)
	}
	return nil
}

// fixed ends the turn with a fixed message. After signposting, the
// signposting is the reply: nothing more is sent.
func (t *turn) fixed(status AnswerStatus, msg string) {
	t.out.Status = status
	t.out.Composer = "fixed"
	if t.signposted {
		return
	}
	_ = t.send(msg)
}

// guardrail ends the turn when the output checks dropped every sentence of
// the answer. Unlike fixed, it is sent after signposting too.
func (t *turn) guardrail() {
	t.out.Status = StatusGuardrail
	t.out.Composer = "fixed"
	_ = t.send(MsgGuardrail)
}

// showSources records the sources shown with the answer and sends them.
func (t *turn) showSources(sources []Source) {
	t.out.Sources = sources
	if t.ev.Sources != nil {
		t.ev.Sources(sources)
	}
}

// signpost sends the crisis reply ahead of an answer.
func (t *turn) signpost(route Decision) {
	_ = t.send(route.Reply + "\n\n")
	t.signposted = true
}

// Ask answers one question. It returns an error only when the conversation
// store fails; the Outcome's Status is always set.
func (p *Pipeline) Ask(ctx context.Context, req Request, ev Events) (Outcome, error) {
	t := &turn{p: p, ev: ev, start: time.Now(), out: Outcome{Timings: map[string]time.Duration{}}}
	t.out.ConversationID = req.ConversationID
	if t.out.ConversationID == "" {
		t.out.ConversationID = NewID()
	}
	t.out.MessageID = NewID()
	err := p.ask(ctx, req, t)
	if t.signposted {
		t.out.Status = StatusCrisis
	}
	t.out.Answer = t.emitted.String()
	t.out.Timings["total"] = time.Since(t.start)
	if ctx.Err() != nil && t.out.Status == "" {
		t.out.Status = StatusCancelled
	}
	if t.out.Status == "" {
		t.out.Status = StatusError
	}
	if t.started != nil {
		// The conversation and message rows were written while the answer
		// was being prepared; the outcome is recorded only once they exist.
		if serr := <-t.started; serr != nil {
			err = cmp.Or(err, serr)
		} else {
			t.stored = true
		}
	}
	if t.stored {
		// Record the outcome even when the client has gone.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if serr := p.store.CompleteMessage(sctx, p.message(t)); serr != nil && err == nil {
			err = serr
		}
		cancel()
	}
	p.log.Info("answered", "conversation", t.out.ConversationID, "message", t.out.MessageID, "status", t.out.Status,
		"route", t.out.Route.Label, "composer", t.out.Composer, "sources", len(t.out.Sources), "ms", t.out.Timings["total"].Milliseconds())
	if err != nil {
		return t.out, fmt.Errorf("chat: %w", err)
	}
	return t.out, nil
}

func (p *Pipeline) message(t *turn) store.Message {
	sources, _ := json.Marshal(t.out.Sources)
	timings := map[string]int64{}
	for k, v := range t.out.Timings {
		timings[k] = v.Milliseconds()
	}
	tb, _ := json.Marshal(timings)
	audit, _ := json.Marshal(t.out.Audit)
	return store.Message{Audit: audit, ID: t.out.MessageID, ConversationID: t.out.ConversationID, Rewritten: t.out.Standalone,
		Answer: t.emitted.String(), Status: string(t.out.Status), Composer: t.out.Composer, Sources: sources, Timings: tb,
		RouteLabel: string(t.out.Route.Label), RouteConfidence: t.out.Route.Confidence, RouteDecider: t.out.Route.Decider}
}

func (p *Pipeline) ask(ctx context.Context, req Request, t *turn) error {
	ctx = withAudit(ctx, &t.out.Audit)
	t.progress("checking")
	checkStart := time.Now()
	q, ok, err := p.check(req, t)
	if !ok {
		return err
	}
	// One question at a time per conversation on this instance.
	if !p.claim(t.out.ConversationID) {
		t.fixed(StatusBusy, MsgBusy)
		return nil
	}
	defer p.release(t.out.ConversationID)

	route, ok := p.screen(ctx, req, t, q)
	if !ok {
		return p.decline(t, route, checkStart)
	}
	history, err := p.history(ctx, req, t.out.ConversationID)
	if err != nil {
		return err
	}
	t.out.Standalone = p.standalone(ctx, history, q)
	var res *retrieval.Result
	if !route.Retrieve() {
		if route, res = p.reconsider(ctx, route, q, t.out.Standalone); !route.Retrieve() {
			t.out.Standalone = ""
			return p.decline(t, route, checkStart)
		}
		t.out.Route = route
	}
	t.stage("checks", checkStart)

	res, err = p.search(ctx, t, res)
	if err != nil {
		return p.failed(ctx, t, "retrieval", err)
	}
	if offTopic(route, *res) {
		t.out.Route = declineDoubtful(route)
		return p.decline(t, t.out.Route, checkStart)
	}
	if !p.found(t, res) {
		return nil
	}
	return p.compose(ctx, t, q, history, res.Passages)
}

// check normalises the question. ok is false when the turn ends here: an
// empty or too long question has had its fixed reply (err nil), or
// normalising failed (err set).
func (p *Pipeline) check(req Request, t *turn) (q string, ok bool, err error) {
	q, err = Normalise(req.Question, p.cfg.MaxQuestionChars)
	switch {
	case errors.Is(err, ErrEmpty):
		t.out.Route = decide(LabelUnclearIntent, 1, deciderRulePrefix+"empty")
		t.fixed(StatusInvalid, MsgEmpty)
		return "", false, nil
	case errors.Is(err, ErrTooLong):
		// Too long to answer, but never too long to signpost. Nothing is
		// stored: the text was not checked for personal data.
		if d, ok := p.CrisisCheck(req.Question); ok {
			t.out.Route = d
			t.fixed(StatusCrisis, d.Reply)
			return "", false, nil
		}
		t.out.Route = decide(LabelUnclearIntent, 1, deciderRulePrefix+"too_long")
		t.fixed(StatusInvalid, MsgTooLong)
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return q, true, nil
}

// claim marks the conversation as having a question answered on this
// instance. It reports false when one already is.
func (p *Pipeline) claim(conv string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active[conv] {
		return false
	}
	p.active[conv] = true
	return true
}

func (p *Pipeline) release(conv string) {
	p.mu.Lock()
	delete(p.active, conv)
	p.mu.Unlock()
}

// screen routes the question and starts storing the turn. The router
// decides first; crisis comes before everything else inside it. A question
// with personal data is never stored, whatever its label. ok is false when
// the route's fixed reply is the whole answer; otherwise the route returned
// is the one to answer by.
func (p *Pipeline) screen(ctx context.Context, req Request, t *turn, q string) (route Decision, ok bool) {
	route = p.route(ctx, q)
	t.out.Route = route
	var stored *string
	pii := len(DetectPII(q)) > 0
	if route.Label != LabelPersonalInfo && !pii {
		stored = &q
	}
	t.out.Audit.inputGuards(route, pii)
	p.start(ctx, t, stored, !req.Replay)
	if !route.Label.Safety() {
		return route, true
	}
	if !route.AnswerToo || pii {
		return route, false
	}
	// A doubtful crisis verdict on what otherwise reads as a government
	// question: signposting first, then the answer, if the question passes
	// the checks any other does. The signposting is the whole reply when
	// it does not.
	t.signpost(route)
	return Decision{Label: LabelGenuineRAG, Confidence: 1, Decider: route.Decider, OffTopic: route.OffTopic}, true
}

// search retrieves passages for the standalone question, unless
// reconsidering the route already did.
func (p *Pipeline) search(ctx context.Context, t *turn, res *retrieval.Result) (*retrieval.Result, error) {
	t.progress("searching")
	defer t.stage("retrieval", time.Now())
	if res != nil {
		return res, nil
	}
	r, err := p.retriever.Search(ctx, retrieval.Query{Text: t.out.Standalone, PageContext: true})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// found records what retrieval returned. It reports false, having sent the
// fixed reply, when there is nothing to answer from.
func (p *Pipeline) found(t *turn, res *retrieval.Result) bool {
	t.out.Retrieved = res.Passages
	t.out.NoContent = res.NoContent
	t.out.Audit.Passages, t.out.Audit.Floor = AuditPassages(res.Passages), res.FloorRule
	if res.NoContent || len(res.Passages) == 0 {
		p.log.Info("no content", "message", t.out.MessageID, "floor", res.FloorRule,
			"best_vector", res.BestVector, "best_text", res.BestText)
		t.fixed(StatusNoContent, MsgNoContent)
		return false
	}
	return true
}

// compose writes the answer from the passages: with the LLM when one is
// configured, offline otherwise.
func (p *Pipeline) compose(ctx context.Context, t *turn, q string, history []Turn, passages []govchat.Passage) error {
	t.progress("composing")
	defer t.stage("compose", time.Now())
	if p.llm != nil {
		return p.composeLLM(ctx, t, q, history, passages)
	}
	return p.composeOffline(ctx, t, passages)
}

// start records the conversation and the message, once the question is
// known to be safe to store (question nil otherwise). The writes run
// while the answer is prepared, off the path to the first delta; Ask waits
// for them before recording the outcome, so both are stored before the
// turn ends.
func (p *Pipeline) start(ctx context.Context, t *turn, question *string, persist bool) {
	if t.ev.Accepted != nil {
		t.ev.Accepted(t.out.ConversationID, t.out.MessageID)
	}
	if p.store == nil || !persist {
		return
	}
	t.started = make(chan error, 1)
	go func() {
		if _, err := p.store.EnsureConversation(ctx, t.out.ConversationID, p.cfg.Retention); err != nil {
			t.started <- err
			return
		}
		_, err := p.store.StartMessage(ctx, t.out.MessageID, t.out.ConversationID, question, "pending")
		t.started <- err
	}()
}

func (p *Pipeline) history(ctx context.Context, req Request, conv string) ([]Turn, error) {
	if req.Replay {
		return req.History, nil
	}
	if p.store == nil || req.ConversationID == "" {
		return nil, nil
	}
	msgs, err := p.store.History(ctx, conv, p.cfg.HistoryTurns+1)
	if err != nil {
		return nil, err
	}
	var turns []Turn
	for _, m := range msgs {
		if m.Question == nil || m.ID == "" {
			continue
		}
		turns = append(turns, Turn{Role: RoleUser, Content: *m.Question})
		if m.Answer != "" {
			turns = append(turns, Turn{Role: RoleAssistant, Content: m.Answer})
		}
	}
	return turns, nil
}

// CrisisCheck applies only the crisis part of the router, to text of any
// length: the transports call it on messages they refuse as too long, so
// that a person in crisis is signposted whatever they typed.
func (p *Pipeline) CrisisCheck(text string) (Decision, bool) {
	q, err := Normalise(text, utf8.RuneCountInString(text)+1)
	if err != nil {
		return Decision{}, false
	}
	return p.router.Crisis(q)
}

// decline ends the turn with the router's fixed reply.
func (p *Pipeline) decline(t *turn, route Decision, checkStart time.Time) error {
	if route.Label == LabelJailbreak {
		p.log.Info("declined a jailbreak attempt", "message", t.out.MessageID, "decider", route.Decider)
	}
	t.stage("checks", checkStart)
	t.fixed(route.Status, route.Reply)
	return nil
}

// failed ends the turn after a stage failed: as cancelled when the
// client has gone, otherwise logged, with the fixed error reply.
func (p *Pipeline) failed(ctx context.Context, t *turn, stage string, err error) error {
	if ctx.Err() != nil {
		t.out.Status = StatusCancelled
		return nil
	}
	p.log.Error(stage+" failed", "message", t.out.MessageID, "error", err)
	t.fixed(StatusError, MsgError)
	return nil
}

// reconsider gives a question the model declined for a reason other than
// safety two more chances before it is turned away: a follow-up is routed
// again as rewritten ("and for my partner?" is vague alone), and a
// question GOV.UK clearly covers (a strong match in the index) is answered
// even when the model thought it off-topic. The search result is returned
// for reuse when it was made.
func (p *Pipeline) reconsider(ctx context.Context, route Decision, q, standalone string) (Decision, *retrieval.Result) {
	if !strings.HasPrefix(route.Decider, deciderModel) {
		return route, nil
	}
	if standalone != q {
		if d := p.router.Route(standalone); d.Retrieve() {
			d.Decider += "+followup"
			return d, nil
		}
	}
	if route.Confidence >= secondOpinionMax {
		return route, nil
	}
	res, err := p.retriever.Search(ctx, retrieval.Query{Text: standalone, PageContext: true})
	if err != nil || !strongMatch(res) {
		return route, nil
	}
	return Decision{Label: LabelGenuineRAG, Confidence: 1 - route.Confidence, Decider: route.Decider + "+retrieval"}, &res
}

// declineDoubtful is the reply to a question offTopic turned away: the
// fixed reply the model ranked highest, or, for out of scope, a reply that
// says how to ask again (it may be a government question in words the
// index does not know).
func declineDoubtful(route Decision) Decision {
	alt := route.Otherwise
	if alt == "" || alt == LabelOutOfScope {
		d := decide(LabelOutOfScope, route.OffTopic, route.Decider+"+retrieval")
		d.Reply = MsgOutOfScopeUnsure
		return d
	}
	return decide(alt, 1-route.Confidence, route.Decider+"+retrieval")
}

// offTopic reports whether a question the model let through with doubts
// lacks the index evidence it would need: out_of_scope weight and only a
// weak match, or hardly any genuine_rag probability and no strong match.
// It is then declined as out of scope rather than answered from the
// nearest page.
func offTopic(route Decision, res retrieval.Result) bool {
	if route.Decider != deciderModel || !route.Retrieve() {
		return false
	}
	weak := offTopicWeak
	if route.GovWord {
		weak = offTopicGov
	}
	return (route.OffTopic >= weak && weakMatch(res)) || (route.Confidence < unsureGenuine && !strongMatch(res))
}

// route labels the question: the offline router always, then, with an LLM
// configured and checks on, the LLM router, combined so that the model
// can add a crisis verdict but never remove one. Text with personal data,
// and crisis messages, never reach the model.
func (p *Pipeline) route(ctx context.Context, q string) Decision {
	offline := p.router.Route(q)
	if p.llm == nil || !p.cfg.LLMChecks || offline.Label == LabelCrisis || offline.Label == LabelPersonalInfo {
		return offline
	}
	model, err := p.llmRoute(ctx, q)
	if err != nil {
		p.log.Warn("the LLM router failed; using the offline label", "error", err)
		return offline
	}
	return combineRoutes(offline, model, q)
}

// standalone rewrites a follow-up into a question that stands alone.
func (p *Pipeline) standalone(ctx context.Context, history []Turn, q string) string {
	if len(history) == 0 {
		return q
	}
	if p.llm != nil && p.cfg.LLMChecks {
		if s, err := p.llmRewrite(ctx, history, q); err == nil && s != "" {
			return s
		} else if err != nil {
			p.log.Warn("the LLM rewrite failed; rewriting offline", "error", err)
		}
	}
	return RewriteFollowup(history, q)
}

// composeOffline assembles an answer from the passages' own sentences.
func (p *Pipeline) composeOffline(ctx context.Context, t *turn, passages []govchat.Passage) error {
	t.out.Composer = "offline"
	allowed := allowedURLs(passages)
	guard := newSentenceGuard(func(s string) error { return t.send(s) }, allowed, p.cfg.ForbiddenTerms, len(passages))
	comp, err := p.offline.Compose(ctx, t.out.Standalone, passages, guard.write)
	if err == nil {
		err = guard.flush()
	}
	if err == nil && comp.Status == StatusPartial && guard.kept > 0 {
		err = t.send("\n\n" + MsgPartialAnswer)
	}
	t.out.Guarded = guard.dropped
	t.out.Audit.outputGuards(guard)
	if err != nil {
		return p.failed(ctx, t, "composing", err)
	}
	if comp.Status == StatusNoInformation || guard.kept == 0 {
		if guard.kept == 0 && comp.Status != StatusNoInformation {
			t.guardrail()
			return nil
		}
		t.fixed(StatusNoContent, MsgNoContent)
		return nil
	}
	used := make([]govchat.Passage, 0, len(comp.Used))
	for _, i := range comp.Used {
		if i >= 0 && i < len(passages) {
			used = append(used, passages[i])
		}
	}
	t.showSources(sourcesOf(used, true))
	t.out.Status = StatusOK
	return nil
}

// sourcesOf numbers passages 1..n as the citations [n] in the answer.
func sourcesOf(ps []govchat.Passage, used bool) []Source {
	out := make([]Source, 0, len(ps))
	for i, p := range ps {
		s := Source{Index: i + 1, Title: p.Title, Heading: p.Heading(), URL: p.URL, Used: used}
		if !p.PublicUpdatedAt.IsZero() {
			s.Updated = p.PublicUpdatedAt.Format("2006-01-02")
		}
		out = append(out, s)
	}
	return out
}

func allowedURLs(ps []govchat.Passage) map[string]bool {
	allowed := map[string]bool{GOVUKSearchURL: true}
	for _, p := range ps {
		allowed[p.URL] = true
		allowed[retrieval.PagePath(p.URL)] = true
		allowed["https://www.gov.uk"+retrieval.PagePath(p.URL)] = true
	}
	return allowed
}
