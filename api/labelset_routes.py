"""``/v1/labelsets``: a team's ticket labels, stored and trained on their labelled tickets.

Listing and reading a set needs ``read``; creating, training and deleting need ``train`` (the ``trainer``
and ``admin`` roles). Training examples are redacted before anything is stored, as documents are.
"""

from __future__ import annotations

import anyio
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.keys import Permission
from api.schemas import LabelSetCreate, LabelSetTrain, LabelSetView
from api.security import RequestContext
from api.services import Services
from rag.label_sets import LabelSet
from rag.label_training import LabelledTicket


def _view(label_set: LabelSet) -> LabelSetView:
    return LabelSetView.model_validate(label_set.to_dict())


class LabelSetController(Controller):
    path = "/v1/labelsets"
    tags = ["tickets"]  # noqa: RUF012  (Litestar declares it as an instance attribute)

    @get("/", sync_to_thread=True)
    def list_label_sets(
        self, services: NamedDependency[Services], context: NamedDependency[RequestContext]
    ) -> list[LabelSetView]:
        """Every label set, with its labels and how it was trained."""
        context.require(Permission.READ)
        return [_view(label_set) for label_set in services.tickets.label_sets.store.all()]

    @post("/", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def create_label_set(
        self,
        data: JSONBody[LabelSetCreate],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> LabelSetView:
        """A new label set: zero-shot from its labels' names and descriptions until it is trained."""
        context.require(Permission.TRAIN)
        context.audit["labelset"] = data.name
        return _view(services.tickets.label_sets.create(data.name, data.labels, data.descriptions))

    @get("/{name:str}", sync_to_thread=True)
    def get_label_set(
        self, name: FromPath[str], services: NamedDependency[Services], context: NamedDependency[RequestContext]
    ) -> LabelSetView:
        context.require(Permission.READ)
        return _view(services.tickets.label_sets.store.get(name))

    @delete("/{name:str}", status_code=200, sync_to_thread=True)
    def delete_label_set(
        self, name: FromPath[str], services: NamedDependency[Services], context: NamedDependency[RequestContext]
    ) -> dict[str, str]:
        """The set, its model and its stored (redacted) examples."""
        context.require(Permission.TRAIN)
        context.audit["labelset"] = name
        services.tickets.label_sets.store.delete(name)
        return {"deleted": name}

    @post("/{name:str}/train", status_code=200)
    async def train_label_set(
        self,
        name: FromPath[str],
        data: JSONBody[LabelSetTrain],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> LabelSetView:
        """Add labelled tickets (redacted before they are stored) and retrain; ``replace`` starts again."""
        context.require(Permission.TRAIN)
        context.audit.update(labelset=name, examples=len(data.examples))
        examples = [LabelledTicket(example.text, example.label) for example in data.examples]

        def work() -> LabelSet:
            return services.tickets.label_sets.train(name, examples, replace=data.replace)

        return _view(await anyio.to_thread.run_sync(work))
