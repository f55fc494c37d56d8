"""From the facts recorded to flags raised and resolved.

`oversight.policy.due` decides, from plain facts, what is due and overdue at a moment. This package
reads those facts from the database, a batch of people or children at a time in a fixed number
of queries (`person_histories`, `child_histories`), keeps the flags in step with the rules
(`sync_person`, `sync_child`, and the scheduled `tick`) and answers the compliance report
(`compliance_rows`, and `flags_held_at` / `held_rows` for what the flags say).

Facts are kept as a history, so the rules can be asked about any moment: which line
relationship and which agreement were in force then, which allocation held the child then (its
worker, unit, service and start), which pack version applied that day. Between two moments at
which a fact took effect (`events()`), only due dates passing change the answer, so walking a
history from one such moment to the next (`_walk`) finds exactly when each item was overdue.

A flag is one spell of one overdue item: its kind, its subject, which one (`about`) and its
due date. Its two moments are the rules', never the job's:
- `overdue_since`: when, with the facts in force then, the rules first said the item was
  overdue: the start of the day after its due date (the due moment itself for C3), or later
  where a fact since moved the due date back (an agreement coming into force that asks for
  more frequent supervision). The report's "since" is worked from the due date, in both.
- `resolved_at`: when the fact that ended the spell took effect: the start of the day a late
  session was held, the moment a new allocation was discussed, the moment of a transfer.
When the due date of an item still overdue moves (a late-entered session, a risk rise), the old
flag is resolved when the old item stopped being overdue and a new one is raised. An item
overdue again after its spell ended (an agreement superseded) is a new flag, new notice.

A subject marked changed (a write to its facts) is walked back LATE_FACTS_WINDOW: a fact entered
late with an earlier date can open and close a spell that no tick saw (a session entered with
its record days after it was held), and such a spell is kept as a flag raised already resolved,
without a notice. The first evaluation of an organisation records the last LATE_FACTS_WINDOW.

So, when the job has been running, the flags held at any moment equal the compliance report
for that moment (tests/oversight/flags/test_scheduled.py checks this across a month of
events). Where they cannot:
- a spell that began and ended more than LATE_FACTS_WINDOW before the facts making it were
  entered (or, for a new organisation, before its first evaluation);
- a gap inside a spell still open, made by facts entered later (an agreement back-dated into a
  spell and superseded since): the open flag spans the gap;
- a choice of pack from a day in the past (an import's `--pack-from`): everyone is marked, so
  walked back LATE_FACTS_WINDOW under it; flags resolved before that keep the pack they were
  judged by;
- a pack version whose effective date is set in the past, or a fact changed with its history
  lost (a person's job role, start date, unit or probation end; the unit of a child held by no
  allocation): both answer with the values as they are now, but flags already resolved keep
  the history as it was judged then.
"""
