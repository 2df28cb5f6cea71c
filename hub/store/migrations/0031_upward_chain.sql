-- City side (issue 17, docs/upward.md "Chain checking"): each station's chain as the city holds it, kept by the
-- ingest in the same transaction as the links it notes (owned by hub/upward/chain.py), so that /city/ and
-- /region/ read a few rows instead of a window over every link held.
--
-- upward_chain: per county and station, the contiguous head (every seq 1..head_seq held, whole or by hash;
-- head_hash the hash of head_seq, NULL while nothing from seq 1 is held) and the highest seq held.
CREATE TABLE upward_chain (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    station INTEGER NOT NULL,
    head_seq BIGINT NOT NULL DEFAULT 0,
    head_hash {BLOB},
    top_seq BIGINT NOT NULL DEFAULT 0,
    UNIQUE (county_id, station)
);

-- upward_chain_fault: a gap (broken false: seqs first_seq..last_seq held by none, below the highest held; it
-- disappears when filled) or a break (broken true, first_seq = last_seq: a seq whose prev is not the hash of the
-- record before, or held both whole and by hash; it stays).
CREATE TABLE upward_chain_fault (
    id {ID},
    county_id BIGINT NOT NULL REFERENCES node (id),
    station INTEGER NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    broken {BOOL} NOT NULL,
    UNIQUE (county_id, station, first_seq, broken)
);

-- The state of the links held before this migration (an upgraded city shows the faults it showed).
WITH links AS (
    SELECT county_id, station, station_seq AS seq, prev, hash FROM upward_forwarded
    UNION ALL
    SELECT county_id, station, station_seq AS seq, prev, hash FROM upward_kept
), held AS (
    SELECT DISTINCT county_id, station, seq FROM links
), ordered AS (
    SELECT county_id, station, seq, LAG(seq) OVER (PARTITION BY county_id, station ORDER BY seq) AS before_seq
    FROM held
)
INSERT INTO upward_chain_fault (county_id, station, first_seq, last_seq, broken)
SELECT county_id, station, COALESCE(before_seq, 0) + 1, seq - 1, {FALSE} FROM ordered
WHERE seq > COALESCE(before_seq, 0) + 1;

WITH links AS (
    SELECT county_id, station, station_seq AS seq, prev, hash FROM upward_forwarded
    UNION ALL
    SELECT county_id, station, station_seq AS seq, prev, hash FROM upward_kept
), twice AS (
    SELECT county_id, station, seq FROM links GROUP BY county_id, station, seq HAVING COUNT(*) > 1
), unlinked AS (
    SELECT a.county_id, a.station, a.seq FROM links a
    JOIN links b ON b.county_id = a.county_id AND b.station = a.station AND b.seq = a.seq - 1
    WHERE a.prev IS NOT NULL AND a.prev <> b.hash
), broken AS (
    SELECT county_id, station, seq FROM twice UNION SELECT county_id, station, seq FROM unlinked
)
INSERT INTO upward_chain_fault (county_id, station, first_seq, last_seq, broken)
SELECT county_id, station, seq, seq, {TRUE} FROM broken;

WITH links AS (
    SELECT county_id, station, station_seq AS seq FROM upward_forwarded
    UNION ALL
    SELECT county_id, station, station_seq AS seq FROM upward_kept
), tops AS (
    SELECT county_id, station, MAX(seq) AS top_seq FROM links GROUP BY county_id, station
), heads AS (
    SELECT t.county_id, t.station, t.top_seq,
           COALESCE((SELECT MIN(g.first_seq) - 1 FROM upward_chain_fault g
                     WHERE g.county_id = t.county_id AND g.station = t.station AND g.broken = {FALSE}),
                    t.top_seq) AS head_seq
    FROM tops t
)
INSERT INTO upward_chain (county_id, station, head_seq, head_hash, top_seq)
SELECT h.county_id, h.station, h.head_seq,
       COALESCE((SELECT f.hash FROM upward_forwarded f WHERE f.county_id = h.county_id AND f.station = h.station
                 AND f.station_seq = h.head_seq),
                (SELECT k.hash FROM upward_kept k WHERE k.county_id = h.county_id AND k.station = h.station
                 AND k.station_seq = h.head_seq)),
       h.top_seq
FROM heads h;
