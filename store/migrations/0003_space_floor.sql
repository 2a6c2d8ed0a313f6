-- The "no content" floor belongs to the embedding space: cosine similarities
-- of one model say nothing about another's. `govchat bench retrieval --floor
-- --save` stores a calibration here; NULL means not calibrated.
ALTER TABLE {{schema}}.embedding_spaces
    ADD COLUMN floor_min_vector      double precision CHECK (floor_min_vector >= 0),
    ADD COLUMN floor_min_text        double precision CHECK (floor_min_text >= 0),
    ADD COLUMN floor_min_vector_both double precision CHECK (floor_min_vector_both >= 0),
    ADD COLUMN floor_min_text_both   double precision CHECK (floor_min_text_both >= 0),
    ADD COLUMN floor_calibrated_at   timestamptz,
    ADD COLUMN floor_note            text,
    ADD CONSTRAINT embedding_spaces_floor_whole CHECK (
        num_nulls(floor_min_vector, floor_min_text, floor_min_vector_both, floor_min_text_both, floor_calibrated_at) IN (0, 5));
