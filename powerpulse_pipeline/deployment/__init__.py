"""What runs PowerPulse as a service: the Dagster instance, a local PostgreSQL, `make serve`."""
