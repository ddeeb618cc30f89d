"""Storage: the database, its tables and migrations."""
