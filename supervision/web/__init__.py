"""The supervision pages: views, forms and URLs. Reach is asked of `access`; writes go
through the services of the packages below."""
