"""Who may do what to which object, at which moment: the one place that decides.

Every view, selector, export, task and page that needs reach asks a module of this package,
one per kind of object:

- `people`: whether a user has any reach at all on a day (signed-in, account open, not past
  their leaving day). Every other answer starts here, so a leaver's door is closed by the
  check itself, not only by the job that tidies up after them.
- `roles`: what a person is in the organisation on a day, and the pages that need a role.
- `files`: staff supervision files and everything kept in them; absences; access logs.
- `sessions`: supervision sessions and their records.
- `records`: who signs and finalises a record, after a change of supervisor or a leaver too.
- `agreements`: supervisory relationships and their agreements.
- `children`: children, caseloads, team case work, group and front-door sessions.
- `units`: the organisation's units for dashboards, exports and team plans.
- `grants`: time-limited access grants (auditors, inspectors).
- `quality`: quality-assurance samples.
- `subject_access`: subject access exports.
- `refusals`: the one way to refuse (audited 404 or 403, naming whom it was about) and to
  write an audited read.

Outside reach is a 404, never a 403, so an id typed into a URL does not reveal that something
exists; inside reach without the right to act, a 403. Both are audited.

The package sits above the domain's models and the audit log, and below every view, service
and report: it imports models, never views.
"""
