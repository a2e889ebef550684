-- PruneDeliveries deletes old deliveries by the time they were received.
CREATE INDEX deliveries_by_received_at ON deliveries (received_at);
