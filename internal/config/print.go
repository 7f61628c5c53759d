package config

import (
	"encoding"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Redacted is what a set secret prints as.
const Redacted = "(redacted)"

// Entry is one effective key and value, secrets hidden.
type Entry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Env   string `json:"env"`
}

// Entries lists every key with its effective value, secrets redacted, and
// the environment variable that overrides it.
func (c *Config) Entries() []Entry {
	var out []Entry
	for _, f := range fields(reflect.ValueOf(c.redacted()).Elem(), "") {
		out = append(out, Entry{Key: f.key, Value: formatValue(f.value), Env: EnvName(f.key)})
	}
	return out
}

// WriteTOML prints the effective configuration as TOML, secrets redacted,
// so that it can be compared with, or pasted into, a config file.
func (c *Config) WriteTOML(w io.Writer) error {
	return toml.NewEncoder(w).Encode(c.redacted())
}

// redacted returns a copy with every set secret replaced by Redacted, and
// the database URL's password hidden.
func (c *Config) redacted() *Config {
	cp := *c
	cp.Database = c.RedactedDatabase()
	for _, f := range fields(reflect.ValueOf(&cp).Elem(), "") {
		if f.secret && f.value.String() != "" {
			f.value.SetString(Redacted)
		}
	}
	return &cp
}

func formatValue(v reflect.Value) string {
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText()
		return string(b)
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return strings.Join(parts, ",")
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}
