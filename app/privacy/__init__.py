"""Privacy requests (export, erasure), consent enforcement across domains, and the audit trail."""
