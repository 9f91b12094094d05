"""HTTP routes: the socket and the poll (router.py), /health, and the test publish endpoint."""
