-- The question router's verdict on each message: its label (docs/protocol.md),
-- the label's confidence and what decided it (a rule, the offline model or an
-- LLM). Stored for refused questions too, whose text is never stored.
ALTER TABLE {{schema}}.messages
    ADD COLUMN route_label      text NOT NULL DEFAULT '',
    ADD COLUMN route_confidence real NOT NULL DEFAULT 0,
    ADD COLUMN route_decider    text NOT NULL DEFAULT '';

CREATE INDEX messages_route_label_idx ON {{schema}}.messages (route_label, created_at);
