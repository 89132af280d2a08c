"""A Python module with every image pattern the scanner knows."""
from typing import Annotated, Optional

import dagger
from dagger import Doc, dag, field, function, object_type

PYTHON_IMAGE = "python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b"
NODE_VERSION = "20"
# UBUNTU = "ubuntu:24.04"  -- a comment, never an image


@object_type
class PyMod:
    base: str = field(default="alpine:3.20")

    @function
    def build(
        self,
        image: Annotated[str, Doc("the base image")] = "golang:1.23-alpine",
    ) -> dagger.Container:
        """Not an image: "docstring:1"."""
        return dag.container().from_(PYTHON_IMAGE)

    @function
    def node(self) -> dagger.Container:
        return dag.container().from_(f"node:{NODE_VERSION}-alpine")

    @function
    def redis(self) -> dagger.Container:
        return dag.container().from_(address="redis:7.4", platform=dagger.Platform("linux/amd64"))

    @function
    def custom(self, ref: str) -> dagger.Container:
        return dag.container().from_(ref)

    @function
    def db(self, version: str = "16") -> dagger.Container:
        return dag.container().from_("postgres:" + version)

    @function
    def py(self, v: str = "3.13") -> dagger.Container:
        return dag.container().from_(f"python:{v}-slim")

    @function
    def mariadb(self, version: Optional[str] = "11.4") -> dagger.Container:
        return dag.container().from_("mariadb:" + version)

    @function
    def mongo(self, version="8.0") -> dagger.Container:
        return dag.container().from_(f"mongo:{version}")
