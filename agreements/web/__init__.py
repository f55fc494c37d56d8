"""The agreements pages: views, forms and URLs."""
