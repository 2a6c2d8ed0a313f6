-- Full-text document frequencies: how many chunks hold each lexeme. Search
-- reads them to match a question's rarest words first, so the full-text
-- ranker scores a bounded set of chunks however large the index grows
-- (docs/retrieval.md). Statement triggers keep the counts exact on every
-- insert and delete of chunks, including cascades from documents (chunks
-- are never updated in place: ReplaceDocument deletes and inserts).
CREATE TABLE {{schema}}.text_terms (
    lexeme text    PRIMARY KEY,
    chunks integer NOT NULL
);

-- One row: how many chunks there are, so search can tell a rare lexeme from
-- a common one whatever the size of the index.
CREATE TABLE {{schema}}.text_chunks (
    chunks bigint NOT NULL
);

CREATE FUNCTION {{schema}}.count_text_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Writers of chunks take turns on the counts: two ingests updating the
    -- same common lexemes in different orders would otherwise deadlock.
    PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.text_terms'));
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('UPDATE %I.text_chunks SET chunks = chunks + (SELECT count(*) FROM changed)', TG_TABLE_SCHEMA);
        EXECUTE format($q$
            INSERT INTO %I.text_terms AS t (lexeme, chunks)
            SELECT lexeme, count(*) FROM changed, unnest(tsvector_to_array(changed.tsv)) AS lexeme
            GROUP BY lexeme ORDER BY lexeme
            ON CONFLICT (lexeme) DO UPDATE SET chunks = t.chunks + excluded.chunks$q$, TG_TABLE_SCHEMA);
    ELSE
        EXECUTE format('UPDATE %I.text_chunks SET chunks = chunks - (SELECT count(*) FROM changed)', TG_TABLE_SCHEMA);
        EXECUTE format($q$
            UPDATE %I.text_terms t SET chunks = t.chunks - gone.n
            FROM (SELECT lexeme, count(*) AS n FROM changed, unnest(tsvector_to_array(changed.tsv)) AS lexeme
                  GROUP BY lexeme) AS gone
            WHERE t.lexeme = gone.lexeme$q$, TG_TABLE_SCHEMA);
        EXECUTE format($q$
            DELETE FROM %I.text_terms
            WHERE chunks <= 0 AND lexeme IN (SELECT unnest(tsvector_to_array(tsv)) FROM changed)$q$, TG_TABLE_SCHEMA);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER chunks_text_terms_insert AFTER INSERT ON {{schema}}.chunks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.count_text_terms();
CREATE TRIGGER chunks_text_terms_delete AFTER DELETE ON {{schema}}.chunks
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.count_text_terms();

INSERT INTO {{schema}}.text_chunks (chunks) SELECT count(*) FROM {{schema}}.chunks;
INSERT INTO {{schema}}.text_terms (lexeme, chunks)
SELECT word, ndoc FROM ts_stat('SELECT tsv FROM {{schema}}.chunks');

-- Filtered searches count and scan the rows a selective filter leaves
-- (store/search.go); new spaces get this index when they are created.
DO $$
DECLARE
    sp record;
BEGIN
    FOR sp IN SELECT id FROM {{schema}}.embedding_spaces
              WHERE to_regclass('{{schema}}.embeddings_' || id) IS NOT NULL LOOP
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON {{schema}}.%I (locale, document_type)',
            'embeddings_' || sp.id || '_filter', 'embeddings_' || sp.id);
    END LOOP;
END
$$;
