"""Background work: the task engine (Huey), the jobs it runs, and the record of work in the store."""
