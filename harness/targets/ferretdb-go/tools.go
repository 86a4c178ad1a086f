//go:build tools

// Package build pins the FerretDB release that mongo-compat builds for its local
// test server. Only cmd/ferretdb is built (see harness/targets/ferretdb-build.ts):
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.x` yields a binary
// that panics at start because build/version/version.txt is generated and is not
// part of the published module. Building from a vendored copy of this module, with
// that one file written in, keeps every upstream flag (--repl-set-name, TLS, auth).
package build

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
