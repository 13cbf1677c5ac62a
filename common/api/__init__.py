"""The HTTP surface: routers (WSGI and ASGI), request bodies, who is calling and what they may read,
rate limits, the daily job budget and Idempotency-Key."""
