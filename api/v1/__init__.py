"""Version 1 of the API: /api/v1/. A change that would break a client goes into a v2 beside
it; additions (a new field, a new route) stay in v1."""
