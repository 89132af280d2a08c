"""Module docstring mentioning dag.container().from_("REGISTRY/lib/alpine:3.20")."""
from typing import Annotated

import dagger
from dagger import Doc, dag, function, object_type

BASE_IMAGE = "REGISTRY/lib/alpine:3.20"
GO_VERSION = "1.22"


@object_type
class Pysrc:
    @function
    def build(
        self,
        image: Annotated[str, Doc("base image")] = "REGISTRY/lib/golang:1.22",
    ) -> dagger.Container:
        # dag.container().from_("REGISTRY/lib/tools:latest") in a comment
        a = dag.container().from_('REGISTRY/lib/alpine:3.20')
        b = dag.container().from_(address="REGISTRY/lib/tools")
        c = dag.container().from_(f"REGISTRY/lib/golang:{GO_VERSION}")
        return a.with_exec(["echo", "a:b"])
