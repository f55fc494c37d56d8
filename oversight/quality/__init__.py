"""Quality assurance: sampling finalised records for review, and supervisees' feedback."""
