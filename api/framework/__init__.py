"""The API's machinery, shared by every version's views: the bearer token, the scopes, the
rate limit per token, the audit entry per call, errors as JSON problems and cursor pages."""
