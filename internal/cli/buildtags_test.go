//go:build !libcrypto

package cli

// buildTags are the tags the real binary is built with for the tests.
const buildTags = ""
