"""Quality assurance tables as downloads: the results by team of one sample or of the
overview's period, and the list of a sample's records. The same figures as the pages, built by
the same functions (oversight/quality/sampling.py), with the same reach: someone who may not use the
quality pages is refused (403), a sample they may not see is not found (404).

Never the reviewers' comments, nor any text of a record: a reviewer may quote the record in
their comments, and the download leaves the system.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from oversight.models import QualityAnswer
from oversight.policy.due import local_date
from oversight.quality import sampling as quality
from oversight.reports import exports


def _quality_user(user) -> None:
    if not quality.may_use_quality(user):
        raise PermissionDenied


def _sample(user, params):
    """The sample named by `sample`, if the user may see it; else 404, as on its page."""
    sample_id = exports.param_int(params, "sample")
    sample = quality.visible_samples(user).filter(pk=sample_id).first()
    if sample is None:
        raise Http404("No such sample.")
    return sample


def _period(params) -> tuple:
    """`from` and `to`, both or neither: neither is the overview's default, the last 12 months."""
    first = exports.param_date(params, "from")
    last = exports.param_date(params, "to")
    if first is None and last is None:
        today = timezone.localdate()
        return quality.a_year_before(today) + timedelta(days=1), today
    if first is None:
        raise exports.BadParameter("from", "missing")
    if last is None:
        raise exports.BadParameter("to", "missing")
    if last < first:
        raise exports.BadParameter("to", "before the start of the period")
    return first, last


def _result_columns() -> list[exports.Column]:
    columns = [
        exports.Column("team", "Team", 30),
        exports.Column("sampled", "Sampled"),
        exports.Column("reviewed", "Reviewed"),
    ]
    for field, question in quality.QUESTIONS:
        for answer in quality.ANSWERS:
            key = f"{field}_{answer.value}"
            columns.append(exports.Column(key, f"{question} {answer.label}", 16))
            columns.append(exports.Column(f"{key}_share", f"{question} {answer.label} (%)", 16))
    return columns


def _result_line(row: quality.ResultRow) -> list:
    line = [row.name, row.sampled, row.reviewed]
    for _question, figures in row.questions:
        for figure in figures:
            line += [figure.count, figure.share]
    return line


@exports.register("quality-results", title="Quality assurance results by team")
def results_table(user, params) -> exports.Table:
    """One sample's results (`sample`), or those of every sample the user may see drawn in a
    period (`from`, `to`), as the overview shows them. The last row is the total."""
    _quality_user(user)
    if (params.get("sample") or "").strip():
        sample = _sample(user, params)
        reviews = sample.reviews.all()
        title = f"Quality assurance results, sample drawn {quality.long_date(_drawn(sample))}"
    else:
        first, last = _period(params)
        samples = quality.samples_for_overview(user, first, last)
        reviews = quality.reviews_of_samples([sample.pk for sample in samples])
        title = (
            "Quality assurance results, samples drawn "
            f"{quality.long_date(first)} to {quality.long_date(last)}"
        )
    rows, total = quality.results_by_team(reviews)
    lines = [_result_line(row) for row in rows]
    if total is not None:
        lines.append(_result_line(total))
    return exports.Table("quality-results", title, _result_columns(), lines, len(lines))


def _drawn(sample):
    return local_date(sample.drawn_at)


@exports.register("quality-sample-records", title="Records in the sample")
def sample_records_table(user, params) -> exports.Table:
    """The records of one sample: who, when, which team, whether reviewed and the answers.
    Never the comments, never the record."""
    _quality_user(user)
    sample = _sample(user, params)
    labels = dict(QualityAnswer.choices)
    columns = [
        exports.Column("supervisee", "Supervisee", 24),
        exports.Column("supervisor", "Supervisor", 24),
        exports.Column("session", "Session"),
        exports.Column("team", "Team", 24),
        exports.Column("reviewed", "Reviewed"),
        *(exports.Column(field, question, 24) for field, question in quality.QUESTIONS),
    ]
    rows = []
    for review in quality.sample_reviews(sample):
        session = review.record.session
        rows.append(
            [
                session.supervisee.full_name,
                session.supervisor.full_name,
                local_date(session.starts_at),
                review.unit.name,
                review.is_done,
                *(labels.get(getattr(review, field), "") for field in quality.FIELDS),
            ]
        )
    title = f"Records in the sample drawn {quality.long_date(_drawn(sample))}"
    return exports.Table("quality-sample-records", title, columns, rows, len(rows))
