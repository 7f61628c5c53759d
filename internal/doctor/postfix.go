package doctor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Postconf reads one Postfix parameter, expanded ($myhostname and the
// like replaced), as `postconf -x -h NAME` prints it.
type Postconf func(ctx context.Context, name string) (string, error)

// defaultMainCF are where packages put Postfix's main.cf (Debian, Red Hat;
// the BSD ports).
var defaultMainCF = []string{"/etc/postfix/main.cf", "/usr/local/etc/postfix/main.cf"}

// PostconfCommand runs the postconf found on PATH (or in /usr/sbin, which a
// non-root PATH often lacks), against the config directory dir ("": the
// default one). It is nil when there is no postconf, or, with dir "", no
// main.cf where packages put it: Postfix is not set up here.
func PostconfCommand(dir string) Postconf {
	if dir == "" && !anyExists(defaultMainCF) {
		return nil
	}
	bin, err := exec.LookPath("postconf")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/postconf"); err != nil {
			return nil
		}
	}
	return func(ctx context.Context, name string) (string, error) {
		args := []string{"-x", "-h", name}
		if dir != "" {
			args = append([]string{"-c", dir}, args...)
		}
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			msg := lines[len(lines)-1] // the fatal line comes last, after warnings
			return "", fmt.Errorf("postconf %s: %v: %s", strings.Join(args, " "), err, msg)
		}
		return strings.TrimSpace(string(out)), nil
	}
}

func anyExists(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// postfixChecks warns when list_host is one of Postfix's mydestination
// domains. Postfix then takes the list addresses for local users: it checks
// them against local_recipient_maps and refuses LIST@ and LIST-request@ as
// "User unknown in local recipient table" (postconf(5), mydestination and
// local_recipient_maps), so the transport to mailer that the README's
// recipe sets up is never used, and nothing says why.
func postfixChecks(ctx context.Context, r *report, in Input) {
	if in.Postconf == nil {
		return
	}
	host := strings.ToLower(string(in.Config.ListHost))
	dest, err := in.Postconf(ctx, "mydestination")
	if err != nil {
		r.add("postfix", Warn, fmt.Sprintf("could not read Postfix's mydestination: %v", err), "")
		return
	}
	for _, d := range strings.FieldsFunc(dest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.ToLower(strings.TrimSuffix(d, ".")) == host {
			r.add("postfix", Warn, fmt.Sprintf("list_host %s is in Postfix's mydestination (%s): Postfix takes the list addresses "+
				"for local users and refuses them as unknown, so mail never reaches mailer's transport; "+
				"fix: remove %s from mydestination in main.cf, keep it in relay_domains, then postfix reload", host, dest, host), "")
			return
		}
	}
	r.add("postfix", OK, fmt.Sprintf("list_host %s is not in Postfix's mydestination", host), "")
}
