"""The casework pages: views, forms and URLs."""
