"""Cross-item logic: duplicate rules (:mod:`.rules`), body hashing (:mod:`.hashing`)
and compaction of exports (:mod:`.compact`)."""
