-- Places above the county (issue 17, docs/upward.md "Cleaning above the county"): a city or region hub loads the
-- visits its counties forward into the cleaning tables, and two counties may have the same township or village
-- names.  A township made by that loader names its county (the county's node at this hub) and its name as the
-- county calls it; its own name stays unique, qualified by the county: 大将镇（融安县）.  local_name is NULL for a
-- place the loader cannot name (a station serving villages of several townships).  NULL on a county hub's own
-- townships.
ALTER TABLE township ADD COLUMN county_node_id BIGINT REFERENCES node (id);
ALTER TABLE township ADD COLUMN local_name TEXT;
CREATE INDEX township_county_node ON township (county_node_id);
