package optin_test

import "mailer/internal/testwire"

// listOf resolves a list by name (testwire.ListOf).
var listOf = testwire.ListOf
