package bot

// Secret is a credential: webhook secrets, tokens, signing secrets. It
// prints as *** through fmt, zerolog and JSON, so it cannot reach a log by
// accident; Reveal returns the value for the one place that uses it.
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalText keeps secrets out of JSON and zerolog output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }
