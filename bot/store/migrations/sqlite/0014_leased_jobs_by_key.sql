-- Completing or retrying a key's jobs asks whether another job of the key
-- is still leased (refreshKeys in queue.go). Without this index the
-- question read every live job of the key — hundreds under a backlog, for
-- each completion — while the key's row stayed locked against the
-- deliveries queueing jobs for it: on PostgreSQL with three replicas at
-- 1,000 deliveries/s, acks took seconds once the backlog had grown.
CREATE INDEX jobs_leased_by_key ON jobs (ordering_key) WHERE state = 'leased';
