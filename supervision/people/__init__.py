"""People and their supervision files: relationships, access grants, absences, leavers,
passwords, the staff administration pages' writes and the reads pages share."""
