"""Who someone is: signing in (password, single sign-on, a second factor), the limits on
guessing, invitations, and confirming one's identity again to sign a record.

django-allauth does the flows; this package holds the organisation's rules around them:
nobody registers themselves, a leaver cannot sign in by any route, who must use a second
factor, and how many guesses anyone gets."""
