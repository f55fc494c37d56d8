"""Record templates (rules R1–R3, after Surrey's individual staff and management supervision
records and Kent's professional support and personal supervision records), loaded by data
migrations: the first versions (TEMPLATES), then later versions (NEW_VERSIONS, then
EQUALITY_VERSIONS). A change to a template is a new version, never an edit: records keep the
version they were written on."""

REFLECTIVE = (
    "Experience: what happened? Reflection: how did it feel, for you and for the child or family? "
    "Analysis: what does it mean, and what explains it? Plans: what will you do next, and by when?"
)

# (code, session type, name, introduction, [(key, heading, prompts, is_personal)])
TEMPLATES = [
    (
        "individual-staff-supervision",
        "individual",
        "Staff supervision record",
        "Individual staff supervision (Surrey 001 §3.1.1). Place on the supervision file and give "
        "a copy to the supervisee.",
        [
            ("agreed-agenda", "Agreed agenda", "What you both agreed to discuss, in order.", False),
            (
                "check-in",
                "Check-in: wellbeing and impact of work",
                "How is the supervisee, and how is the work affecting them? Keep to what is relevant "
                "to their role.",
                True,
            ),
            (
                "review-of-actions",
                "Review of actions from last supervision",
                "Say what happened with each action from last time.",
                False,
            ),
            (
                "workload-performance",
                "Workload and performance",
                "Caseload, capacity, timeliness, quality, and any concerns about performance.",
                False,
            ),
            ("reflection", "Reflection on practice", REFLECTIVE, False),
            (
                "support-self-care",
                "Support and self-care",
                "What support does the supervisee need, and what will they do for themselves?",
                True,
            ),
            (
                "learning-development",
                "Learning and development",
                "Training, reading, learning from practice, progress towards their development plan.",
                False,
            ),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "personal-supervision",
        "personal_support",
        "Personal supervision record",
        "Personal and professional support supervision (Kent 004 Appendix B). The record may be "
        "seen by line managers above the supervisor: agree what personal information it holds.",
        [
            (
                "wellbeing",
                "Wellbeing and work–life balance",
                "Wellbeing plan review, stress level, working hours, absences, personal worries or "
                "outside responsibilities, hybrid working, emotional support needed.",
                True,
            ),
            (
                "health-safety",
                "Health and safety, workstation and hybrid working",
                "Workstation assessment, lone working, safety in the workplace.",
                True,
            ),
            ("leave", "Annual leave, TOIL and flexi", "", False),
            (
                "personal-development",
                "Personal development",
                "Development plan review, mandatory training, other learning, evidence for "
                "progression.",
                False,
            ),
            ("feedback", "Feedback from families, quality assurance and audits", "", False),
            (
                "team-welfare",
                "Team welfare and staffing",
                "Team workload and support, and any capability worries in the team.",
                False,
            ),
            (
                "children-families",
                "Individual children and families: risks, reflections, worries",
                "Use children's initials or unique reference only. Detail of the discussion goes on "
                "the child's file unless it is personal to the worker. " + REFLECTIVE,
                False,
            ),
            ("other-topics", "Any other topics", "", False),
        ],
    ),
    (
        "case-supervision",
        "case",
        "Case supervision record",
        "Case supervision. Identify children by initials or unique reference only (DOMAIN R11).",
        [
            (
                "agreed-agenda",
                "Agreed agenda",
                "Which children will be discussed, and why now.",
                False,
            ),
            (
                "children-discussed",
                "Children discussed",
                "Initials and unique reference of each child discussed.",
                False,
            ),
            (
                "progress-risk",
                "Progress, risk and the child's experience",
                "What is life like for the child now? What has changed since last time?",
                False,
            ),
            ("reflection", "Reflection and analysis", REFLECTIVE, False),
            (
                "plans",
                "Plans for each child",
                "What will happen next for each child, who will do it, and by when. Write so that the "
                "child could follow it if they read their file later.",
                False,
            ),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "management-supervision",
        "management",
        "Management supervision record",
        "Supervision of practice, team, service and strategic managers (Surrey 001 §3.1.4).",
        [
            ("agreed-agenda", "Agreed agenda", "", False),
            ("check-in", "Check-in: wellbeing and impact of work", "", True),
            ("review-of-actions", "Review of actions from last supervision", "", False),
            (
                "team-performance",
                "Team performance, workload and staffing",
                "Performance data, caseloads, vacancies, agency staff, supervision compliance.",
                False,
            ),
            (
                "quality",
                "Quality of practice and oversight",
                "Audit findings, complaints, compliments, management oversight on children's files.",
                False,
            ),
            ("reflection", "Reflection on leadership and practice", REFLECTIVE, False),
            ("learning-development", "Learning and development", "", False),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "iro-cp-chair-supervision",
        "iro_cp_chair",
        "IRO and CP chair supervision record",
        "Supervision of IROs and CP chairs every four weeks (Surrey 001 §3.1.3). Bring your "
        "learning portfolio.",
        [
            ("check-in", "Check-in: wellbeing and impact of work", "", True),
            ("review-of-actions", "Review of actions from last supervision", "", False),
            ("caseload", "Caseload and timeliness of reviews and conferences", "", False),
            (
                "themes",
                "Themes from reviews and conferences",
                "Issues seen across children's plans, for the service's quality assurance.",
                False,
            ),
            ("escalations", "Escalations and dispute resolution", "", False),
            ("reflection", "Reflection on practice", REFLECTIVE, False),
            ("learning-portfolio", "Learning portfolio and development", "", False),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "lado-supervision",
        "lado",
        "LADO supervision record",
        "Supervision of the Local Authority Designated Officer every four weeks (Surrey 001 §3.1.3).",
        [
            ("check-in", "Check-in: wellbeing and impact of work", "", True),
            ("review-of-actions", "Review of actions from last supervision", "", False),
            ("allegations", "Allegations management: caseload and timeliness", "", False),
            ("themes", "Themes and multi-agency liaison", "", False),
            ("reflection", "Reflection on practice", REFLECTIVE, False),
            ("learning-portfolio", "Learning portfolio and development", "", False),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "ad-hoc-supervision",
        "ad_hoc",
        "Ad hoc supervision record",
        "An unplanned discussion. It does not replace formal supervision (DOMAIN S6).",
        [
            ("reason", "Why this discussion was needed now", "", False),
            ("discussion", "Discussion", REFLECTIVE, False),
            ("outcome", "Outcome", "What was decided, and what happens next.", False),
        ],
    ),
    (
        "transition-supervision",
        "transition",
        "Transition supervision record",
        "Supervision at a change: of supervisor, of team, or of a child's service.",
        [
            ("purpose", "Purpose of the transition", "", False),
            (
                "handover",
                "What is handed over",
                "Work, children (initials or reference only), open actions and commitments.",
                False,
            ),
            ("check-in", "Check-in: wellbeing and impact of the change", "", True),
            ("needs", "What the new supervisor or service needs to know", "", False),
            ("plans", "Plans and next steps", "", False),
        ],
    ),
    (
        "joint-inter-service-supervision",
        "joint_inter_service",
        "Joint inter-service supervision record",
        "Supervision held jointly by two services, for example before a transfer (DOMAIN C5).",
        [
            ("attendees", "Who attended and why", "", False),
            (
                "children",
                "Children and families discussed",
                "Initials or unique reference only.",
                False,
            ),
            ("views", "Each service's view", REFLECTIVE, False),
            (
                "plan",
                "Agreed plan",
                "Who does what, by when, and who holds the case meanwhile.",
                False,
            ),
        ],
    ),
]


def load_templates(record_template_model, template_section_model) -> None:
    for code, session_type, name, introduction, sections in TEMPLATES:
        template, created = record_template_model.objects.get_or_create(
            code=code,
            version=1,
            defaults={
                "name": name,
                "session_type": session_type,
                "introduction": introduction,
                "is_current": True,
            },
        )
        if not created:
            continue
        for position, (key, heading, prompts, is_personal) in enumerate(sections, start=1):
            template_section_model.objects.create(
                template=template,
                position=position,
                key=key,
                heading=heading,
                prompts=prompts,
                is_personal=is_personal,
            )


def _discussion_and_actions(key, heading, prompts, is_personal=False):
    """Kent's forms ask, under each heading, for the discussion and then the actions agreed."""
    return [
        (key, f"{heading}: discussion", prompts, is_personal),
        (
            f"{key}-actions",
            f"{heading}: actions",
            "What will be done, by whom and by when. Add each as an action below too, so that "
            "it is reviewed next time.",
            is_personal,
        ),
    ]


ASYE_EVIDENCE = (
    "Which piece of work does this session evidence, and against which Professional "
    "Capabilities Framework (PCF) domains and Knowledge and Skills Statement (KSS) for child "
    "and family practitioners? Say what it shows and what is still to evidence."
)

# (code, version, session type, audience, name, introduction, sections). Each is a new
# version (or a new template) made current; it asks for the date of the next supervision.
NEW_VERSIONS = [
    (
        "individual-staff-supervision",
        2,
        "individual",
        "",
        "Staff supervision record",
        "Individual staff supervision (Surrey 001 §3.1.1). Place on the supervision file and give "
        "a copy to the supervisee. It ends with the date of the next supervision.",
        TEMPLATES[0][4],
    ),
    (
        "personal-supervision",
        2,
        "personal_support",
        "",
        "Personal supervision record",
        "Personal supervision of frontline practitioners (Kent 004 Appendix B). The record may be "
        "seen by line managers above the supervisor: agree what personal information it holds. "
        "Information about children only where it bears on the worker, by initials only.",
        [
            *_discussion_and_actions(
                "wellbeing",
                "Wellbeing and work–life balance",
                "Wellbeing plan review: stress level scaling, working hours, absences and support "
                "needed, personal worries or outside responsibilities, hybrid working, emotional "
                "support, occupational health and the support line (referrals agreed or refused).",
                True,
            ),
            (
                "health-safety",
                "Workstation assessment, health and safety, and hybrid working",
                "",
                True,
            ),
            ("leave", "Annual leave, TOIL and flexi", "", False),
            *_discussion_and_actions(
                "personal-development",
                "Personal development",
                "Development plan review and preparation for progression; mandatory training "
                "and other training; evidence to consider and record; feedback received from "
                "families, quality assurance and audits.",
            ),
            *_discussion_and_actions(
                "team-welfare",
                "Team welfare and staffing",
                "Individual workload and staff wellbeing; team workload and support needed; any "
                "capability worries in the team.",
            ),
            *_discussion_and_actions(
                "children-families",
                "Individual children and families: high risk, reflections, worries",
                "The detail goes on the child's file unless it is personal to the worker. Use "
                "children's initials only. " + REFLECTIVE,
            ),
            *_discussion_and_actions("other-topics", "Any other topics", ""),
        ],
    ),
    (
        "professional-supervision",
        1,
        "personal_support",
        "managers",
        "Professional supervision record",
        "Professional support supervision (Kent 004 Appendix A), for managers and staff who are "
        "not frontline practitioners. Record the decision or discussion and the actions for "
        "each item.",
        [
            *_discussion_and_actions(
                "previous-actions", "Actions from previous session", "What happened to each."
            ),
            *_discussion_and_actions(
                "health-wellbeing",
                "Health and wellbeing",
                "Including work–life balance, annual leave and wellbeing tools.",
                True,
            ),
            *_discussion_and_actions(
                "health-safety",
                "Health and safety in the workplace",
                "Including lone working where it applies.",
            ),
            *_discussion_and_actions("professional-development", "Professional development", ""),
            *_discussion_and_actions(
                "any-other-business",
                "Any other business",
                "Including review of the supervision agreement and the Good Conversation.",
            ),
        ],
    ),
    (
        "management-supervision",
        2,
        "management",
        "",
        "Management supervision record",
        "Supervision of practice, team, service and strategic managers (Surrey 001 §3.1.4): the "
        "welfare headings and the business of the service, so that risks and good practice pass "
        "up the organisation and decisions pass down to frontline staff.",
        [
            ("agreed-agenda", "Agreed agenda", "", False),
            ("check-in", "Check-in: wellbeing and impact of work", "", True),
            ("review-of-actions", "Review of actions from last supervision", "", False),
            (
                "performance-indicators",
                "Key performance indicators and commentary",
                "Performance data, caseloads, timeliness, supervision compliance.",
                False,
            ),
            (
                "serious-incidents",
                "Serious incidents, children of concern, exploitation, complaints, escalations, "
                "commendations and good practice",
                "Children by initials or unique reference only.",
                False,
            ),
            (
                "risk",
                "Risk management, including health and safety, and strategies",
                "",
                False,
            ),
            ("budget", "Budget position", "For service managers and above.", False),
            (
                "capacity",
                "Capacity, vacancies, staff absence, maternity and staff morale",
                "",
                False,
            ),
            (
                "quality",
                "Quality of practice and oversight",
                "Audit findings, complaints, compliments, management oversight on children's files.",
                False,
            ),
            (
                "policy-cascade",
                "Updates on key policy and procedural changes",
                "Corporate and directorate changes, and how they will reach frontline staff.",
                False,
            ),
            ("reflection", "Reflection on leadership and practice", REFLECTIVE, False),
            ("learning-development", "Learning and development", "", False),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "asye-supervision",
        1,
        "individual",
        "asye",
        "ASYE supervision record",
        "Supervision in the Assessed and Supported Year in Employment (Kent 004: up to an hour "
        "and a half, weekly for the first six weeks, fortnightly up to the six-month review, at "
        "least monthly after). Protected learning time and a caseload about 10% below the team's.",
        [
            ("agreed-agenda", "Agreed agenda", "What you both agreed to discuss, in order.", False),
            (
                "check-in",
                "Check-in: wellbeing and impact of work",
                "How is the newly qualified worker, and how is the work affecting them?",
                True,
            ),
            (
                "review-of-actions",
                "Review of actions from last supervision",
                "Say what happened with each action from last time.",
                False,
            ),
            (
                "workload",
                "Workload and protected learning time",
                "Is the caseload reduced as agreed? Was the protected learning time kept?",
                False,
            ),
            ("reflection", "Reflection on practice", REFLECTIVE, False),
            ("pcf-kss-evidence", "Evidence against the PCF and the KSS", ASYE_EVIDENCE, False),
            (
                "six-month-review",
                "Progress towards the six-month review",
                "Where the worker stands against the PCF and the KSS; what the six-month (and "
                "then the final) review will need; any concern about progress, said early.",
                False,
            ),
            (
                "support-self-care",
                "Support and self-care",
                "What support does the worker need, and what will they do for themselves?",
                True,
            ),
            ("learning-development", "Learning and development", "", False),
            ("any-other-business", "Any other business", "", False),
        ],
    ),
    (
        "iro-cp-chair-supervision",
        2,
        "iro_cp_chair",
        "",
        "IRO and CP chair supervision record",
        TEMPLATES[4][3],
        TEMPLATES[4][4],
    ),
    (
        "lado-supervision",
        2,
        "lado",
        "",
        "LADO supervision record",
        TEMPLATES[5][3],
        TEMPLATES[5][4],
    ),
]


EQUALITY_KEY = "equality-identity"
EQUALITY_HEADING = "Equality, identity and anti-discriminatory practice"
EQUALITY_PROMPTS = (
    "How do the supervisee's identity, experiences and characteristics, and those of the child "
    "and family, shape the way they see the family and do the work? Has the supervisee met "
    "discrimination from families, other professionals or within the service? How is the work "
    "anti-discriminatory and anti-oppressive? (Surrey 001 §1.2 and §3: supervision promotes "
    "anti-discriminatory practice and records equality issues; Kent 004, Impact of personal "
    "characteristics and experiences.)"
)
# Personal: 004 asks for a safe place to talk about identity, trauma, sexual orientation and
# belief, which is for the supervisee, the supervisor and the line above, not for auditors.
EQUALITY_SECTION = (EQUALITY_KEY, EQUALITY_HEADING, EQUALITY_PROMPTS, True)


def _with_equality(sections, after: str):
    """The sections with the equality heading after the one keyed `after`."""
    keys = [key for key, *_ in sections]
    at = keys.index(after) + 1
    return [*sections[:at], EQUALITY_SECTION, *sections[at:]]


def _new_version(code: str, version: int, after: str):
    """The latest version of `code` in NEW_VERSIONS, as version `version` with the equality
    heading after the heading keyed `after`."""
    entry = next(v for v in reversed(NEW_VERSIONS) if v[0] == code)
    _, _, session_type, audience, name, introduction, sections = entry
    return (
        code,
        version,
        session_type,
        audience,
        name,
        introduction,
        _with_equality(sections, after),
    )


# The heading "Equality, identity and anti-discriminatory practice" in every individual form of
# each council's policy: Surrey's staff supervision record, Kent's personal supervision
# (Appendix B) and professional supervision (Appendix A) records, and the ASYE form.
EQUALITY_VERSIONS = [
    _new_version("individual-staff-supervision", 3, after="reflection"),
    _new_version("personal-supervision", 3, after="children-families-actions"),
    _new_version("professional-supervision", 2, after="professional-development-actions"),
    _new_version("asye-supervision", 2, after="reflection"),
]


def load_new_versions(record_template_model, template_section_model, versions=None) -> None:
    """Make each of `versions` (NEW_VERSIONS unless given) the current template for its session
    type and audience; the versions before it stay, for the records written on them."""
    for code, version, session_type, audience, name, introduction, sections in (
        NEW_VERSIONS if versions is None else versions
    ):
        if record_template_model.objects.filter(code=code, version=version).exists():
            continue
        record_template_model.objects.filter(
            session_type=session_type, audience=audience, is_current=True
        ).update(is_current=False)
        template = record_template_model.objects.create(
            code=code,
            version=version,
            name=name,
            session_type=session_type,
            audience=audience,
            introduction=introduction,
            is_current=True,
            asks_next_session=True,
        )
        template_section_model.objects.bulk_create(
            template_section_model(
                template=template,
                position=position,
                key=key,
                heading=heading,
                prompts=prompts,
                is_personal=is_personal,
            )
            for position, (key, heading, prompts, is_personal) in enumerate(sections, start=1)
        )
