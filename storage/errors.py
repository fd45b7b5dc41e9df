"""What a unit of work can end in besides success (re-exported by storage.uow)."""


class Conflict(Exception):
    """A unique index refused a write; the unit of work was rolled back."""


class StorageError(Exception):
    """The database refused a write for a reason other than an expected duplicate (a
    constraint, a trigger, a full disk); the unit of work was rolled back. The driver's
    exception is the cause."""
