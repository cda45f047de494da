DROP FUNCTION registry.analyze_tables();
