// Package router holds the tests of the fastscaler Nginx router image built from this directory.
//
// The image is the official nginx image plus two files: 40-fastscaler-router.sh, which the official entrypoint
// runs before nginx to validate the environment and render nginx.conf.template, and the template itself. The tests
// run that same script (with dash, the image's /bin/sh, when it is installed) and then the real nginx from Debian's
// package, on loopback only, in front of small Go HTTP backends standing in for the stable and canary API services.
// They prove the canary split, sticky assignment, CORS, path routing, the stub_status access list, the JSON access
// log and graceful shutdown, and that fastscaler's own stub_status parser (package nginxstat) reads this router.
//
// The package has no non-test code: it exists so that `go test ./...` runs these tests. They skip, saying so, when
// no nginx binary is installed; ./test.sh installs one.
package router
