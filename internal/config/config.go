// Package config loads mailer.toml, applies MAILER_* environment overrides,
// checks every value, and reports a bad one with its file, line and key.
package config

import (
	"bytes"
	"errors"
	"mailer/internal/listaddr"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"mailer/internal/fault"
	"mailer/templates"
)

// DefaultPath is used when neither --config nor MAILER_CONFIG names a file.
const DefaultPath = "mailer.toml"

// EnvConfig names the environment variable that points at the config file.
const EnvConfig = "MAILER_CONFIG"

// Config is mailer's whole configuration. Relative paths in it are relative
// to the directory of the config file, so that a config works from any
// working directory (an MTA runs `mailer receive` from its own).
type Config struct {
	Database     string    `toml:"database"`
	BusyTimeout  Duration  `toml:"busy_timeout"`
	BaseURL      BaseURL   `toml:"base_url"`
	ListHost     Hostname  `toml:"list_host"`
	Owner        Mailbox   `toml:"owner"`
	Contact      string    `toml:"contact"`
	Secret       string    `toml:"secret" secret:"true"`
	IssuesDir    string    `toml:"issues_dir"`
	TemplatesDir string    `toml:"templates_dir"`
	DefaultList  string    `toml:"default_list"`
	Transport    Transport `toml:"transport"`
	Concurrency  int       `toml:"concurrency"`
	SMTP         SMTP      `toml:"smtp"`
	Rate         Rate      `toml:"rate"`
	Send         Send      `toml:"send"`
	Inbound      Inbound   `toml:"inbound"`
	Web          Web       `toml:"web"`
	Admin        Admin     `toml:"admin"`
	DKIM         DKIM      `toml:"dkim"`
	Bounce       Bounce    `toml:"bounce"`
	Webhooks     Webhooks  `toml:"webhooks"`

	// Path is the file the config was read from; Dir its directory.
	Path string `toml:"-"`
	Dir  string `toml:"-"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host           string   `toml:"host"`
	Port           int      `toml:"port"`
	Username       string   `toml:"username"`
	Password       string   `toml:"password" secret:"true"`
	TLS            TLSMode  `toml:"tls"`
	HELO           string   `toml:"helo"`
	ConnectTimeout Duration `toml:"connect_timeout"`
	CommandTimeout Duration `toml:"command_timeout"`
}

// Rate limits sending. Zero per-hour and per-day caps mean no cap.
type Rate struct {
	PerSecond float64 `toml:"per_second"`
	Burst     int     `toml:"burst"`
	PerHour   int     `toml:"per_hour"`
	PerDay    int     `toml:"per_day"`
}

// Send tunes delivery.
type Send struct {
	// InFlight decides the fate of messages that were being handed to the
	// server when a run died: "resend" (a reader may get a second copy,
	// with the same Message-ID) or "skip" (a reader may get none).
	InFlight InFlight `toml:"in_flight"`
	// Retry is the wait before each new attempt at a deferred message;
	// the last entry repeats.
	Retry []Duration `toml:"retry"`
	// MaxAge is how long a message may stay deferred before it fails.
	MaxAge Duration `toml:"max_age"`
	// MessagesPerConnection makes a worker reconnect after this many
	// messages; 0 keeps a connection as long as it works.
	MessagesPerConnection int `toml:"messages_per_connection"`
	// The circuit breaker pauses a send that harms the list (README "The
	// circuit breaker"): hard bounces over BreakerBounceRate percent of the
	// last BreakerWindow attempts, judged once BreakerMinAttempts are in
	// the window, or complaints over BreakerComplaintRate percent of the
	// messages delivered. A rate of 0 turns its check off.
	BreakerBounceRate    float64 `toml:"breaker_bounce_rate"`
	BreakerMinAttempts   int     `toml:"breaker_min_attempts"`
	BreakerWindow        int     `toml:"breaker_window"`
	BreakerComplaintRate float64 `toml:"breaker_complaint_rate"`
}

// Inbound tunes the mail command handler.
type Inbound struct {
	// Aliases are more local parts that act like majordomo@.
	Aliases []string `toml:"aliases"`
	// LMTP and SMTP are the loopback addresses `mailer serve` listens on
	// for mail from the MTA; empty turns a listener off.
	LMTP string `toml:"lmtp"`
	SMTP string `toml:"smtp"`
	// MaxMessageBytes is the largest command mail taken.
	MaxMessageBytes int `toml:"max_message_bytes"`
	// ConfirmTTL is how long a confirmation code works.
	ConfirmTTL Duration `toml:"confirm_ttl"`
	// ConfirmInterval is the least time between two confirmations to one
	// address for one list, however many requests come.
	ConfirmInterval Duration `toml:"confirm_interval"`
	// RepliesPerSenderHour and RepliesPerHour cap the replies sent.
	RepliesPerSenderHour int `toml:"replies_per_sender_hour"`
	RepliesPerHour       int `toml:"replies_per_hour"`
	// MaxCommands is how many commands one mail may carry.
	MaxCommands int `toml:"max_commands"`
}

// DKIM says how to sign outgoing mail; an empty key_file signs nothing.
type DKIM struct {
	Domain   string `toml:"domain"`
	Selector string `toml:"selector"`
	KeyFile  string `toml:"key_file"`
	// A second key signs every message too (dual signing): Ed25519 as the
	// first and RSA here, as receivers that do not know Ed25519 ignore
	// its signature.
	DualSelector string `toml:"dual_selector"`
	DualKeyFile  string `toml:"dual_key_file"`
}

// Bounce tunes bounce processing, as Mailman does: a hard bounce counts 1,
// a soft one 0.5, at most one a day; a score that reaches Threshold within
// Window stops mail to the member.
type Bounce struct {
	Threshold   float64  `toml:"threshold"`
	Window      Duration `toml:"window"`
	NotifyOwner bool     `toml:"notify_owner"`
}

// Web tunes the pages `mailer serve` serves at base_url.
type Web struct {
	// Listen is the HTTP address; empty turns the pages off.
	Listen string `toml:"listen"`
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-For is believed.
	TrustedProxies []string `toml:"trusted_proxies"`
	// SubscribePerMinute caps subscribe-form posts per client address.
	SubscribePerMinute int `toml:"subscribe_per_minute"`
	// ConfirmationsPerHour caps the confirmations the web pages send in
	// all: their own budget, apart from inbound.replies_per_hour, so a
	// robot filling the form cannot block subscriptions by mail.
	ConfirmationsPerHour int `toml:"confirmations_per_hour"`
}

// Admin is the owners' listener of `mailer serve`: the console, the HTTP
// API (/api/v1) and the metrics (/metrics), served there only, never on
// the readers' web.listen.
type Admin struct {
	// Listen is the HTTP address; empty turns the console, API and metrics
	// off. Keep it on loopback, or behind a TLS reverse proxy.
	Listen string `toml:"listen"`
	// SessionIdle ends a console session this long after its last request;
	// SessionMax ends it this long after the login, however busy.
	SessionIdle Duration `toml:"session_idle"`
	SessionMax  Duration `toml:"session_max"`
}

// Proxies parses TrustedProxies (already checked by Load).
func (w Web) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range w.TrustedProxies {
		if pf, err := parsePrefix(p); err == nil {
			out = append(out, pf)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// RetrySchedule returns Retry as durations.
func (s Send) RetrySchedule() []time.Duration {
	out := make([]time.Duration, len(s.Retry))
	for i, d := range s.Retry {
		out[i] = time.Duration(d)
	}
	return out
}

// MinSecretLen is the shortest secret accepted for signing links: 32 bytes
// of base64 text carry well over 128 bits.
const MinSecretLen = 32

// Default returns the configuration that applies to keys a file leaves out.
func Default() Config {
	return Config{
		Database:    "mailer.db",
		BusyTimeout: Duration(10 * time.Second),
		BaseURL:     "http://localhost:8080",
		ListHost:    "lists.example.org",
		IssuesDir:   "issues",
		DefaultList: "",
		Transport:   Transport{Kind: "maildir", Path: "maildir"},
		Concurrency: 4,
		SMTP: SMTP{
			Host: "localhost", Port: 587, TLS: TLSStartTLS,
			ConnectTimeout: Duration(30e9), CommandTimeout: Duration(300e9),
		},
		Rate: Rate{PerSecond: 10, Burst: 10},
		Send: Send{
			InFlight: InFlightResend,
			Retry: []Duration{Duration(time.Minute), Duration(5 * time.Minute), Duration(15 * time.Minute),
				Duration(time.Hour), Duration(4 * time.Hour)},
			MaxAge:                Duration(72 * time.Hour),
			MessagesPerConnection: 1000,
			BreakerBounceRate:     10, BreakerMinAttempts: 100, BreakerWindow: 500, BreakerComplaintRate: 0.3,
		},
		Inbound: Inbound{
			Aliases: []string{"majordomo"}, LMTP: "127.0.0.1:2424", MaxMessageBytes: 1 << 20,
			ConfirmTTL: Duration(7 * 24 * time.Hour), ConfirmInterval: Duration(time.Hour),
			RepliesPerSenderHour: 10, RepliesPerHour: 500, MaxCommands: 50,
		},
		Web:    Web{Listen: "127.0.0.1:8080", SubscribePerMinute: 5, ConfirmationsPerHour: 200},
		Admin:  Admin{Listen: "127.0.0.1:8081", SessionIdle: Duration(30 * time.Minute), SessionMax: Duration(12 * time.Hour)},
		Bounce: Bounce{Threshold: 5, Window: Duration(7 * 24 * time.Hour), NotifyOwner: true},
	}
}

// PathFrom picks the config file: the flag, else MAILER_CONFIG, else the default.
func PathFrom(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if p := getenv(EnvConfig); p != "" {
		return p
	}
	return DefaultPath
}

// Load reads the config file at path, applies environment overrides from
// getenv and validates the result.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fault.Errorf(fault.NotFound, "config file %s does not exist (create one with `mailer init`, or pass --config)", path)
		}
		return nil, fault.Wrap(fault.Invalid, err, "cannot read config file %s", path)
	}
	return Parse(path, data, getenv)
}

// Parse is Load on bytes already read.
func Parse(path string, data []byte, getenv func(string) string) (*Config, error) {
	cfg := Default()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, decodeError(path, err)
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return nil, err
	}
	if err := cfg.validate(path, data, getenv); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	cfg.Path, cfg.Dir = abs, filepath.Dir(abs)
	if cfg.TemplatesDir != "" {
		if err := templates.Check(cfg.Resolve(cfg.TemplatesDir)); err != nil {
			return nil, fault.Wrap(fault.Invalid, err, "%s: %s", where(path, data, "templates_dir", getenv), "templates_dir")
		}
	}
	return &cfg, nil
}

// decodeError rewrites go-toml's errors as "file:line: key: problem".
func decodeError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		de := strict.Errors[0]
		row, _ := de.Position()
		return fault.Errorf(fault.Invalid, "%s:%d: unknown key %q", path, row, keyString(de.Key()))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if k := keyString(de.Key()); k != "" {
			return fault.Errorf(fault.Invalid, "%s:%d: %s: %s", path, row, k, msg)
		}
		return fault.Errorf(fault.Invalid, "%s:%d: %s", path, row, msg)
	}
	return fault.Wrap(fault.Invalid, err, "%s", path)
}

func keyString(k toml.Key) string {
	var b bytes.Buffer
	for i, p := range k {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Resolve makes p absolute against the config file's directory.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// PathSetting is the value of a path key that finds p from a config file
// in configDir: a relative value is resolved against that directory (see
// Resolve), not the current one, so it is relative to configDir when p is
// inside it, else absolute.
func PathSetting(configDir, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	cdir, err := filepath.Abs(configDir)
	if err != nil {
		return abs
	}
	if rel, err := filepath.Rel(cdir, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

// Looks is where each list's templates come from: templates_dir over the
// embedded set, and a list's own directory over both.
func (c *Config) Looks() templates.Looks { return templates.Looks{Global: c.Resolve(c.TemplatesDir)} }

// DatabasePath is the database file, resolved, or the PostgreSQL URL as
// given.
func (c *Config) DatabasePath() string {
	if strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://") {
		return c.Database
	}
	return c.Resolve(c.Database)
}

// Book builds the list addresses and public URLs this configuration names.
func (c *Config) Book() listaddr.Book {
	return listaddr.New(string(c.ListHost), string(c.BaseURL), c.Inbound.Aliases)
}
