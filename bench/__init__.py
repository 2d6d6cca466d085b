"""`make bench`: load tests of the API on PostgreSQL, with the framework and database ceilings beside them."""
