"""The standard job roles of a children's service: the ones the demo organisation has and an
import recognises by code. An organisation may add its own."""

STANDARD_JOB_ROLES = [
    # code, name, category, holds cases
    ("director", "Director of Children's Services", "senior_manager", False),
    ("head-of-service", "Head of Service", "senior_manager", False),
    ("service-manager", "Service Manager", "senior_manager", False),
    ("team-manager", "Team Manager", "manager", False),
    ("practice-manager", "Practice Manager", "manager", True),
    ("social-worker", "Social Worker", "practitioner", True),
    ("senior-social-worker", "Senior Social Worker", "practitioner", True),
    ("asye-social-worker", "Newly Qualified Social Worker (ASYE)", "asye", True),
    ("social-work-student", "Social Work Student", "student", True),
    ("family-support-worker", "Family Support Worker", "practitioner", True),
    ("early-help-practitioner", "Early Help Practitioner", "practitioner", True),
    ("personal-adviser", "Personal Adviser", "practitioner", True),
    ("youth-justice-worker", "Youth Justice Worker", "practitioner", True),
    ("iro", "Independent Reviewing Officer", "independent", False),
    ("cp-chair", "Child Protection Chair", "independent", False),
    ("lado", "Local Authority Designated Officer (LADO)", "independent", False),
    ("qa-officer", "Quality Assurance Officer", "support", False),
]
