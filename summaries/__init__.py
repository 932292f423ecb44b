"""briefbot core: ingest, store, stories, summaries and diffs. No Discord, no scheduler."""
