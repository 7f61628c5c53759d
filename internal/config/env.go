package config

import (
	"bufio"
	"bytes"
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"mailer/internal/fault"
)

// EnvPrefix starts every override variable: smtp.host is MAILER_SMTP_HOST.
const EnvPrefix = "MAILER_"

// field is one leaf key of the config.
type field struct {
	key    string // dotted TOML key, e.g. smtp.host
	value  reflect.Value
	secret bool
}

// EnvName is the environment variable that overrides a dotted key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// fields walks the config struct by its toml tags, so that the environment
// names and the printed config always match the file's keys.
func fields(v reflect.Value, prefix string) []field {
	var out []field
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name := sf.Tag.Get("toml")
		if name == "" || name == "-" {
			continue
		}
		fv := v.Field(i)
		key := prefix + name
		if sf.Type.Kind() == reflect.Struct && !implementsText(fv) {
			out = append(out, fields(fv, key+".")...)
			continue
		}
		out = append(out, field{key: key, value: fv, secret: sf.Tag.Get("secret") == "true"})
	}
	return out
}

func implementsText(v reflect.Value) bool {
	_, ok := v.Addr().Interface().(encoding.TextUnmarshaler)
	return ok
}

// applyEnv sets every key whose MAILER_* variable is set and non-empty.
func applyEnv(cfg *Config, getenv func(string) string) error {
	for _, f := range fields(reflect.ValueOf(cfg).Elem(), "") {
		name := EnvName(f.key)
		raw := getenv(name)
		if raw == "" {
			continue
		}
		if err := setFromString(f.value, raw); err != nil {
			return fault.Errorf(fault.Invalid, "environment variable %s (config key %s): %v", name, f.key, err)
		}
	}
	return nil
}

func setFromString(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		v.SetInt(int64(n))
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", s)
		}
		v.SetFloat(n)
	case reflect.Slice:
		// Lists are comma-separated: MAILER_SEND_RETRY=1m,5m,1h
		parts := strings.Split(s, ",")
		out := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setFromString(out.Index(i), strings.TrimSpace(p)); err != nil {
				return err
			}
		}
		v.Set(out)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// where names the place of key for an error message: "file:line" when the
// file sets the key, the environment variable when that overrides it, and
// the file alone when the value is a default.
func where(path string, data []byte, key string, getenv func(string) string) string {
	if name := EnvName(key); getenv != nil && getenv(name) != "" {
		return "environment variable " + name
	}
	table, leaf := "", key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table, leaf = key[:i], key[i+1:]
	}
	current := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "[") {
			current = strings.Trim(text, "[] ")
			continue
		}
		name, _, ok := strings.Cut(text, "=")
		if ok && current == table && strings.Trim(strings.TrimSpace(name), `"'`) == leaf {
			return fmt.Sprintf("%s:%d", path, line)
		}
	}
	return path + " (default or " + EnvName(key) + ")"
}
