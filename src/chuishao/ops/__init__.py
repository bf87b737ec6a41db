"""Operations: liveness and readiness, Prometheus metrics, request ids and JSON logs.

Nothing here changes domain state; it reads the database and the queue to tell an orchestrator, a
scraper or a log pipeline how the deployment is doing.
"""
