DROP TABLE registry.demand_events;
DROP TABLE registry.demands;
DROP TABLE registry.credit_listings;
