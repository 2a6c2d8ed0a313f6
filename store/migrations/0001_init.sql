-- govchat schema, version 1. Every name is qualified with the {{schema}}
-- placeholder, which the store replaces with its configured schema: PGlite
-- shares one session between connections, so search_path cannot be relied on.

CREATE TABLE {{schema}}.documents (
    id                bigserial PRIMARY KEY,
    content_id        text        NOT NULL,
    locale            text        NOT NULL,
    base_path         text        NOT NULL,
    title             text        NOT NULL,
    description       text        NOT NULL DEFAULT '',
    document_type     text        NOT NULL,
    schema_name       text        NOT NULL,
    public_updated_at timestamptz,
    updated_at        timestamptz,
    payload_version   bigint      NOT NULL DEFAULT 0,
    withdrawn         boolean     NOT NULL DEFAULT false,
    origin            text        NOT NULL DEFAULT '',
    digest            text        NOT NULL,
    indexed_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (base_path, locale)
);
CREATE INDEX documents_schema_idx ON {{schema}}.documents (schema_name, locale);

-- An embedding space is one embedding model at one dimension. Its vectors live
-- in their own table, embeddings_<id>, created by the store with a typed
-- vector(N) column and an HNSW index. Exactly one space is active at a time;
-- a re-embed builds a new space, then switches in one transaction.
CREATE TABLE {{schema}}.embedding_spaces (
    id          serial      PRIMARY KEY,
    model       text        NOT NULL,
    dimensions  integer     NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
    state       text        NOT NULL CHECK (state IN ('building', 'active', 'retired')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz
);
CREATE UNIQUE INDEX embedding_spaces_one_active ON {{schema}}.embedding_spaces ((true)) WHERE state = 'active';

CREATE TABLE {{schema}}.chunks (
    id            bigserial PRIMARY KEY,
    document_id   bigint  NOT NULL REFERENCES {{schema}}.documents (id) ON DELETE CASCADE,
    chunk_index   integer NOT NULL,
    exact_path    text    NOT NULL,
    heading_path  text[]  NOT NULL DEFAULT '{}',
    body          text    NOT NULL,
    embed_text    text    NOT NULL,
    html          text    NOT NULL DEFAULT '',
    digest        text    NOT NULL,
    tokens        integer NOT NULL,
    -- Denormalised from documents so filters need no join.
    locale        text    NOT NULL,
    document_type text    NOT NULL,
    base_path     text    NOT NULL,
    tsv           tsvector NOT NULL,
    UNIQUE (document_id, chunk_index)
);
CREATE INDEX chunks_tsv_idx ON {{schema}}.chunks USING gin (tsv);
CREATE INDEX chunks_digest_idx ON {{schema}}.chunks (digest);

CREATE TABLE {{schema}}.conversations (
    id          text        PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX conversations_expires_idx ON {{schema}}.conversations (expires_at);

CREATE TABLE {{schema}}.messages (
    id              text        PRIMARY KEY,
    conversation_id text        NOT NULL REFERENCES {{schema}}.conversations (id) ON DELETE CASCADE,
    seq             integer     NOT NULL,
    -- The question is stored only after the personal-data check has passed;
    -- a refused question is stored as NULL with its status.
    question        text,
    rewritten       text,
    answer          text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    composer        text        NOT NULL DEFAULT '',
    sources         jsonb       NOT NULL DEFAULT '[]',
    timings         jsonb       NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE {{schema}}.feedback (
    id          bigserial   PRIMARY KEY,
    message_id  text        NOT NULL REFERENCES {{schema}}.messages (id) ON DELETE CASCADE,
    useful      boolean     NOT NULL,
    comment     text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id)
);

CREATE TABLE {{schema}}.ingest_runs (
    id          bigserial   PRIMARY KEY,
    source      text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text        NOT NULL DEFAULT 'running',
    stats       jsonb       NOT NULL DEFAULT '{}',
    error       text        NOT NULL DEFAULT ''
);

CREATE TABLE {{schema}}.settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);
