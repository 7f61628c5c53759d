// Package templates carries the wording of everything mailer writes for
// people: mail, web pages, replies and the starter config. It is embedded in
// the binary; the templates_dir config key points at a directory whose files
// take precedence, so an owner can reword without rebuilding.
package templates

import "embed"

// FS holds the templates, by path relative to this directory.
//
//go:embed config issue preview inbound optin bounces web console
var FS embed.FS
