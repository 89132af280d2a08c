import { dag, Container, object, func } from "@dagger.io/dagger"

const baseImage = "REGISTRY/lib/alpine:3.20"
const version = "1.22"

@object()
export class Tssrc {
  @func()
  build(image: string = "REGISTRY/lib/golang:1.22"): Container {
    // dag.container().from("REGISTRY/lib/tools") stays
    /* .from("REGISTRY/lib/tools") too */
    const a = dag.container().from('REGISTRY/lib/tools')
    const b = dag.container().from(`REGISTRY/lib/golang:${version}`)
    const c = dag.container().from(`REGISTRY/lib/alpine:3.20`)
    return a.withExec(["echo", "x:y"])
  }
}
