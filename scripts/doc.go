// Package scripts holds the project's shell scripts and their tests: release.sh builds the CLI's release archives,
// and release_test.go runs it as CI's dry run.
package scripts
