package cli

import "github.com/spf13/cobra"

// addBuiltinExamples makes cobra's own help and completion commands now
// (Execute would make them later, and keeps these) so that their --help
// shows an example like every other command's.
func addBuiltinExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	examples := map[string]string{
		"help": "  mailer help lists create\n  mailer help send",
		"completion": "  source <(mailer completion bash)\n" +
			"  mailer completion zsh > \"${fpath[1]}/_mailer\"",
		"completion bash":       "  source <(mailer completion bash)\n  mailer completion bash > /etc/bash_completion.d/mailer",
		"completion zsh":        "  mailer completion zsh > \"${fpath[1]}/_mailer\"",
		"completion fish":       "  mailer completion fish > ~/.config/fish/completions/mailer.fish",
		"completion powershell": "  mailer completion powershell | Out-String | Invoke-Expression",
	}
	for path, ex := range examples {
		if c := find(root, path); c != nil && c.Example == "" {
			c.Example = ex
		}
	}
}
