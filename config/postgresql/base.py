"""Django's PostgreSQL backend, but for one limit it does not know.

With parameters bound on the server (`server_side_binding`, config.settings.base), PostgreSQL's
protocol carries at most 65,535 parameters a statement, where client-side binding wrote them
into the text and knew no limit. Django asks `bulk_batch_size` how many rows one bulk insert,
bulk update or delete-by-collector statement may take, and for PostgreSQL the answer is "all
of them": a bulk_create of 5,000 flags, an import or a retention sweep over many rows would
fail with "number of parameters must be between 0 and 65535".
"""

from django.db.backends.postgresql import base, operations

MAX_PARAMETERS = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        if not self.connection.settings_dict["OPTIONS"].get("server_side_binding"):
            return super().bulk_batch_size(fields, objs)
        # Twice the fields: bulk_update spends two parameters a field on each row (its CASE WHEN
        # pk = … THEN value) and one more on its pk list, and it names len(fields) + 2 fields.
        return max(1, MAX_PARAMETERS // (2 * max(1, len(fields))))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
