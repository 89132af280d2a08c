"""Module docstring mentioning dag.container().from_("REGISTRY/lib/alpine:3.20")."""
from typing import Annotated

import dagger
from dagger import Doc, dag, function, object_type

BASE_IMAGE = "REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a"
GO_VERSION = "1.22"


@object_type
class Pysrc:
    @function
    def build(
        self,
        image: Annotated[str, Doc("base image")] = "REGISTRY/lib/golang:1.22@sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832",
    ) -> dagger.Container:
        # dag.container().from_("REGISTRY/lib/tools:latest") in a comment
        a = dag.container().from_('REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a')
        b = dag.container().from_(address="REGISTRY/lib/tools:latest@sha256:ff1af8b4cea6394311c8e485c9ba8ca52facc842775d47bc0e2f452357832ff4")
        c = dag.container().from_(f"REGISTRY/lib/golang:{GO_VERSION}")
        return a.with_exec(["echo", "a:b"])
