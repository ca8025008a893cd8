"""Executors run a function over shards and give results back in shard order."""
