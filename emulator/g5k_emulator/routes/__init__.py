"""The API's routes, one module per concern; mounted under /stable (and /3.0, /sid) by app.py."""
