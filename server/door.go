package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/govchat/govchat/chat"
)

// Door is the one way into the Asker for every channel: the websocket, the
// page's form without JavaScript, and any channel added later. Each
// question passes, in order, the kill switch, the per-IP rate limit, the
// per-conversation rate limit and the one-question-at-a-time check, and is
// then answered, counted in the metrics and written to the audit log.
//
// The rate limits and the busy check live in the database (see
// store.TakeToken and store.ClaimConversation), so they hold across every
// instance that shares it. A database that does not answer within
// Config.LimitTimeout lets the question through (the pipeline needs the
// database anyway), logged and counted in govchat_limit_errors_total.
type Door struct {
	cfg     Config
	asker   Asker
	st      Store
	log     *slog.Logger
	kill    *killSwitch
	metrics *metrics
}

// NewDoor builds the door. asker and st must not be nil.
func NewDoor(cfg Config, asker Asker, st Store, log *slog.Logger) *Door {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Door{cfg: cfg, asker: asker, st: st, log: log, metrics: newMetrics(),
		kill: &killSwitch{st: st, ttl: cfg.KillSwitchTTL, timeout: cfg.KillSwitchTimeout, log: log}}
}

// Composer is how the Asker makes answers.
func (d *Door) Composer() string { return d.asker.Composer() }

// crisisChecker is the part of chat.Pipeline that checks text of any
// length for crisis wording.
type crisisChecker interface {
	CrisisCheck(text string) (chat.Decision, bool)
}

// CrisisReply returns the signposting for a message refused as too long
// when it carries crisis wording: a person in crisis is signposted
// whatever they typed. ok is false otherwise, or when the asker cannot
// check.
func (d *Door) CrisisReply(text string) (string, bool) {
	cc, ok := d.asker.(crisisChecker)
	if !ok {
		return "", false
	}
	dec, ok := cc.CrisisCheck(text)
	if ok {
		d.metrics.asks.WithLabelValues(string(chat.StatusCrisis)).Inc()
		d.metrics.routes.WithLabelValues(string(dec.Label)).Inc()
	}
	return dec.Reply, ok
}

// Caller is who is asking, for the limits and the audit log.
type Caller struct {
	IP        string // the client's address, from ClientIP
	Channel   string // "websocket" or "form"
	RequestID string
}

// Refusal is the error Ask returns when a guard refuses a question. The
// Outcome returned with it carries the same Status and the Message as its
// Answer.
type Refusal struct {
	Status  chat.AnswerStatus // rate_limited, service_off or busy
	Code    string            // the websocket error code (docs/protocol.md)
	Message string            // for the citizen
	Wait    time.Duration     // how long to wait before asking again; 0 when unknown
}

func (r *Refusal) Error() string { return "server: question refused: " + string(r.Status) }

// RetryAfter is how long to wait before asking again.
func (r *Refusal) RetryAfter() time.Duration { return r.Wait }

// ClientIP is the address a request counts against (see Config.TrustProxy).
func (d *Door) ClientIP(r *http.Request) string { return clientIP(r, d.cfg.TrustProxy) }

// AskFrom answers a question sent in an HTTP request (the page's form).
func (d *Door) AskFrom(ctx context.Context, r *http.Request, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	return d.Ask(ctx, Caller{IP: d.ClientIP(r), Channel: "form", RequestID: requestID(r.Context())}, req, ev)
}

// Ask passes req through every guard and, when none refuses, answers it.
// A refusal is a *Refusal; any other error is the Asker's.
func (d *Door) Ask(ctx context.Context, c Caller, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	if ref := d.check(ctx, c, req.ConversationID); ref != nil {
		return d.refuse(c, req, ref)
	}
	var claimed []string // conversations this question holds, released when it ends
	var holder string
	defer func() {
		for _, id := range claimed {
			d.release(ctx, id, holder)
		}
	}()
	if req.ConversationID != "" {
		holder = newHolder()
		if ref := d.claim(ctx, req.ConversationID, holder); ref != nil {
			return d.refuse(c, req, ref)
		}
		claimed = append(claimed, req.ConversationID)
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.AskTimeout)
	defer cancel()
	start := time.Now()
	var first time.Duration
	inner := ev
	ev.Accepted = func(conversationID, messageID string) {
		if req.ConversationID == "" {
			// A new conversation: its first question counts against its
			// limit, and it is busy until this answer is done.
			_, _ = d.takeToken(ctx, "conv:"+conversationID, d.cfg.RatePerConv)
			holder = newHolder()
			if d.claim(ctx, conversationID, holder) == nil {
				claimed = append(claimed, conversationID)
			}
		}
		if inner.Accepted != nil {
			inner.Accepted(conversationID, messageID)
		}
	}
	ev.Delta = func(text string) error {
		if first == 0 {
			first = time.Since(start)
		}
		if inner.Delta != nil {
			return inner.Delta(text)
		}
		return nil
	}
	out, err := d.callAsker(ctx, c, req, ev)
	status := string(out.Status)
	if status == "" || err != nil {
		status = string(chat.StatusError)
	}
	total := time.Since(start)
	d.metrics.asked(status, out, total, first)
	d.log.Info("ask", "request_id", c.RequestID, "channel", c.Channel, "conversation", out.ConversationID,
		"message", out.MessageID, "status", status, "route", out.Route.Label, "composer", out.Composer, "ms", total.Milliseconds())
	return out, err
}

