"""Practice observations, development conversations, probation reviews and wellbeing plans."""
