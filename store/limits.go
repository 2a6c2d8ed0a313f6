package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Limits shared by every instance on one database (migration 0002). Each
// call is one statement in its own implicit transaction: nothing is held
// between statements, so they work through PgBouncer in transaction mode.

// TakeToken takes one token from key's bucket, which holds up to burst
// tokens and refills at perSecond. It reports whether a token was there
// and, when not, how long until one will be. The check and the take are a
// single upsert, so two instances cannot both take the last token; the
// database's clock is the only clock.
func (s *Store) TakeToken(ctx context.Context, key string, burst, perSecond float64) (bool, time.Duration, error) {
	var ok bool
	var left float64
	// The outer SELECT sees the row as it was before the upsert: the tokens
	// there were, for the wait when refused.
	err := s.pool.QueryRow(ctx, s.q(`WITH up AS (
		INSERT INTO {{schema}}.rate_buckets AS b (key, tokens, updated_at) VALUES ($1, $2::float8 - 1, now())
		ON CONFLICT (key) DO UPDATE
			SET tokens = least($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $3::float8) - 1,
			    updated_at = now()
			WHERE least($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $3::float8) >= 1
		RETURNING tokens)
		SELECT EXISTS (SELECT 1 FROM up),
			coalesce((SELECT least($2::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $3::float8)
				FROM {{schema}}.rate_buckets b WHERE b.key = $1), $2::float8)`),
		key, burst, perSecond).Scan(&ok, &left)
	if err != nil {
		return false, 0, fmt.Errorf("store: take a token: %w", err)
	}
	if ok {
		return true, 0, nil
	}
	return false, waitFor(1-left, perSecond), nil
}

// ReturnToken gives back a token taken from key's bucket, up to burst:
// for a check that takes first, so that concurrent attempts cannot all pass
// it, and refunds the ones that turn out to be allowed.
func (s *Store) ReturnToken(ctx context.Context, key string, burst float64) error {
	if _, err := s.pool.Exec(ctx, s.q(`UPDATE {{schema}}.rate_buckets SET tokens = least($2::float8, tokens + 1) WHERE key = $1`),
		key, burst); err != nil {
		return fmt.Errorf("store: return a token: %w", err)
	}
	return nil
}

func waitFor(tokens, perSecond float64) time.Duration {
	if perSecond <= 0 {
		return time.Minute
	}
	return time.Duration(math.Ceil(tokens/perSecond*1000)) * time.Millisecond
}

// ClaimConversation marks a conversation as being answered by holder until
// now+ttl. It reports false when another holder's claim has not expired.
func (s *Store) ClaimConversation(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, s.q(`INSERT INTO {{schema}}.busy_conversations AS c (conversation_id, holder, expires_at)
		VALUES ($1, $2, now() + make_interval(secs => $3::float8))
		ON CONFLICT (conversation_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
			WHERE c.expires_at <= now()`), id, holder, ttl.Seconds())
	if err != nil {
		return false, fmt.Errorf("store: claim a conversation: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseConversation ends holder's claim; another holder's is left alone.
func (s *Store) ReleaseConversation(ctx context.Context, id, holder string) error {
	if _, err := s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.busy_conversations WHERE conversation_id = $1 AND holder = $2`),
		id, holder); err != nil {
		return fmt.Errorf("store: release a conversation: %w", err)
	}
	return nil
}

// PurgeLimits deletes token buckets untouched for idle (a bucket idle long
// enough to be full again is the same as none) and expired claims.
func (s *Store) PurgeLimits(ctx context.Context, idle time.Duration) (int64, error) {
	a, err := s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.rate_buckets WHERE updated_at < now() - make_interval(secs => $1::float8)`),
		idle.Seconds())
	if err != nil {
		return 0, fmt.Errorf("store: purge token buckets: %w", err)
	}
	b, err := s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.busy_conversations WHERE expires_at <= now()`))
	if err != nil {
		return 0, fmt.Errorf("store: purge expired claims: %w", err)
	}
	return a.RowsAffected() + b.RowsAffected(), nil
}
