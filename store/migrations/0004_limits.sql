-- Limits shared by every instance on this database: token buckets for the
-- rate limits and one row per conversation being answered. Each check is a
-- single statement, so they work through PgBouncer in transaction mode (no
-- session state, no advisory locks held across transactions).
--
-- Both tables are UNLOGGED: their rows live for minutes, so they skip the
-- write-ahead log and its flush at every commit (on PostgreSQL 15, four
-- statements a question cost 6.6 ms logged and 0.32 ms unlogged; see
-- docs/reliability.md). After a crash PostgreSQL empties them: every limit
-- starts full and no conversation is busy, which is the right state once the
-- answers in progress have died with the server. They are not copied to
-- replicas: after a failover the limits start full too.

-- A token bucket per key ("ip:203.0.113.7", "conv:<id>", "admin:<ip>"):
-- tokens left at updated_at; it refills continuously at the caller's rate.
CREATE UNLOGGED TABLE {{schema}}.rate_buckets (
    key        text             PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX rate_buckets_updated_idx ON {{schema}}.rate_buckets (updated_at);

-- One question at a time per conversation, across instances. The row
-- expires so that an instance that dies mid-answer does not lock the
-- conversation for ever.
CREATE UNLOGGED TABLE {{schema}}.busy_conversations (
    conversation_id text        PRIMARY KEY,
    holder          text        NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX busy_conversations_expires_idx ON {{schema}}.busy_conversations (expires_at);
