"""What the demo's case notes say (see `demo.casework`)."""

from casework.models import CaseNote, Service

# --- What the notes say: written to the child (R11), no names, varied from small pools -------

SITUATION = {
    Service.EARLY_HELP: [
        "You live with your mum and your two younger brothers. Your family support worker sees "
        "you at home every fortnight.",
        "You are in Year 5 and going to school most days now. Your dad has started the "
        "parenting course.",
        "You and your mum moved to a new flat in the spring. You told your worker it feels "
        "calmer there.",
        "You have been going to the after-school club on Tuesdays and Thursdays since half term.",
    ],
    Service.SOCIAL_WORK: [
        "You live with your aunt, who has looked after you since the summer. Your social worker "
        "visits you every two weeks.",
        "You are living at home with your mum. There is a child protection plan to keep you "
        "safe, and you know what it says.",
        "You moved to a new foster home in the autumn. You have your own room and your own key.",
        "You are still living with your grandparents. You see your mum every Saturday at the "
        "family centre.",
        "You started at a new secondary school in September and you get the bus on your own.",
    ],
    Service.YOUTH_JUSTICE: [
        "You are on a referral order. You meet your youth justice worker every week at the "
        "youth centre.",
        "You have finished the first half of your order and kept almost all of your appointments.",
        "You are back at college three days a week and working with the mentor you chose.",
        "You had a hard month: you were arrested again in town, and you told your worker you "
        "felt pressured by older friends.",
    ],
}
WORKING_WELL = {
    "all": [
        "You are doing well at school and told your worker you like living with your aunt.",
        "Your mum has kept every appointment with the health visitor and the house is warm "
        "and tidy.",
        "You told us that things feel calmer at home and that you sleep better.",
        "You have made a good friend in your class and you go to football on Saturdays.",
        "Your carer says you are laughing more and you have started to talk about what you "
        "want to do when you are older.",
    ],
    Service.YOUTH_JUSTICE: [
        "You have kept every appointment with your worker this month.",
        "You wrote a letter to the shop owner to say sorry, and you were proud of it.",
        "Your mum says you are home on time most nights now.",
    ],
}
WORRIES = {
    "all": [
        "We are worried that you are missing school on Mondays and that nobody knows where "
        "you are.",
        "We are worried that the arguments at home are getting louder and that you hear them.",
        "We are worried that there is often not enough food in the house at the end of the month.",
        "We are worried that you are spending time with adults who are much older than you.",
        "We are still worried about drinking at home and what it means for you when your dad "
        "looks after you.",
    ],
    Service.YOUTH_JUSTICE: [
        "We are worried that older boys are asking you to carry things for them.",
        "We are worried that you were out late three times this month and your phone was off.",
        "We are worried that you might carry a knife because you said you do not feel safe "
        "in town.",
    ],
}
DECISION = {
    "all": [
        "Your worker will keep visiting you every two weeks and we will look at your plan "
        "again in six weeks.",
        "We will ask the school to set up a meeting with you and your mum about getting you "
        "to school on Mondays.",
        "Your plan stays the same for now. Your worker will see you on your own at school next "
        "time, so you can talk freely.",
        "We will hold a family group conference so your family can make a plan together with us.",
        "We will ask for a health assessment, because you have not seen a dentist for a long time.",
    ],
    Service.YOUTH_JUSTICE: [
        "Your worker will see you twice a week for the next month and go with you to the "
        "college interview.",
        "We will ask the exploitation team to help, because they work with young people who "
        "are pressured by others.",
        "Your order carries on as planned. We will talk about how you are doing at the next panel.",
    ],
}
REASONS = {
    "all": [
        "Things at home are calmer and your mum is working with the family support worker, so "
        "we think this is the right plan for now.",
        "You told us you want to stay where you are, and the people around you agree it is safe.",
        "Missing school means you miss out on learning and on friends, and we want to "
        "understand why it is happening.",
        "You told us you feel safer when you know what will happen next, so we want to keep "
        "things steady.",
        "The worries have not gone away yet, so we need to keep a close eye and make sure "
        "your plan is working.",
    ],
    Service.YOUTH_JUSTICE: [
        "Keeping busy with college and seeing your worker often has helped you stay out of "
        "trouble.",
        "What you told us about feeling pressured is serious, and people who know how to help "
        "should be involved.",
    ],
}
# (what, who): "worker" means the allocated worker; anything else is someone outside.
ACTIONS = [
    ("Visit you at home and see you on your own", "worker"),
    ("Ask your school how your attendance is going and tell you what they say", "worker"),
    ("Book your health assessment and go with you if you want", "worker"),
    ("Talk with you about what you want to say at your next review meeting", "worker"),
    ("Go to the parenting course on Wednesday mornings", "Your mum"),
    ("Make sure there is breakfast before school", "Your dad"),
    ("Set up a meeting with you, your mum and your head of year", "Your school"),
    ("Write down the things you want us to know before the meeting", "You"),
]
YJ_ACTIONS = [
    ("Go with you to the college interview", "worker"),
    ("Ring you on Friday evenings to check in", "worker"),
    ("Meet you and your mum to go through the order together", "worker"),
]
ALLOCATION = {
    Service.EARLY_HELP: (
        [
            "A worker from the early help team will see you this week and find out what help "
            "your family needs.",
            "Your family is allocated to a family support worker, who will visit within five "
            "working days.",
        ],
        [
            "Your mum asked for help, and the early help panel agreed that our team is the "
            "right one.",
            "Your school told us they are worried about you, and an early help plan can bring "
            "the right support together.",
        ],
    ),
    Service.SOCIAL_WORK: (
        [
            "Your case is allocated to a social worker who will visit you within five working "
            "days and start getting to know you and your family.",
            "A social worker will see you at school tomorrow and at home by the end of the week.",
        ],
        [
            "Your school told us they are worried about you, and we need to understand what "
            "life is like at home.",
            "The police told us about an incident at home, and we need to make sure you are safe.",
        ],
    ),
    Service.YOUTH_JUSTICE: (
        [
            "A youth justice worker will meet you this week and explain what happens next.",
            "Your worker will see you within five working days to start your plan together.",
        ],
        [
            "The court gave you an order, and our team will work with you while it lasts.",
            "You agreed to an out-of-court disposal, and our team will help you put things right.",
        ],
    ),
}
MOVES = {
    CaseNote.Kind.STEP_UP: (
        "Your case moves from early help to a social worker, because the worries about you "
        "have grown.",
        "The help so far has not made things safe enough at home, and a social worker can do "
        "more to protect you.",
    ),
    CaseNote.Kind.STEP_DOWN: (
        "Your case moves from your social worker to the early help team.",
        "Things have been better for a long time, and your family want to keep getting help "
        "from someone close by.",
    ),
    CaseNote.Kind.STEP_ACROSS: (
        "Your case moves to the youth justice team, which works with young people who have "
        "been in trouble with the police.",
        "The court gave you an order, and the youth justice team is the right team to help "
        "you now.",
    ),
    CaseNote.Kind.TRANSFER: (
        "Your case moves to the children in care team, where a social worker will stay with "
        "you for longer.",
        "You are now looked after, and the children in care team helps children living away "
        "from home.",
    ),
}
JOINT = (
    "Your current worker and your new worker met with both their managers to plan your move.",
    "We are worried that another change of worker might feel unsettling for you.",
    "Your new worker will visit with your current worker before the move, so you meet them first.",
    "You told us changes of worker are hard, so we want you to know your new worker before "
    "the move.",
)
STRATEGY = (
    "A strategy discussion was held with the police and health. We agreed to start a child "
    "protection enquiry.",
    "What you told your teacher about being hurt at home means we must find out more to keep "
    "you safe.",
)
PLAN_SIGNED = (
    "Your plan has been agreed and signed off by the team manager.",
    "The plan says what everyone will do to help you, and your family helped to write it.",
)
CLOSURE = {
    "outcomes_met": "Things are better at home and you told us you feel happy and safe, so you "
    "do not need our help any more.",
    "stepped_down": "You and your family will carry on getting help from your school and the "
    "family hub.",
    "moved_away": "You moved to another area, and the team there now looks after your case.",
    "adulthood": "You are now an adult and said you do not want our support any more; you can "
    "come back to us until you are 25.",
    "family_declined": "Your family decided they did not want help from us, and the worries "
    "were not big enough for us to insist.",
    "order_ended": "You finished your order and did everything it asked of you.",
}
CLOSING_DECISION = (
    "Your case is closing. Your worker will say goodbye and give you a letter about the work "
    "you did together."
)
WITHOUT_SUPERVISION = [
    "Closed five weeks after allocation when the family moved to another authority; the case "
    "was handed over by phone before a formal case supervision was booked.",
    "The family declined the service after the first visit; no formal case supervision was "
    "held before closure.",
    "Stepped down within a month on the panel's advice; closure agreed in an ad hoc "
    "discussion with the team manager.",
]
NEGLECT_COMMENTS = [
    "The health visitor did an independent review of your home, and we read the chronology "
    "again alongside the written agreement.",
    "We looked again at the history of the worries about your home and will ask someone from "
    "outside the team to visit.",
]
DISCUSS_NEXT = [
    "Missed school three days last week: check the safety plan",
    "New referral from the police overnight",
    "Review date close and the plan not yet updated",
    "Parent has asked for a change of worker",
    "Court date set: agree the statement",
    "Placement under strain: carer asked for respite",
]
RISK_REASONS = {
    "up": [
        "Raised after a new referral from school.",
        "Raised after a missing episode at the weekend.",
        "Raised: further police contact in town.",
    ],
    "down": [
        "Lowered: school attendance up and no missing episodes.",
        "Lowered: the safety plan has held for three months.",
        "Lowered: home conditions improved at two unannounced visits.",
    ],
}
FOUR_PS = {
    "predisposing": "You lost someone close to you when you were young and moved house four "
    "times before you were twelve.",
    "precipitating": "You were excluded from school last spring and started spending your "
    "days in town.",
    "perpetuating": "Older friends give you money and attention, and it is hard to say no to them.",
    "protective": "You love boxing and your coach believes in you; your gran's house is a "
    "safe place.",
}
PROGRESSION = [
    (
        "The team looked at where your plan has got to on the board.",
        "We agreed the next step for your plan and who will make it happen.",
        "Looking at each stage together helps us spot when things are drifting for you.",
    ),
    (
        "The team talked about what has changed for you since last month.",
        "Your plan moves on a stage: the changes have lasted and your family are keeping "
        "them going.",
        "The changes at home have lasted for two months, which is what this stage asks.",
    ),
]
TEAM_MEETING = (
    "Leadership messages: the new assessment form starts next month. Learning from audits: "
    "plans are clearer when the child's own words are quoted. Good practice shared: a family "
    "group conference that brought the wider family in. Wellbeing: the team wellbeing plan "
    "was reviewed and quiet-room bookings are working. Action: everyone tries the new form on "
    "one family before the launch."
)
FRONT_DOOR = {
    "strategy": "Referral from school after the child said they were scared to go home. "
    "Strategy discussion agreed the same day with police and health.",
    "sw_assessment": "Third referral this year about home conditions. Agreed to progress to a "
    "social work assessment.",
    "early_help": "A parent asked for help with behaviour at home. Agreed to refer to the "
    "early help team.",
    "advice": "The health visitor asked for advice after a missed appointment. Advice given; "
    "no further action at the front door.",
}
FRONT_DOOR_LEARNING = [
    "Check the family history before deciding the threshold.",
    "Call the referrer back the same day to explain the decision.",
    "Record the child's own words in the referral summary.",
]
FRONT_DOOR_REFLECTIONS = [
    "We talked about how quickly we reached each threshold decision and whether the family's "
    "voice was heard.",
    "Reflected on a busy duty day: agreed to ask for a second opinion sooner when unsure.",
    "Good use of history checks today; the chronologies made the decisions clearer.",
]
