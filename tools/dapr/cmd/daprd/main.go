// Command daprd is Dapr's sidecar with only the components Optimus uses
// registered (see components.go), instead of the allcomponents build tag.
//
// Build it with `python -m optimus.dapr_runtime build` (see ../../README.md): a
// plain `go build` compiles, but the binary panics at start because dapr's
// cmd/daprd/components/zz_notag.go insists on the allcomponents tag; the build
// neutralises that one file in a temporary copy of the module.
package main

import "github.com/dapr/dapr/cmd/daprd/app"

func main() {
	app.Run()
}
