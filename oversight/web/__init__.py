"""The oversight pages: views, forms and URLs."""
