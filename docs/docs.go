// Package docs carries the documents the daemon serves: the OpenAPI
// description of its HTTP API (openapi.yaml, beside api.md, the contract
// users read).
package docs

import _ "embed"

// OpenAPI is openapi.yaml: every route of the API in OpenAPI 3.1.
//
//go:embed openapi.yaml
var OpenAPI []byte
