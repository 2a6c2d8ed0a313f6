-- Each message's audit for the operators' console (chat.Audit as JSON): the
-- guards' verdicts by name, each model call with its model and tokens, and
-- the passages retrieval returned with each ranker's score. It never holds
-- question text.
ALTER TABLE {{schema}}.messages ADD COLUMN audit jsonb NOT NULL DEFAULT '{}';

-- The console lists conversations, and messages for feedback and exports,
-- newest first, stopping at a page's limit.
CREATE INDEX conversations_created_idx ON {{schema}}.conversations (created_at DESC);
CREATE INDEX messages_created_idx ON {{schema}}.messages (created_at DESC);
