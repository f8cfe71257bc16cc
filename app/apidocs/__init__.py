"""The API documentation page at /schema: Swagger UI from a package's local files, no CDN, no inline script."""
