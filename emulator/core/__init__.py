"""The vendor-neutral core: store and backends, clock, seeds, errors, journal, faults,
limits, routing, tenants, the outbox and the typed runtime. It knows no vendor and
serves no route."""
