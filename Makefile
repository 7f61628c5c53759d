# mailer — see README.md. `make run` and `make test` are all a fresh machine needs.

GO       ?= go
BIN      := bin/mailer
DEMO     := demo
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 20s
# The newsletter issue the demo renders: the shared fixture when it is there,
# else the copy kept with the renderer's tests.
ISSUE    ?= $(firstword $(wildcard ../shared/fixtures/issue-06.md) internal/render/testdata/issue-06.md)
export CGO_ENABLED := 1
# libcrypto: OpenSSL signs DKIM's RSA signatures, 3x faster than Go's
# crypto/rsa (byte for byte the same signatures). TAGS= builds pure Go.
TAGS     ?= libcrypto

.PHONY: build run test deps lint bench fuzz clean install

PREFIX  ?= /usr/local
SYSTEMD ?= /etc/systemd/system

# Installs the binary and the systemd unit; the mailer user, its directory
# and the MTA lines are in README.md ("Hooking up the MTA").
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/mailer
	install -D -m 0644 contrib/systemd/mailer-serve.service $(DESTDIR)$(SYSTEMD)/mailer-serve.service

build:
	$(GO) build -tags "$(TAGS)" -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/mailer

# The main job on the built-in defaults: a demo directory with its own config,
# database and Maildir, the bpf-updates list and a few readers.
run: build
	rm -rf $(DEMO)
	$(BIN) init $(DEMO) --base-url http://localhost:8080 --list-host lists.example.org \
	  --owner editor@example.org --default-list bpf-updates \
	  --contact "BPF updates, c/o Example Org, 1 Main Street, Springfield"
	$(BIN) -c $(DEMO)/mailer.toml lists create bpf-updates --title "BPF updates" \
	  --description "A weekly roundup of BPF and XDP development in the Linux kernel." \
	  --from "Alexander Alemayhu <alexander@example.org>" --owner editor@example.org \
	  --subject-prefix "[bpf-updates] "
	$(BIN) -c $(DEMO)/mailer.toml subscribers add bpf-updates alice@example.org \
	  "Bob Jones <bob@example.net>" "Carol Smith <carol@example.com>" dave@example.org
	$(BIN) -c $(DEMO)/mailer.toml lists show bpf-updates
	$(BIN) -c $(DEMO)/mailer.toml subscribers ls bpf-updates
	cp $(ISSUE) $(DEMO)/issues/
	$(BIN) -c $(DEMO)/mailer.toml render issue-06 --to alice@example.org --format html -o $(DEMO)/issue-06.html
	$(BIN) -c $(DEMO)/mailer.toml render issue-06 --to alice@example.org --format text -o $(DEMO)/issue-06.txt
	$(BIN) -c $(DEMO)/mailer.toml render issue-06 --to alice@example.org --format eml -o $(DEMO)/issue-06.eml
	$(BIN) -c $(DEMO)/mailer.toml send issue-06 --yes
	$(BIN) -c $(DEMO)/mailer.toml status issue-06
	@echo
	@echo "A reader asks to join by mail, as an MTA pipe would deliver it:"
	printf 'From: Zoe Reader <zoe@example.com>\r\nTo: majordomo@lists.example.org\r\nSubject: join\r\nMessage-ID: <demo-1@example.com>\r\n\r\nsubscribe bpf-updates\r\nend\r\n' | \
	  RECIPIENT=majordomo@lists.example.org SENDER=zoe@example.com $(BIN) -c $(DEMO)/mailer.toml receive
	$(BIN) -c $(DEMO)/mailer.toml subscribers ls bpf-updates --status pending
	@echo
	@echo "Delivered into the Maildir $(DEMO)/maildir (one file per message: the issue to each reader,"
	@echo "then zoe's confirmation request and the answer to her command):"
	@ls -1 $(DEMO)/maildir/new
	@echo "Open one with: mutt -f $(DEMO)/maildir   (or: less $(DEMO)/maildir/new/<file>)"
	@echo "issue-06 as alice@example.org gets it: $(DEMO)/issue-06.html, $(DEMO)/issue-06.txt, $(DEMO)/issue-06.eml"
	@echo "Side by side in a browser: $(BIN) -c $(DEMO)/mailer.toml preview issue-06"

# Everything pure Go, then the signing with libcrypto as `make build` ships
# it: the signer's byte-for-byte check and the signed sends.
# -timeout: the cli package runs every command on SQLite and then on
# PostgreSQL, near go test's default 10 minutes on a loaded 2-core machine.
test: deps lint
	$(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -race -count=1 -tags libcrypto ./internal/dkimsign/
	$(GO) test -race -count=1 -tags libcrypto -run 'DKIM|Signed' ./internal/cli/

# What the tests need besides Go: Chromium, Postfix's smtp-sink, swaks,
# python3-dkim (installed with apt-get when missing and run as root).
deps:
	@bash .ci/deps

lint:
	@unformatted=$$(gofmt -l cmd internal templates migrations); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags libcrypto ./internal/dkimsign/ ./internal/cli/
	$(GO) mod tidy -diff
	@# No build output in git: a tracked file that is an executable or
	@# object (ELF, Mach-O, PE, archive) fails the lint.
	@bins=$$(git ls-files -z 2>/dev/null | xargs -0 -r file --mime-type 2>/dev/null | \
	  grep -E ':[[:space:]]+application/(x-(executable|sharedlib|pie-executable|mach-binary|dosexec|archive|object)|vnd.microsoft.portable-executable)$$' | cut -d: -f1); \
	  if [ -n "$$bins" ]; then echo "binaries tracked in git: $$bins"; exit 1; fi

# Micro-benchmarks, then whole sends against Postfix's smtp-sink, once each.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -skip 'Send|Million|Workers|SharedRate' ./...
	$(GO) test -tags "$(TAGS)" -run '^$$' -bench . -benchmem ./internal/dkimsign/
	$(GO) test -tags "$(TAGS)" -run '^$$' -bench 'SendVsSmtpSource|SendSigned|RoundTrip|MillionRecipientSend|Workers|SharedRate' -benchtime 1x -timeout 60m ./internal/cli/

# Runs every fuzz target for FUZZTIME each (go test -fuzz takes one at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin $(DEMO)
