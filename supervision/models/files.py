"""Where files that must outlive a request are kept: signed record PDFs, subject access zips,
large downloads. By default in the database (`StoredFile`), so that one PostgreSQL backup
restores the records and their files together, and every web and worker machine reads the
same files. Behind Django's STORAGES, so an organisation may choose S3-compatible storage
(django-storages) or a folder instead (settings, FILE_STORAGE).

Either way a write that fails leaves nothing behind: a file appears whole or not at all.
"""

import hashlib
import os
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.deconstruct import deconstructible


class StoredFile(models.Model):
    name = models.CharField(max_length=300, unique=True)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self):
        return self.name


def attachment_path(instance, filename):
    """Where an attachment is kept: a name of our own, never the uploader's, which is kept
    (made safe) on the row for the list and the download."""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to a record or a case note (a scanned handwritten record, an
    appreciative-inquiry form): stored only once ClamAV has scanned it clean
    (supervision.organisation.uploads), and always downloaded, never shown in the browser."""

    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField("file name", max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=130)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    # clamd's VERSION answer when it scanned the file: engine, signatures' version and date.
    scanned_by = models.CharField(max_length=200)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name

    @classmethod
    def kept(cls, checked, *, by, **owner):
        """A scanned upload (uploads.checked_upload) stored, and its row saved for `owner`
        (the record or the note)."""
        attachment = cls(
            name=checked.name,
            size=checked.size,
            sha256=checked.sha256,
            content_type=checked.content_type,
            uploaded_by=by,
            uploaded_at=timezone.now(),
            scanned_by=checked.scanner,
            **owner,
        )
        attachment.file.save(checked.name, checked.upload, save=False)
        attachment.save()
        return attachment

    def delete_with_file(self) -> None:
        """The row now, its file once the row has gone for good: a rollback keeps both."""
        storage, name = self.file.storage, self.file.name
        self.delete()
        transaction.on_commit(lambda: storage.delete(name))


@deconstructible
class DatabaseStorage(Storage):
    """Files as rows of StoredFile. A save is one INSERT in its own savepoint: it is there
    whole, or, if the database refuses it (a full disk, a dropped connection), not at all."""

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Files kept in the database are written with save(), not opened.")
        content = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"No stored file named {name}")
        return ContentFile(bytes(content), name=name)

    def _save(self, name, content):
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        while True:
            try:
                with transaction.atomic():
                    StoredFile.objects.create(
                        name=name,
                        content=data,
                        size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(),
                        created_at=timezone.now(),
                    )
                return name
            except IntegrityError:
                # Taken between get_available_name and here, by another process.
                name = self.get_available_name(name)

    def delete(self, name):
        StoredFile.objects.filter(name=name).delete()

    def exists(self, name):
        return StoredFile.objects.filter(name=name).exists()

    def size(self, name):
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"No stored file named {name}")
        return size

    def listdir(self, path):
        prefix = f"{path.rstrip('/')}/" if path else ""
        directories, files = set(), []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list(
            "name", flat=True
        ):
            rest = name[len(prefix) :]
            if "/" in rest:
                directories.add(rest.split("/", 1)[0])
            else:
                files.append(rest)
        return sorted(directories), sorted(files)

    def get_created_time(self, name):
        created = StoredFile.objects.filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"No stored file named {name}")
        return created

    get_modified_time = get_created_time

    def url(self, name):
        # Every file here is handed out by a view that checks who asks and audits it.
        raise NotImplementedError("Stored files have no public address.")


@deconstructible
class WholeFileSystemStorage(FileSystemStorage):
    """A folder, written so that a file appears only complete: the bytes go to a hidden file
    beside it, which is linked to the name once written and synced. A full disk or a killed
    process leaves no partial or empty file under the name (Django's own storage leaves one)."""

    def _save(self, name, content):
        full_path = Path(self.path(name))
        full_path.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=full_path.parent, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks() if hasattr(content, "chunks") else [content.read()]:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            while True:
                try:
                    os.link(scratch, self.path(name))
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
            if self.file_permissions_mode is not None:
                os.chmod(self.path(name), self.file_permissions_mode)
        finally:
            Path(scratch).unlink(missing_ok=True)
        return str(name).replace("\\", "/")
