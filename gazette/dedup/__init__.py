"""Cross-item logic: duplicate rules and body hashing (:mod:`.rules`) and compaction of
exports (:mod:`.compact`)."""
