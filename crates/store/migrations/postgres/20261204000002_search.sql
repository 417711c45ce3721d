-- Full-text index of every entry, PostgreSQL's way: one row per entry with
-- the indexed text (title, author, body as plain text — kept for snippets,
-- as FTS5 keeps it) and its tsvector, weighted title A > author B > body C
-- like the bm25 weights of the SQLite index (10, 5, 1). Words are lower-cased
-- and stripped of diacritics (`unaccent`, like FTS5's remove_diacritics 2)
-- with the `simple` configuration: no stemming, as with unicode61. Rows are
-- written by the store in the entry's transaction; deletions cascade.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is STABLE (its dictionary could change); this wrapper names the
-- dictionary so it can be IMMUTABLE and used in the index's expressions.
CREATE FUNCTION tributary_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, t) $$;

CREATE FUNCTION tributary_search_doc(title text, author text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT setweight(to_tsvector('simple', tributary_fold(coalesce(title, ''))), 'A')
              || setweight(to_tsvector('simple', tributary_fold(coalesce(author, ''))), 'B')
              || setweight(to_tsvector('simple', tributary_fold(coalesce(body, ''))), 'C') $$;

CREATE TABLE entries_search (
    entry_id  BIGINT PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    title     TEXT COLLATE "C" NOT NULL,
    author    TEXT COLLATE "C",
    body      TEXT COLLATE "C" NOT NULL,
    doc       tsvector NOT NULL
);
CREATE INDEX entries_search_doc ON entries_search USING GIN (doc);
