REVOKE SELECT ON public.schema_migrations FROM ipledger_app;
