"""Signing in: a leaver's account is closed from the day after their leaving date.

`get_user` runs on every request of a signed-in session, so a session begun before the
leaving date ends with it, whether or not the job that closes accounts has run yet. It loads
the staff profile with the user, since every access check reads the leaving date. That query's
SQL is compiled once for each database (`_UserRead`): compiling the ORM's join cost every page
more CPU than the database spends answering it."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models.query import get_related_populators

from access.people import has_left


class OrganisationBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not has_left(user)

    def get_user(self, user_id):
        user = user_with_profile(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def _first(model, user_id):
    """What is read: the user with the primary key, their staff profile joined."""
    queryset = model._default_manager.select_related("profile").filter(pk=user_id)
    return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]


# A primary key to compile the statement with; the statement is kept only if this is its one
# parameter, to be replaced by the real one.
_MARK = 987654321
_READS: dict = {}


def user_with_profile(user_id):
    """`_first(...)`'s user, as the ORM would give it (the profile cached on it, or None when
    there is none), or None; its SQL compiled once for each user model and database."""
    model = get_user_model()
    if type(user_id) is not int:  # what the ORM makes of anything else, or refuses
        return _first(model, user_id).first()
    alias = router.db_for_read(model)
    key = (model, alias)
    if key not in _READS:
        _READS[key] = _UserRead.of(_first(model, _MARK), alias)
    read = _READS[key]
    return _first(model, user_id).first() if read is None else read.one(user_id)


@dataclass(frozen=True)
class _UserRead:
    """A compiled `_first` and where each column of its row goes, as Django's ModelIterable
    puts them: the user's fields, then the profile's (select_related's populator)."""

    sql: str
    alias: str
    model: type
    init_list: tuple
    start: int
    end: int
    populators: tuple
    converters: tuple

    @classmethod
    def of(cls, queryset, alias) -> "_UserRead | None":
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if list(params) != [_MARK] or compiler.annotation_col_map or compiler.has_extra_select:
            return None
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        return cls(
            sql=sql,
            alias=alias,
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            start=start,
            end=end,
            populators=tuple(get_related_populators(klass_info, select, alias)),
            converters=tuple(converters.items()),
        )

    def one(self, user_id: int):
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for position, (convs, expression) in self.converters:
                value = row[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[position] = value
        user = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, user)
        return user
