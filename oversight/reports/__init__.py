"""On top of everything: the dashboards, the home tables and every table people can download."""
