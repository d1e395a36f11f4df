"""Who someone is in the campaign: their roles, checked on the server side for every action."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import locale
from storage import people, roles
from storage.db import Executor
from storage.people import Person
from storage.roles import RoleGrant


@dataclass(frozen=True)
class Actor:
    person: Person
    locale: str
    grants: tuple[RoleGrant, ...]
    configured_admin: bool  # listed in PACESETTER_ADMINS

    @property
    def user_id(self) -> int:
        return self.person.user_id

    @property
    def is_admin(self) -> bool:
        return self.configured_admin or self.has("admin")

    def has(self, role: str) -> bool:
        return any(grant.role == role for grant in self.grants)

    def secretary_units(self) -> set[int]:
        return {g.unit_id for g in self.grants if g.role == "secretary" and g.unit_id}

    def projects(self, role: str) -> set[int]:
        return {g.project_id for g in self.grants if g.role == role and g.project_id}

    def is_secretary_of(self, unit_id: int) -> bool:
        return unit_id in self.secretary_units()

    def is_lead_of(self, project_id: int) -> bool:
        return project_id in self.projects("lead")

    @property
    def role_names(self) -> list[str]:
        names = {grant.role for grant in self.grants}
        if self.configured_admin:
            names.add("admin")
        return [role for role in roles.ROLES if role in names]


def actor_of(
    person: Person, grants: Sequence[RoleGrant], *, admins: frozenset[int], default_locale: str
) -> Actor:
    return Actor(
        person=person,
        locale=locale.choose(person.locale, person.telegram_language, default_locale),
        grants=tuple(grants),
        configured_admin=person.user_id in admins,
    )


async def load_actor(
    db: Executor, user_id: int, *, admins: frozenset[int], default_locale: str
) -> Actor | None:
    """Someone other than the person acting, as they stand now; None if never met."""
    person = await people.get(db, user_id)
    if person is None:
        return None
    grants = await roles.of_user(db, user_id)
    return actor_of(person, grants, admins=admins, default_locale=default_locale)


async def admin_ids(db: Executor, configured: Iterable[int]) -> set[int]:
    """Every campaign admin: those configured (PACESETTER_ADMINS) and those invited as one."""
    return set(configured) | await roles.holder_ids(db, ("admin",))
