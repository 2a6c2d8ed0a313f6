package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// KillSwitch is the stored kill switch: when Web is true the websocket
// refuses questions with Message. Every instance reads the same setting.
type KillSwitch struct {
	Web     bool   `json:"web"`
	Message string `json:"message,omitempty"`
}

const killSwitchKey = "kill_switch"

// killSwitch caches the setting for a short time, so an ask costs no query
// and a switch made on one instance reaches the others within the TTL. The
// read has its own short timeout and holds no lock while it waits: one
// caller refreshes, the others keep the last known value meanwhile, and a
// failed read keeps it too.
type killSwitch struct {
	st      Store
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger

	mu         sync.Mutex // guards the fields below; never held across a query
	value      KillSwitch
	fetched    time.Time // last read, successful or not
	refreshing bool
}

// get returns the current state.
func (k *killSwitch) get(ctx context.Context) KillSwitch {
	k.mu.Lock()
	if k.refreshing || (!k.fetched.IsZero() && time.Since(k.fetched) < k.ttl) {
		v := k.value
		k.mu.Unlock()
		return v
	}
	k.refreshing = true
	k.mu.Unlock()

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.timeout)
	raw, err := k.st.GetSetting(rctx, killSwitchKey)
	cancel()

	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshing = false
	// A failed read is retried after the TTL too, not on every question.
	k.fetched = time.Now()
	if err != nil {
		k.log.Warn("could not read the kill switch; keeping the last state", "error", err, "web_off", k.value.Web)
		return k.value
	}
	v := KillSwitch{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			k.log.Error("the stored kill switch is not valid JSON; treating it as off", "error", err)
			v = KillSwitch{}
		}
	}
	k.value = v
	return v
}

func (k *killSwitch) set(ctx context.Context, v KillSwitch) error {
	raw := ""
	if v.Web || v.Message != "" {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		raw = string(b)
	}
	if err := k.st.SetSetting(ctx, killSwitchKey, raw); err != nil {
		return err
	}
	k.mu.Lock()
	k.value, k.fetched = v, time.Now()
	k.mu.Unlock()
	return nil
}

func (s *Server) serveKillSwitchGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.kill.get(r.Context()))
	return nil
}

func (s *Server) serveKillSwitchSet(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Web     *bool  `json:"web"`
		Message string `json:"message"`
	}
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if body.Web == nil {
		return refuse(http.StatusBadRequest, `send {"web": true} to switch the chat off or {"web": false} to switch it on`)
	}
	if utf8.RuneCountInString(body.Message) > 1000 {
		return refuse(http.StatusBadRequest, "message must be 1000 characters or fewer")
	}
	v := KillSwitch{Web: *body.Web, Message: strings.TrimSpace(body.Message)}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	if err := s.kill.set(ctx, v); err != nil {
		return failed(http.StatusServiceUnavailable, "the kill switch could not be stored", "could not store the kill switch", err)
	}
	s.log.Warn("kill switch changed", "request_id", requestID(r.Context()), "web_off", v.Web)
	writeJSON(w, http.StatusOK, v)
	return nil
}
