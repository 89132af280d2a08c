import { dag, Container, object, func } from "@dagger.io/dagger"

const baseImage = "REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a"
const version = "1.22"

@object()
export class Tssrc {
  @func()
  build(image: string = "REGISTRY/lib/golang:1.22@sha256:49cc5f6a00b8a953db01fc2e15b0981be8615838d3ae284abaadec9cb3cf9832"): Container {
    // dag.container().from("REGISTRY/lib/tools") stays
    /* .from("REGISTRY/lib/tools") too */
    const a = dag.container().from('REGISTRY/lib/tools:latest@sha256:ff1af8b4cea6394311c8e485c9ba8ca52facc842775d47bc0e2f452357832ff4')
    const b = dag.container().from(`REGISTRY/lib/golang:${version}`)
    const c = dag.container().from(`REGISTRY/lib/alpine:3.20@sha256:c13a61a40342f645950df8630442508ee8872e534263cce9b5ab1fa21a55245a`)
    return a.withExec(["echo", "x:y"])
  }
}
