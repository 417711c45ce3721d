-- Full-text index of every entry, PostgreSQL's way: one row per entry with
-- the indexed text (title, author, body as plain text — kept for snippets,
-- as FTS5 keeps it) and its tsvector, weighted title A > author B > body C
-- like the bm25 weights of the SQLite index (10, 5, 1).
--
-- Words are cut by the store, not by PostgreSQL's parser: the parser keeps
-- `example.com`, `foo-bar` or `l’été` whole (and, in a "C" database, any
-- run of non-ASCII characters), FTS5's unicode61 tokenizer does not. The
-- store passes each field as its words (runs of letters and digits),
-- lower-cased, separated by U+0001; here each word loses its
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

-- The words of a field as the store gives them (separated by U+0001, which
-- neither a word nor unaccent's output holds), folded, and escaped for a
-- tsvector literal: folded as a whole, one unaccent call per field, each
-- word kept in its place (a leading separator, so that a word folded to
-- nothing still counts: string_to_array('', …) is empty).
CREATE FUNCTION tributary_words(words text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN coalesce(words, '') = '' THEN '{}'::text[]
                 ELSE (string_to_array(chr(1) || replace(replace(tributary_fold(words),
                          '\', '\\'), '''', ''''''), chr(1)))[2:] END $$;

-- The tsvector of an entry from the words of its title, author and body:
-- title words at positions 1…, the author's from one past the title's
-- last, the body's from one past the author's last. Positions past 16383
-- are 16383 (PostgreSQL's limit); a word longer than a lexeme may be
-- (2046 bytes) is left out, a word folded to nothing too. (PL/pgSQL: as
-- an SQL function the same query ran four times slower.)
CREATE FUNCTION tributary_search_doc(title text, author text, body text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    t text[] := tributary_words(title);
    a text[] := tributary_words(author);
    b text[] := tributary_words(body);
BEGIN
    RETURN (
        SELECT coalesce(string_agg('''' || w.word || ''':' || least(w.pos, 16383) || w.weight, ' '),
                        '')::tsvector
          FROM (SELECT u.word, u.i AS pos, 'A' AS weight
                  FROM unnest(t) WITH ORDINALITY AS u(word, i)
                UNION ALL
                SELECT u.word, cardinality(t) + 1 + u.i, 'B'
                  FROM unnest(a) WITH ORDINALITY AS u(word, i)
                UNION ALL
                SELECT u.word, cardinality(t) + cardinality(a) + 2 + u.i, 'C'
                  FROM unnest(b) WITH ORDINALITY AS u(word, i)) AS w
         WHERE w.word <> '' AND octet_length(w.word) <= 2046);
END $$;

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
-- Searches read the tsvector of every match (to rank them, and where the
-- index cannot answer alone): kept in the row, compressed, it is read
-- about three times faster than from the TOAST table; the text, read only
-- for one page of snippets, goes there first when a row is too long.
ALTER TABLE entries_search ALTER COLUMN doc SET STORAGE MAIN;
CREATE INDEX entries_search_doc ON entries_search USING GIN (doc);

-- The history page (entries by the time they were read, newest first)
-- walks this index and stops after a page. The init schema's index ends at
-- read_at; marking many entries read at once gives them all one read_at,
-- and the entry id that breaks those ties must be in the index too (SQLite's
-- ends with the row's key), or PostgreSQL sorts all of the user's read
-- entries for every page.
DROP INDEX entry_states_history;
CREATE INDEX entry_states_history ON entry_states(user_id, read_at, entry_id) WHERE read;
