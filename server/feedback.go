package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/internal/runes"
	"github.com/govchat/govchat/store"
)

// The citizen's own endpoints besides the websocket: feedback on an answer
// and deleting a conversation. Cross-site requests to them are refused
// (routes).

func (s *Server) serveFeedback(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		MessageID string `json:"message_id"`
		Useful    *bool  `json:"useful"`
		Comment   string `json:"comment"`
	}
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if !ValidID(body.MessageID) || body.Useful == nil {
		return refuse(http.StatusBadRequest, "send message_id and useful (true or false)")
	}
	if ok, wait := s.door.Allow(r.Context(), clientIP(r, s.cfg.TrustProxy)); !ok {
		return tooMany("too many requests; try again later", wait)
	}
	err := s.saveFeedback(r.Context(), body.MessageID, *body.Useful, body.Comment)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse(http.StatusNotFound, "there is no such answer")
	case err != nil:
		return failed(http.StatusServiceUnavailable, "your feedback could not be saved; try again later", "could not store feedback", err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"message_id": body.MessageID})
	return nil
}

// saveFeedback redacts personal data from the comment, caps it and stores it.
func (s *Server) saveFeedback(ctx context.Context, messageID string, useful bool, comment string) error {
	comment = chat.Redact(runes.Truncate(comment, maxCommentInput))
	comment = strings.TrimSpace(runes.Truncate(comment, maxCommentRunes))
	if err := s.st.AddFeedback(ctx, messageID, useful, comment); err != nil {
		return err
	}
	s.metrics.feedbackStored.Inc()
	return nil
}

// serveDeleteConversation deletes a conversation at the citizen's request.
// It needs no token: the id is random and only its owner knows it.
func (s *Server) serveDeleteConversation(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !ValidID(id) {
		return refuse(http.StatusNotFound, "there is no such conversation")
	}
	found, err := s.st.DeleteConversation(r.Context(), id)
	if err != nil {
		return failed(http.StatusServiceUnavailable, "the conversation could not be deleted; try again later", "could not delete a conversation", err)
	}
	if !found {
		return refuse(http.StatusNotFound, "there is no such conversation")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
