/**
 * A TypeScript module. dag.container().from("in-a-comment:1") is ignored.
 */
import { dag, Container, object, func } from "@dagger.io/dagger"

const NODE_IMAGE = "node:22-alpine@sha256:bdf2cca6fe3dabd014ea60163eca3f0f7015fbd5c7ee1b0e9ccb4ced6eb02ef4"
const VERSIONS = { rust: "1.83" }
const re = /from\("regex:1"\)/g

@object()
export class TsMod {
  @func()
  build(baseImage: string = "alpine:3.20"): Container {
    return dag.container().from(NODE_IMAGE)
  }

  @func()
  rust(): Container {
    return dag.container().from(`rust:${VERSIONS.rust}-slim`)
  }

  @func()
  plain(): Container {
    const items = Array.from(["a", "b"])
    return dag.container().from(`busybox:1.37`).withExec(["echo", "from('x:1')"])
  }

  @func()
  node(v: string = "22"): Container {
    return dag.container().from(`node:${v}-alpine`)
  }

  @func()
  db(version: string = "16"): Container {
    return dag.container().from("postgres:" + version)
  }

  @func()
  cache(version: string | undefined = "7.4"): Container {
    return dag.container().from(`redis:${version}-alpine`)
  }

  @func()
  toolchain(arch: string): Container {
    let img: string
    switch (arch) {
      case "arm64":
        img = "golang:1.23-bookworm"
        break
      default:
        img = NODE_IMAGE
    }
    return dag.container().from(img)
  }

  @func()
  slim(small: boolean): Container {
    const img = small ? "debian:12-slim" : "debian:12"
    return dag.container().from(img)
  }
}
