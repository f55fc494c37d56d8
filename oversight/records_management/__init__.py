"""Records management: importing an organisation from CSV files, keeping and destroying
leavers' files, and subject access."""
