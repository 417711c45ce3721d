-- Full-text index of every entry, PostgreSQL's way: one row per entry with
-- the indexed text (title, author, body as plain text — kept for snippets,
-- as FTS5 keeps it) and its tsvector, weighted title A > author B > body C
-- like the bm25 weights of the SQLite index (10, 5, 1).
--
-- Words are cut by the store, not by PostgreSQL's parser: the parser keeps
-- `example.com`, `foo-bar` or `l’été` whole (and, in a "C" database, any
-- run of non-ASCII characters), FTS5's unicode61 tokenizer does not. The
-- store passes each field as its words (runs of letters and digits),
-- lower-cased, separated by single spaces; here each word loses its
-- diacritics (`unaccent`, like FTS5's remove_diacritics 2) and gets its
-- position: title words from 1, then the author's and the body's, each
-- field one position after the end of the one before, so that a phrase
-- never runs from one field into the next. No stemming, no stop words, as
-- with unicode61. Rows are written by the store in the entry's
-- transaction; deletions cascade.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is STABLE (its dictionary could change); this wrapper names the
-- dictionary so it can be IMMUTABLE and used in the index's expressions.
CREATE FUNCTION tributary_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, t) $$;

-- The tsvector of an entry from the words of its title, author and body.
-- Positions past 16383 are 16383 (PostgreSQL's limit); a word longer than
-- a lexeme may be (2046 bytes) is left out.
CREATE FUNCTION tributary_search_doc(title text, author text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    WITH f(words, weight, n) AS (
        VALUES (string_to_array(coalesce(title, ''), ' '), 'A', 1),
               (string_to_array(coalesce(author, ''), ' '), 'B', 2),
               (string_to_array(coalesce(body, ''), ' '), 'C', 3)),
    placed AS (
        SELECT f.words, f.weight,
               coalesce(sum(cardinality(f.words) + 1) OVER (ORDER BY f.n
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS base
          FROM f),
    lexemes AS (
        SELECT tributary_fold(w.word) AS lexeme, p.base + w.i AS pos, p.weight
          FROM placed p, unnest(p.words) WITH ORDINALITY AS w(word, i))
    SELECT coalesce(string_agg(
               '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || ''':'
                    || least(pos, 16383) || weight, ' '), '')::tsvector
      FROM lexemes
     WHERE lexeme <> '' AND octet_length(lexeme) <= 2046 $$;

-- A word of a search (lower-cased by the store) as a tsquery operand:
-- folded as the index's words are, and quoted. A word that cannot be in
-- the index (nothing left once folded, or too long) becomes a lexeme no
-- word folds to, so it matches nothing.
CREATE FUNCTION tributary_query_word(word text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT CASE WHEN f = '' OR octet_length(f) > 2046 THEN '''' || chr(1) || ''''
                      ELSE '''' || replace(replace(f, '\', '\\'), '''', '''''') || '''' END
            FROM tributary_fold(word) AS f $$;

CREATE TABLE entries_search (
    entry_id  BIGINT PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    title     TEXT COLLATE "C" NOT NULL,
    author    TEXT COLLATE "C",
    body      TEXT COLLATE "C" NOT NULL,
    doc       tsvector NOT NULL
);
CREATE INDEX entries_search_doc ON entries_search USING GIN (doc);
