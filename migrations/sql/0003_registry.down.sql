DROP TABLE IF EXISTS registry.pledge_financing, registry.pledge_assets, registry.ipc_concordance,
  registry.params, registry.asset_spans, registry.asset_events, registry.asset_owners,
  registry.assets, registry.parties, registry.regions;
DROP SCHEMA IF EXISTS registry;