// check applies the kill switch and the rate limits.
func (d *Door) check(ctx context.Context, c Caller, conversationID string) *Refusal {
	if ks := d.kill.get(ctx); ks.Web {
		msg := ks.Message
		if msg == "" {
			msg = chat.MsgKillSwitch
		}
		return &Refusal{Status: chat.StatusServiceOff, Code: CodeServiceOff, Message: msg}
	}
	if ok, wait := d.takeToken(ctx, "ip:"+ipKey(c.IP), d.cfg.RatePerIP); !ok {
		d.metrics.rateLimited.WithLabelValues("ip").Inc()
		return &Refusal{Status: chat.StatusRateLimited, Code: CodeRateLimited, Message: chat.MsgRateLimited, Wait: wait}
	}
	if conversationID == "" {
		return nil
	}
	if ok, wait := d.takeToken(ctx, "conv:"+conversationID, d.cfg.RatePerConv); !ok {
		d.metrics.rateLimited.WithLabelValues("conversation").Inc()
		return &Refusal{Status: chat.StatusRateLimited, Code: CodeRateLimited, Message: chat.MsgRateLimited, Wait: wait}
	}
	return nil
}

// Allow takes one token from the caller's per-IP bucket, for requests that
// are not questions but still cost a write (feedback). It reports how long
// to wait when refused.
func (d *Door) Allow(ctx context.Context, ip string) (bool, time.Duration) {
	ok, wait := d.takeToken(ctx, "ip:"+ipKey(ip), d.cfg.RatePerIP)
	if !ok {
		d.metrics.rateLimited.WithLabelValues("ip").Inc()
	}
	return ok, wait
}

func (d *Door) refuse(c Caller, req chat.Request, ref *Refusal) (chat.Outcome, error) {
	d.metrics.asks.WithLabelValues(string(ref.Status)).Inc()
	d.log.Info("ask refused", "request_id", c.RequestID, "channel", c.Channel, "conversation", req.ConversationID,
		"status", ref.Status)
	return chat.Outcome{ConversationID: req.ConversationID, Status: ref.Status, Answer: ref.Message, Composer: "fixed"}, ref
}

// takeToken takes a token from a bucket of perMinute a minute (burst the
// same), letting the request through when the database fails.
func (d *Door) takeToken(ctx context.Context, key string, perMinute float64) (bool, time.Duration) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.LimitTimeout)
	defer cancel()
	ok, wait, err := d.st.TakeToken(lctx, key, max(1, perMinute), perMinute/60)
	if err != nil {
		d.limitError("rate limit", err)
		return true, 0
	}
	return ok, wait
}

// claim marks a conversation busy; another question in it is refused until
// release, or until AskTimeout plus a minute have passed (an instance that
// died mid-answer).
func (d *Door) claim(ctx context.Context, id, holder string) *Refusal {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.LimitTimeout)
	defer cancel()
	ok, err := d.st.ClaimConversation(lctx, id, holder, d.cfg.AskTimeout+time.Minute)
	if err != nil {
		d.limitError("busy check", err)
		return nil
	}
	if !ok {
		return &Refusal{Status: chat.StatusBusy, Code: CodeBusy, Message: chat.MsgBusy}
	}
	return nil
}

func (d *Door) release(ctx context.Context, id, holder string) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.LimitTimeout)
	defer cancel()
	if err := d.st.ReleaseConversation(lctx, id, holder); err != nil {
		// The claim expires by itself.
		d.limitError("release", err)
	}
}

func (d *Door) limitError(what string, err error) {
	d.metrics.limitErrors.Inc()
	d.log.Warn("server: the shared limits could not be read; letting the question through", "check", what, "error", err)
}

var errAskerPanic = errors.New("server: the asker panicked")

// callAsker calls the Asker, turning a panic into an error so that one bad
// question cannot take the server down.
func (d *Door) callAsker(ctx context.Context, c Caller, req chat.Request, ev chat.Events) (out chat.Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("server: the asker panicked", "request_id", c.RequestID, "panic", fmt.Sprint(p))
			err = errAskerPanic
		}
	}()
	return d.asker.Ask(ctx, req, ev)
}

func newHolder() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ipKey is the rate-limit key of an address: an IPv4 address itself, an
// IPv6 address its /64 (one household or device gets a whole /64, so a
// single address is free to change).
func ipKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil {
		return ip
	}
	if v4 := a.To4(); v4 != nil {
		return v4.String()
	}
	return a.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
