"""The demo organisation (`manage.py load_demo`) and large synthetic organisations for
measuring; never imported by the product's own code."""
