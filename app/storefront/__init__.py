"""The reference storefront: one static page at `/` and its files under `/static/`."""
