"""Who is calling: credentials (API keys, JWT claims), scopes, and the tenant they belong to."""
