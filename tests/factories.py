from datetime import date

import factory

from supervision.models import JobRole, StaffProfile, SupervisoryRelationship, Unit, User

SUPERVISEE_PASSWORD = "a long test password 123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    full_name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", SUPERVISEE_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"Team {n}")
    code = factory.Sequence(lambda n: f"unit-{n}")
    kind = Unit.Kind.TEAM


class JobRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRole
        django_get_or_create = ("code",)

    code = "social-worker"
    name = "Social Worker"
    category = JobRole.Category.PRACTITIONER


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    job_role = factory.SubFactory(JobRoleFactory)
    unit = factory.SubFactory(UnitFactory)
    start_date = date(2024, 1, 8)


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisoryRelationship

    supervisor = factory.SubFactory(UserFactory)
    supervisee = factory.SubFactory(UserFactory)
    kind = SupervisoryRelationship.Kind.LINE
    starts_on = date(2024, 1, 8)
